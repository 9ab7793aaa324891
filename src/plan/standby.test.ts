import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  armBody,
  assessStandby,
  type DestinationView,
  formatStandbyRecord,
  parseStandbyRecord,
  restoreAsOf,
  STANDBY_RECORD_ANNOTATION,
  type StandbyRecord,
  syncToken,
  tokenTime,
} from './standby.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const newest = { id: 'snap-new', time: '2026-06-01T11:17:03.250Z', timeMs: Date.parse('2026-06-01T11:17:03.250Z') };
const older: StandbyRecord = {
  snapshotId: 'snap-old',
  snapshotTime: '2026-06-01T10:17:00.000Z',
  token: 'sync-1780300000',
};
const same: StandbyRecord = { snapshotId: 'snap-new', snapshotTime: newest.time, token: 'sync-1780305000' };

function rd(opts: {
  record?: StandbyRecord | string;
  manual?: string;
  lastManualSync?: string;
  image?: boolean;
  created?: string;
}): DestinationView {
  const annotations: Record<string, string> = {};
  if (opts.record !== undefined) {
    annotations[STANDBY_RECORD_ANNOTATION] =
      typeof opts.record === 'string' ? opts.record : formatStandbyRecord(opts.record);
  }
  return {
    metadata: {
      name: 'data-restore',
      namespace: 'app',
      annotations,
      creationTimestamp: opts.created ?? '2026-05-01T00:00:00Z',
    },
    spec: { kopia: {}, ...(opts.manual !== undefined ? { trigger: { manual: opts.manual } } : {}) },
    status: {
      ...(opts.lastManualSync !== undefined ? { lastManualSync: opts.lastManualSync } : {}),
      ...(opts.image ? { latestImage: { name: 'volsync-data-restore-dest-20260601' } } : {}),
    },
  };
}

describe('restore-point record', () => {
  it('round-trips and refuses what is not a record', () => {
    assert.deepEqual(parseStandbyRecord(formatStandbyRecord(older)), older);
    for (const bad of [
      undefined,
      '',
      '{',
      '[]',
      '{"snapshotId":"a","snapshotTime":"never","token":"t"}',
      '{"snapshotId":"a","snapshotTime":"2026-01-01T00:00:00Z","token":""}',
    ]) {
      assert.equal(parseStandbyRecord(bad), undefined, String(bad));
    }
  });

  it('makes sync-<unix seconds> tokens, never the same as the previous one', () => {
    assert.equal(syncToken(NOW), `sync-${NOW / 1000}`);
    assert.equal(syncToken(NOW, `sync-${NOW / 1000}`), `sync-${NOW / 1000 + 1}`);
    assert.equal(syncToken(NOW, 'restore-once'), `sync-${NOW / 1000}`);
    assert.equal(tokenTime(`sync-${NOW / 1000}`), NOW);
    assert.equal(tokenTime('restore-once'), undefined);
  });

  it('pins restoreAsOf to the end of the snapshot second, so nanoseconds past the catalog time still match', () => {
    const cases: [string, string][] = [
      ['2026-06-01T11:17:03.250Z', '2026-06-01T11:17:04Z'],
      ['2026-06-01T11:17:03.000Z', '2026-06-01T11:17:04Z'],
      ['2026-06-01T23:59:59.999Z', '2026-06-02T00:00:00Z'],
    ];
    for (const [time, expected] of cases) assert.equal(restoreAsOf({ timeMs: Date.parse(time) }), expected, time);
  });
});

describe('assessStandby', () => {
  const table: { name: string; rd: DestinationView; kind: string; why?: RegExp }[] = [
    {
      name: 'nothing recorded, initial sync done',
      rd: rd({ manual: 'restore-once', lastManualSync: 'restore-once', image: true }),
      kind: 'behind',
      why: /no restore point recorded/,
    },
    {
      name: 'initial sync of a new RD still running',
      rd: rd({ manual: 'restore-once', created: '2026-06-01T11:50:00Z' }),
      kind: 'syncing',
    },
    {
      name: 'initial sync running for days',
      rd: rd({ manual: 'restore-once', created: '2026-05-01T00:00:00Z' }),
      kind: 'stuck',
    },
    {
      name: 'older snapshot recorded and complete',
      rd: rd({ record: older, manual: older.token, lastManualSync: older.token, image: true }),
      kind: 'behind',
      why: /holds snapshot snap-old .* newest is snap-new/,
    },
    {
      name: 'newest recorded and complete',
      rd: rd({ record: same, manual: same.token, lastManualSync: same.token, image: true }),
      kind: 'current',
    },
    {
      name: 'newest recorded, sync armed 20 min ago',
      rd: rd({
        record: { ...same, token: `sync-${(NOW - 20 * 60_000) / 1000}` },
        manual: `sync-${(NOW - 20 * 60_000) / 1000}`,
        lastManualSync: older.token,
        image: true,
      }),
      kind: 'syncing',
    },
    {
      name: 'older recorded, sync armed 3 h ago never finished',
      rd: rd({
        record: { ...older, token: `sync-${(NOW - 3 * HOUR) / 1000}` },
        manual: `sync-${(NOW - 3 * HOUR) / 1000}`,
        lastManualSync: 'restore-once',
        image: true,
      }),
      kind: 'stuck',
    },
    {
      name: 'recorded sync completed without an image',
      rd: rd({ record: same, manual: same.token, lastManualSync: same.token }),
      kind: 'behind',
      why: /without an image/,
    },
    {
      name: 'someone re-armed by hand after the record',
      rd: rd({ record: same, manual: 'by-hand', lastManualSync: 'by-hand', image: true }),
      kind: 'behind',
      why: /superseded by by-hand/,
    },
    {
      name: 'unreadable record',
      rd: rd({ record: 'not json', manual: 'x', lastManualSync: 'x', image: true }),
      kind: 'behind',
      why: /no restore point recorded/,
    },
    {
      name: 'record newer than the catalog (catalog lagging)',
      rd: rd({
        record: { ...same, snapshotTime: '2026-06-01T11:30:00Z' },
        manual: same.token,
        lastManualSync: same.token,
        image: true,
      }),
      kind: 'current',
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const state = assessStandby(c.rd, newest, NOW, 2 * HOUR);
      assert.equal(state.kind, c.kind);
      if (c.why) assert.match(state.kind === 'behind' ? state.why : '', c.why);
    });
  }

  it('reports since when a sync is in flight (token time, else the RD creation)', () => {
    const armed = `sync-${(NOW - 600_000) / 1000}`;
    const a = assessStandby(rd({ manual: armed, lastManualSync: older.token }), newest, NOW, HOUR);
    assert.deepEqual(a.kind === 'syncing' && [a.token, a.sinceMs], [armed, NOW - 600_000]);
    const b = assessStandby(rd({ manual: 'restore-once', created: '2026-06-01T11:55:00Z' }), newest, NOW, HOUR);
    assert.equal(b.kind === 'syncing' && b.sinceMs, Date.parse('2026-06-01T11:55:00Z'));
  });
});

describe('armBody', () => {
  it('states only the pinned time, the token and the record, conditional on the resourceVersion', () => {
    const live = {
      ...rd({ manual: 'restore-once' }),
      apiVersion: 'volsync.backube/v1alpha1',
      kind: 'ReplicationDestination',
    };
    live.metadata = { ...live.metadata, resourceVersion: '42' } as typeof live.metadata;
    assert.deepEqual(armBody(live, newest, 'sync-1'), {
      apiVersion: 'volsync.backube/v1alpha1',
      kind: 'ReplicationDestination',
      metadata: {
        name: 'data-restore',
        namespace: 'app',
        resourceVersion: '42',
        annotations: {
          [STANDBY_RECORD_ANNOTATION]:
            '{"snapshotId":"snap-new","snapshotTime":"2026-06-01T11:17:03.250Z","token":"sync-1"}',
        },
      },
      spec: { trigger: { manual: 'sync-1' }, kopia: { restoreAsOf: '2026-06-01T11:17:04Z' } },
    });
    const restic = { ...live, spec: { restic: {} } };
    assert.deepEqual((armBody(restic, newest, 'sync-1').spec as Record<string, unknown>).restic, {
      restoreAsOf: '2026-06-01T11:17:04Z',
    });
    assert.throws(() => armBody({ ...live, spec: {} }, newest, 'sync-1'), /neither a kopia nor a restic mover/);
  });
});
