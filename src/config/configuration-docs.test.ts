/**
 * docs/configuration.md cannot silently go stale: every setting that has a default must appear in it by its full
 * path, as `code`. Maps whose keys are the user's own names (tier names, StorageClass names) are written `<name>` /
 * `<storageClass>` in the reference, as the user fills them in.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from './defaults.ts';

const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

/** Maps keyed by the user's names, and the placeholder the reference writes for such a key. */
const USER_KEYED: Readonly<Record<string, string>> = {
  tiers: '<name>',
  databases: '<name>',
  'mover.volumeSnapshotClassByStorageClass': '<storageClass>',
};

function settingPaths(value: unknown, prefix: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const placeholder = USER_KEYED[prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  if (placeholder !== undefined) {
    if (entries.length === 0) return [`${prefix}.${placeholder}`];
    return [...new Set(entries.flatMap(([, v]) => settingPaths(v, `${prefix}.${placeholder}`)))];
  }
  return entries.flatMap(([key, v]) => settingPaths(v, prefix ? `${prefix}.${key}` : key));
}

describe('docs/configuration.md', () => {
  const paths = settingPaths(DEFAULT_CONFIG, '');

  it('finds the settings to check (the walk itself works)', () => {
    assert.ok(paths.includes('keys.backupLabel'));
    assert.ok(paths.includes('tiers.<name>.trigger.schedule'));
    assert.ok(paths.length > 40, `${paths.length} settings`);
  });

  for (const path of paths) {
    it(`documents ${path}`, () => {
      assert.ok(docs.includes(`\`${path}\``), `add \`${path}\` (default, meaning, example) to docs/configuration.md`);
    });
  }
});
