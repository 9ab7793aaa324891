/**
 * A mover is one folder: every name in the registry has its folder under src/mover/, every folder there is in the
 * registry, and nothing outside src/mover/ reaches into a mover's folder or branches on a mover's name — the rest of
 * lifeboat knows movers only through the registry (index.ts) and the interface (mover.ts). So adding a mover is a
 * folder and its line in the registry; a table elsewhere that needed an entry per mover would fail here or in tsc.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readModuleGraph, SRC_DIR } from '../../test/support/module-graph.ts';
import { BACKEND_KINDS } from './index.ts';

const graph = readModuleGraph(SRC_DIR);
const moverFolder = (file: string): string | undefined => /^mover\/([^/]+)\//.exec(file)?.[1];

describe('a mover is one folder', () => {
  it('every mover in the registry has its folder, and every folder is a mover in the registry', () => {
    const folders = readdirSync(join(SRC_DIR, 'mover'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, [...BACKEND_KINDS].sort());
    for (const name of BACKEND_KINDS) assert.ok(existsSync(join(SRC_DIR, 'mover', name, 'index.ts')), name);
  });

  it('nothing outside src/mover/ imports a file inside a mover folder', () => {
    const reaching = [...graph]
      .filter(([file]) => !file.startsWith('mover/'))
      .flatMap(([file, deps]) => deps.filter((dep) => moverFolder(dep)).map((dep) => `${file} → ${dep}`));
    assert.deepEqual(reaching, []);
  });

  it('no mover folder imports another', () => {
    const crossing = [...graph].flatMap(([file, deps]) => {
      const own = moverFolder(file);
      if (!own) return [];
      return deps.filter((dep) => moverFolder(dep) && moverFolder(dep) !== own).map((dep) => `${file} → ${dep}`);
    });
    assert.deepEqual(crossing, []);
  });

  it('no source outside src/mover/ branches on a mover name', () => {
    const names = BACKEND_KINDS.join('|');
    const branch = new RegExp(
      String.raw`[!=]==\s*'(${names})'|'(${names})'\s*[!=]==|case\s+'(${names})'|\.spec\??\.(${names})\s*\?`,
    );
    const branching = [...graph.keys()]
      .filter((file) => !file.startsWith('mover/'))
      .flatMap((file) =>
        readFileSync(join(SRC_DIR, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (branch.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    assert.deepEqual(branching, []);
  });
});
