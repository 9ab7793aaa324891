import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatError } from './format.ts';
import { isVolSyncSnapshot, parseRfc3339, parseSnapshot } from './snapshot.ts';

describe('restic snapshot JSON', () => {
  const times: [string, string, number][] = [
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z', 0],
    ['2026-01-02T03:04:05.123456789Z', '2026-01-02T03:04:05.123Z', 456789],
    ['2026-01-02T05:04:05.5+02:00', '2026-01-02T03:04:05.500Z', 0],
    ['2026-01-01T21:34:05.000001-05:30', '2026-01-02T03:04:05.000Z', 1000],
    ['2024-02-29T00:00:00+14:00', '2024-02-28T10:00:00.000Z', 0],
  ];
  for (const [input, iso, subMs] of times) {
    it(`normalises ${input} to UTC`, () => {
      const parsed = parseRfc3339(input);
      assert.deepEqual(parsed, { ms: Date.parse(iso), subMillisecondNs: subMs });
    });
  }

  for (const bad of [
    '2026-01-02',
    '2026-01-02T03:04:05',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    'yesterday',
  ]) {
    it(`refuses the time ${bad}`, () => assert.equal(parseRfc3339(bad), undefined));
  }

  it('keeps what the caller filters on and the size from the summary', () => {
    const id = 'f'.repeat(64);
    const { snapshot } = parseSnapshot(id, {
      time: '2026-01-02T03:04:05.1+01:00',
      tree: 'e'.repeat(64),
      paths: ['/data'],
      hostname: 'volsync',
      username: 'root',
      tags: ['a'],
      program_version: 'restic 0.18.1',
      summary: { total_bytes_processed: 1234, total_files_processed: 2 },
    });
    assert.deepEqual(snapshot, {
      id,
      shortId: 'ffffffff',
      time: '2026-01-02T02:04:05.100Z',
      timeMs: Date.UTC(2026, 0, 2, 2, 4, 5, 100),
      hostname: 'volsync',
      username: 'root',
      paths: ['/data'],
      tags: ['a'],
      tree: 'e'.repeat(64),
      sizeBytes: 1234,
      fileCount: 2,
      programVersion: 'restic 0.18.1',
    });
    assert.equal(isVolSyncSnapshot(snapshot), true);
    assert.equal(isVolSyncSnapshot({ ...snapshot, paths: ['/data/sub'] }), false);
    assert.equal(isVolSyncSnapshot({ ...snapshot, hostname: 'volsync-2' }), false);
  });

  it('refuses snapshot JSON without a usable time or with mistyped fields', () => {
    const tree = 'e'.repeat(64);
    for (const json of [
      null,
      [],
      { tree },
      { time: 'now', tree },
      { time: '2026-01-02T03:04:05Z' },
      { time: '2026-01-02T03:04:05Z', tree, paths: '/data' },
    ]) {
      assert.throws(() => parseSnapshot('f'.repeat(64), json), FormatError, JSON.stringify(json));
    }
  });
});
