import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/testenv.ts';

// The helpers bench/support/image-process.ts runs as the image runs lifeboat: type-stripped into a temporary
// directory and started with the image's flags, which may include --jitless (no type stripping at run time).
const HELPERS = ['admission-webhook', 'catalog-process', 'controller-process', 'dist'];

describe('benchmark helpers that run as the image does', () => {
  for (const name of HELPERS) {
    it(`${name}.ts strips to JavaScript that node --jitless accepts and imports lifeboat only from dist/`, () => {
      const stripped = stripTypeScriptTypes(readFileSync(join(REPO_ROOT, 'bench/support', `${name}.ts`), 'utf8'));
      // A static import of the repository's TypeScript would not resolve from the temporary directory, and could not
      // run under --jitless anyway; type-only imports are gone after stripping. Helpers beside it (./dist.ts) are
      // stripped and copied with it.
      for (const [, sibling] of stripped.matchAll(/^import\s[^;]*from\s+'\.\/([\w-]+)\.ts'/gm)) {
        assert.ok(HELPERS.includes(sibling as string), `${sibling}.ts is imported but not checked here`);
      }
      assert.doesNotMatch(stripped, /^import\s[^;]*from\s+'\.\.\//m, 'a value import of a repository file');
      assert.doesNotMatch(stripped, /import\(\s*'\.\.?\//, 'a dynamic import of a repository file');
      const dir = mkdtempSync(join(tmpdir(), 'lifeboat-helper-check-'));
      try {
        const file = join(dir, `${name}.mjs`);
        writeFileSync(file, stripped);
        execFileSync(process.execPath, ['--jitless', '--check', file], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
