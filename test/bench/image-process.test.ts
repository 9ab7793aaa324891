import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundled, removeImageProcessFiles } from '../../bench/support/image-process.ts';
import { REPO_ROOT } from '../support/testenv.ts';

// Every helper a benchmark starts through imageProcess('<name>', …): each is bundled into a temporary directory as
// the image's code is, and runs there with the image's flags, which include --jitless (no type stripping at run time).
const BENCH = join(REPO_ROOT, 'bench');
const helpers = [
  ...new Set(
    readdirSync(BENCH)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(BENCH, f), 'utf8').matchAll(/imageProcess\('([\w-]+)'/g)])
      .map((m) => m[1] as string),
  ),
];

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(dir, f));
}

describe('benchmark helpers that run as the image does', () => {
  after(removeImageProcessFiles);

  it('finds the helpers the benchmarks start', () => {
    assert.deepEqual([...helpers].sort(), ['admission-webhook', 'catalog-process', 'controller-process']);
  });

  for (const name of helpers) {
    it(`${name}.ts bundles to JavaScript node --jitless accepts, with lifeboat's code inside the bundle`, async () => {
      const entry = await bundled(name);
      const dir = dirname(entry);
      const files = jsFiles(dir);
      assert.ok(files.includes(entry), `${entry} was written`);
      let relative = 0;
      // lifeboat's own code is in the bundle: a helper whose import() of src/ were left to resolve at run time would
      // load TypeScript, which --jitless cannot strip; its chunks are beside it.
      for (const file of files) {
        const source = readFileSync(file, 'utf8');
        for (const [, spec] of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
          relative++;
          const target = resolve(dirname(file), spec as string);
          assert.ok(target.startsWith(`${dir}/`) && existsSync(target), `${file} imports ${spec}, outside the bundle`);
        }
        assert.doesNotMatch(source, /["'][^"']*\/src\/[^"']*\.ts["']/, `${file} names a TypeScript source`);
        execFileSync(process.execPath, ['--jitless', '--check', file], { stdio: 'pipe' });
      }
      // Each helper loads lifeboat with import(), which esbuild turns into chunks: the scan above must have seen them.
      assert.ok(relative > 0, 'no import of a chunk found');
    });
  }
});
