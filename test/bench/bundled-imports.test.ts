/**
 * What gets bundled (src/, and the benchmarks' helper processes in bench/support/) loads packages with static imports
 * only. Node's loader lists a CommonJS package's exports for `import()`, but a bundled `import()` of one yields only
 * its `default`: `(await import('prom-client')).Registry` is undefined in the bundle while it works from source, and
 * the S3 SDK once failed exactly so in the image. To load a package lazily, import a module of the repository that
 * imports the package by name (src/repository/storage/s3-sdk.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/testenv.ts';

// Not `typeof import('…')`, which is a type.
const DYNAMIC = /(?<!typeof\s+)\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

/** `file: specifier` for every import() of something other than a repository file or a Node built-in. */
function packageImports(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(DYNAMIC)]
      .map((m) => m[1] as string)
      .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
      .map((spec) => `${file}: ${spec}`),
  );
}

describe('bundled code', () => {
  it('finds the import() calls it checks (the CLI loads each command with one)', () => {
    const program = readFileSync(join(REPO_ROOT, 'src/cli/program.ts'), 'utf8');
    assert.ok([...program.matchAll(DYNAMIC)].length > 5);
  });

  it('loads no package with import(), in src/ and in the benchmark helpers', () => {
    assert.deepEqual(packageImports([...sources('src'), ...sources('bench/support')]), []);
  });
});
