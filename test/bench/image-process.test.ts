import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { removeImageProcessFiles, stripped } from '../../bench/support/image-process.ts';
import { REPO_ROOT } from '../support/testenv.ts';

// Every helper a benchmark starts through imageProcess('<name>', …): each runs type-stripped from a temporary
// directory with the image's flags, which include --jitless (no type stripping at run time).
const BENCH = join(REPO_ROOT, 'bench');
const helpers = [
  ...new Set(
    readdirSync(BENCH)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(BENCH, f), 'utf8').matchAll(/imageProcess\('([\w-]+)'/g)])
      .map((m) => m[1] as string),
  ),
];

describe('benchmark helpers that run as the image does', () => {
  after(removeImageProcessFiles);

  it('finds the helpers the benchmarks start', () => {
    assert.deepEqual([...helpers].sort(), ['admission-webhook', 'catalog-process', 'controller-process']);
  });

  for (const name of helpers) {
    it(`${name}.ts strips to JavaScript node --jitless accepts, importing lifeboat only from dist/`, async () => {
      const file = await stripped(name);
      const source = readFileSync(file, 'utf8');
      // A static import of the repository's TypeScript would not resolve from the temporary directory, and could not
      // run under --jitless anyway; type-only imports are gone after stripping.
      assert.doesNotMatch(source, /^import\s[^;]*from\s+'\.\.\//m, 'a value import of a repository file');
      assert.doesNotMatch(source, /import\(\s*'\.\.?\//, 'a dynamic import of a repository file');
      assert.doesNotMatch(source, /from\s+'\.\/[\w-]+\.ts'/, 'a sibling import left pointing at TypeScript');
      // Helpers beside it (./dist.ts) were stripped next to it, under the name its import now uses.
      for (const [, sibling] of source.matchAll(/from\s+'\.\/([\w-]+\.mjs)'/g)) {
        assert.ok(existsSync(join(dirname(file), sibling as string)), `${sibling} was not written beside ${name}`);
      }
      for (const f of readdirSync(dirname(file))) {
        execFileSync(process.execPath, ['--jitless', '--check', join(dirname(file), f)], { stdio: 'pipe' });
      }
    });
  }
});
