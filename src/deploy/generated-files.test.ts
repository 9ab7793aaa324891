import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GENERATED_FILES } from './generated-files.ts';

describe('generated files are up to date', () => {
  for (const file of GENERATED_FILES) {
    it(file.path, () => {
      const onDisk = readFileSync(new URL(`../../${file.path}`, import.meta.url), 'utf8');
      assert.ok(
        onDisk === file.content(),
        `${file.path} differs from its source: run \`node src/deploy/write-generated-files.ts\` and review the diff`,
      );
    });
  }
});
