import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSkipRestore } from './skip-restore.ts';

describe('readSkipRestore', () => {
  const rows: { name: string; annotations?: Record<string, string>; expect: Record<string, unknown> }[] = [
    { name: 'no annotations', expect: { state: 'off' } },
    { name: 'compat "false"', annotations: { 'volsync.backup/skip-restore': 'false' }, expect: { state: 'off' } },
    {
      name: 'compat pair',
      annotations: { 'volsync.backup/skip-restore': 'true', 'volsync.backup/skip-restore-reason': ' rebuild ' },
      expect: { state: 'on', reason: 'rebuild', key: 'volsync.backup/skip-restore' },
    },
    {
      name: 'lifeboat pair',
      annotations: { 'lifeboat.dev/skip-restore': 'true', 'lifeboat.dev/skip-restore-reason': 'test data' },
      expect: { state: 'on', reason: 'test data', key: 'lifeboat.dev/skip-restore' },
    },
    {
      name: 'lifeboat reason preferred when both reasons are set',
      annotations: {
        'volsync.backup/skip-restore': 'true',
        'lifeboat.dev/skip-restore-reason': 'a',
        'volsync.backup/skip-restore-reason': 'b',
      },
      expect: { state: 'on', reason: 'a' },
    },
    {
      name: 'both skip keys "true" agree',
      annotations: { 'volsync.backup/skip-restore': 'true', 'lifeboat.dev/skip-restore': 'true' },
      expect: { state: 'missing-reason' },
    },
    {
      name: 'missing reason',
      annotations: { 'volsync.backup/skip-restore': 'true' },
      expect: { state: 'missing-reason', key: 'volsync.backup/skip-restore' },
    },
    {
      name: 'blank reason',
      annotations: { 'volsync.backup/skip-restore': 'true', 'volsync.backup/skip-restore-reason': ' \n' },
      expect: { state: 'missing-reason' },
    },
    {
      name: 'reason alone does nothing',
      annotations: { 'volsync.backup/skip-restore-reason': 'x' },
      expect: { state: 'off' },
    },
    {
      name: '"True" is malformed',
      annotations: { 'lifeboat.dev/skip-restore': 'True' },
      expect: { state: 'malformed' },
    },
    { name: 'empty is malformed', annotations: { 'volsync.backup/skip-restore': '' }, expect: { state: 'malformed' } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const result = readSkipRestore(row.annotations);
      for (const [key, value] of Object.entries(row.expect)) {
        assert.equal((result as unknown as Record<string, unknown>)[key], value, key);
      }
      assert.deepEqual(result.warnings, []);
    });
  }

  it('warns about near-miss keys, naming the closest accepted key, and ignores them', () => {
    const result = readSkipRestore({
      'volsync.backube/skip-restore': 'true',
      skip_restore_reason: 'x',
      'lifeboat.dev/skiprestore': 'true',
      unrelated: 'y',
    });
    assert.equal(result.state, 'off');
    assert.deepEqual(result.warnings, [
      'annotation volsync.backube/skip-restore is ignored by lifeboat; did you mean volsync.backup/skip-restore?',
      'annotation skip_restore_reason is ignored by lifeboat; did you mean lifeboat.dev/skip-restore-reason?',
      'annotation lifeboat.dev/skiprestore is ignored by lifeboat; did you mean lifeboat.dev/skip-restore?',
    ]);
  });
});
