import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot } from '../repository/types.ts';
import { formatHistory, mergeHistory, parseHistory } from './history.ts';

const snap = (id: string, time: string): Snapshot => ({ id, time, timeMs: Date.parse(time) });
const NOW = Date.parse('2026-11-22T00:00:00Z');

describe('backup history ledger', () => {
  const cases = [
    { name: 'no history and nothing seen stays empty', old: undefined, seen: [], want: undefined },
    {
      name: 'first sighting records the newest snapshot and the count',
      old: undefined,
      seen: [snap('b', '2026-11-21T02:00:00Z'), snap('a', '2026-11-20T02:00:00Z')],
      want: {
        firstSeen: '2026-11-22T00:00:00.000Z',
        lastSnapshotId: 'b',
        lastSnapshotTime: '2026-11-21T02:00:00Z',
        maxCount: 2,
      },
    },
    {
      name: 'an empty read never erases history (the soft-no guard depends on it)',
      old: { firstSeen: 'x', lastSnapshotId: 'b', lastSnapshotTime: '2026-11-21T02:00:00Z', maxCount: 2 },
      seen: [],
      want: { firstSeen: 'x', lastSnapshotId: 'b', lastSnapshotTime: '2026-11-21T02:00:00Z', maxCount: 2 },
    },
    {
      name: 'retention shrinking the count keeps the maximum and advances the newest',
      old: { firstSeen: 'x', lastSnapshotId: 'b', lastSnapshotTime: '2026-11-21T02:00:00Z', maxCount: 5 },
      seen: [snap('c', '2026-11-22T02:00:00Z')],
      want: { firstSeen: 'x', lastSnapshotId: 'c', lastSnapshotTime: '2026-11-22T02:00:00Z', maxCount: 5 },
    },
    {
      name: 'an older newest (a restored or rolled-back repository) does not move the ledger back',
      old: { firstSeen: 'x', lastSnapshotId: 'c', lastSnapshotTime: '2026-11-22T02:00:00Z', maxCount: 1 },
      seen: [snap('a', '2026-11-20T02:00:00Z')],
      want: { firstSeen: 'x', lastSnapshotId: 'c', lastSnapshotTime: '2026-11-22T02:00:00Z', maxCount: 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(mergeHistory(c.old, c.seen, NOW), c.want));
  }

  it('round-trips, and an unreadable annotation still means "history expected"', () => {
    const h = { firstSeen: 'f', lastSnapshotId: 'i', lastSnapshotTime: '2026-11-21T02:00:00Z', maxCount: 3 };
    assert.deepEqual(parseHistory(formatHistory(h)), h);
    assert.equal(parseHistory(undefined), undefined);
    assert.equal(parseHistory(''), undefined);
    assert.deepEqual(parseHistory('{not json'), {
      firstSeen: '',
      lastSnapshotId: '',
      lastSnapshotTime: '',
      maxCount: 1,
    });
  });
});
