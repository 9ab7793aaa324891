import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatStandbyRecord,
  STANDBY_RECORD_ANNOTATION,
  type StandbyRecord,
  type StandbyState,
  SYNC_FIELD_MANAGER,
} from '../plan/standby.ts';
import type { Snapshot } from '../repository/types.ts';
import type { Decision } from './decide.ts';
import {
  confirmStandby,
  type ImageFact,
  imageAfterArm,
  imageIsSnapshot,
  readOfDecision,
  type StandbyWithReport,
} from './standby-evidence.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const SYNCED = '2026-06-01T11:58:00Z';
const SYNCED_MS = Date.parse(SYNCED);
const ARMED_ID = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';
const OLDER_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0';
const record: StandbyRecord = {
  snapshotId: ARMED_ID,
  snapshotTime: '2026-06-01T11:17:03.250Z',
  token: 'sync-1780312000',
};
const current: StandbyState = { kind: 'current', record };
/**
 * When the API server recorded lifeboat's arm (managedFields time). Deliberately not the token's time (lifeboat's
 * clock, 2026-06-01T11:06:40Z here): the two clocks may differ, and the image's creationTimestamp is the server's.
 */
const ARMED_AT = '2026-06-01T11:20:00Z';
/** An image made by the run the arm started: after the arm, before the sync was recorded. */
const madeAfterArm: ImageFact = { state: 'created', createdAt: '2026-06-01T11:57:50Z' };

const snap = (id: string, time: string): Snapshot => ({ id, time, timeMs: Date.parse(time) });
const armedSnap = snap(ARMED_ID, record.snapshotTime);
const olderSnap = snap(OLDER_ID, '2026-06-01T10:17:00.000Z');

/** A catalog decision whose facts were read `readAgo` ms before NOW. */
function decision(snapshots: Snapshot[], readAgoMs: number, kind: Decision['decision'] = 'restore'): Decision {
  return {
    decision: kind,
    authoritative: kind !== 'unknown',
    cause: kind === 'unknown' ? 'catalog-stale' : 'snapshots-found',
    message: '',
    snapshots,
    ...(kind === 'restore' && snapshots[0] ? { newest: snapshots[0] } : {}),
    checkpoints: [],
    factsAgeMs: readAgoMs,
  };
}

// What VolSync's log filters keep: restic names the snapshot it restores (short id); the kopia fork's destination
// filter drops the script's "Selected snapshot" line unless MOVER_LOG_DEBUG is on.
const resticRestoring = (id: string) =>
  `restoring snapshot ${id.slice(0, 8)} of [/data] at 2026-06-01 11:17:03.25 +0000 UTC by root@volsync to .`;
const kopiaDone = 'INFO: Snapshot restore completed successfully';
const nothing = 'No eligible snapshots found\n=== No data will be restored ===';

function rd(
  mover: 'kopia' | 'restic',
  report?: { result: string; logs?: string },
  armedAt: string | null = ARMED_AT,
): StandbyWithReport {
  return {
    metadata: {
      name: 'data-restore',
      namespace: 'app',
      annotations: { [STANDBY_RECORD_ANNOTATION]: formatStandbyRecord(record) },
      managedFields: [
        { manager: 'volsync', operation: 'Update', subresource: 'status', time: SYNCED },
        ...(armedAt ? [{ manager: SYNC_FIELD_MANAGER, operation: 'Apply', time: armedAt }] : []),
      ],
    },
    spec: { trigger: { manual: record.token }, [mover]: {} },
    status: {
      lastManualSync: record.token,
      lastSyncTime: SYNCED,
      latestImage: {
        apiGroup: 'snapshot.storage.k8s.io',
        kind: 'VolumeSnapshot',
        name: 'volsync-data-restore-dest-20260601115750',
      },
      ...(report ? { latestMoverStatus: report } : {}),
    },
  };
}

describe('confirmStandby: what a standby restored, against what it was armed with', () => {
  const after = NOW - SYNCED_MS - 60_000; // read started 1 min after the sync ended
  const before = NOW - SYNCED_MS + 60_000; // read started 1 min before the sync ended
  const cases: {
    name: string;
    rd: StandbyWithReport;
    decision?: Decision;
    state?: StandbyState;
    /** The image VolumeSnapshot as the edge found it; default: made after the arm. */
    image?: ImageFact;
    want: Partial<StandbyState> & { kind: StandbyState['kind'] };
    /** Behind: why; syncing: what it is confirming (default: the report names no snapshot). */
    why?: RegExp;
  }[] = [
    {
      name: 'no mover status at all (a VolSync that does not report): the token is all there is',
      rd: rd('kopia'),
      decision: decision([armedSnap], before),
      want: { kind: 'current' },
    },
    {
      name: 'restic names the armed snapshot: current',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap, olderSnap], before),
      want: { kind: 'current' },
    },
    {
      name: 'restic names an older snapshot (the armed one was forgotten before the mover ran): behind, re-armed',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(OLDER_ID) }),
      decision: decision([armedSnap, olderSnap], after),
      want: { kind: 'behind', misrestored: true },
      why: /restored snapshot 9f8e7d6c .* instead of snapshot 1a2b3c4d/,
    },
    {
      name: 'the mover found nothing at or before restoreAsOf: behind',
      rd: rd('kopia', { result: 'Successful', logs: nothing }),
      decision: decision([armedSnap], after),
      want: { kind: 'behind', misrestored: true },
      why: /restored nothing/,
    },
    {
      name: 'the last mover run failed although the token matches: behind',
      rd: rd('kopia', { result: 'Failed', logs: 'ERROR: repository not found' }),
      decision: decision([armedSnap], after),
      want: { kind: 'behind', misrestored: true },
      why: /failed/,
    },
    {
      name: 'kopia names nothing; a read after the mover still holds the armed snapshot: current',
      rd: rd('kopia', { result: 'Successful', logs: kopiaDone }),
      decision: decision([armedSnap, olderSnap], after),
      want: { kind: 'current' },
    },
    {
      name: 'kopia names nothing; the log was dropped (operator cache): the read settles it the same way',
      rd: rd('kopia', { result: 'Successful' }),
      decision: decision([armedSnap], after),
      want: { kind: 'current' },
    },
    {
      name: 'kopia names nothing; the armed snapshot is gone from a read after the mover: behind',
      rd: rd('kopia', { result: 'Successful', logs: kopiaDone }),
      decision: decision([olderSnap], after),
      want: { kind: 'behind', misrestored: true },
      why: /is gone from the repository/,
    },
    {
      name: 'kopia names nothing; the only read started before the mover ended: syncing until one after it',
      rd: rd('kopia', { result: 'Successful', logs: kopiaDone }),
      decision: decision([armedSnap], before),
      want: { kind: 'syncing', token: record.token, sinceMs: SYNCED_MS },
    },
    {
      name: 'kopia names nothing; the catalog cannot vouch (unknown): no read, still confirming',
      rd: rd('kopia', { result: 'Successful', logs: kopiaDone }),
      decision: decision([armedSnap], after, 'unknown'),
      want: { kind: 'syncing', token: record.token },
    },
    // The image must come from a run the arm started (docs/design.md#standby-evidence): an earlier run's mover had
    // finished and VolSync had already made its VolumeSnapshot when the arm landed; VolSync reran the mover with the
    // new restoreAsOf (whose report names the armed snapshot) and then published the snapshot it had already made.
    {
      name: 'the image predates the arm although restic names the armed snapshot: behind, re-armed',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap, olderSnap], after),
      image: { state: 'created', createdAt: '2026-06-01T11:19:58Z' },
      want: { kind: 'behind', misrestored: true },
      why: /VolumeSnapshot volsync-data-restore-dest-20260601115750, was created 2026-06-01T11:19:58Z, before sync sync-1780312000 was armed at 2026-06-01T11:20:00.000Z/,
    },
    {
      name: 'the image predates the arm and the report names nothing (kopia), even with a read confirming: behind',
      rd: rd('kopia', { result: 'Successful', logs: kopiaDone }),
      decision: decision([armedSnap], after),
      image: { state: 'created', createdAt: '2026-06-01T10:02:11Z' },
      want: { kind: 'behind', misrestored: true },
      why: /before sync sync-1780312000 was armed/,
    },
    {
      name: 'the image predates the arm and VolSync reports no mover status: the image alone decides, behind',
      rd: rd('kopia'),
      decision: decision([armedSnap], before),
      image: { state: 'created', createdAt: '2026-06-01T10:02:11Z' },
      want: { kind: 'behind', misrestored: true },
      why: /holds an earlier run's data/,
    },
    {
      name: 'the image was made in the second of the arm (both times whole seconds): current',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap], after),
      image: { state: 'created', createdAt: ARMED_AT },
      want: { kind: 'current' },
    },
    {
      name: "lifeboat's clock is ahead of the API server's: the token's time is never used, current",
      rd: {
        ...rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
        spec: { trigger: { manual: 'sync-1780318000' }, restic: {} },
      },
      decision: decision([armedSnap], after),
      want: { kind: 'current' },
    },
    {
      name: 'the image VolumeSnapshot is gone: behind (a re-sync makes a new one; the populator could not use it)',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap], after),
      image: { state: 'missing' },
      want: { kind: 'behind', misrestored: true },
      why: /VolumeSnapshot volsync-data-restore-dest-20260601115750, does not exist/,
    },
    {
      name: 'the image cannot be read (RBAC): confirming, never current and never re-armed',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap], after),
      image: { state: 'unreadable', error: 'Forbidden: cannot get volumesnapshots' },
      want: { kind: 'syncing', token: record.token, sinceMs: SYNCED_MS },
      why: /cannot read VolumeSnapshot .*Forbidden.*needs get on volumesnapshots/,
    },
    {
      name: 'the image cannot be read and the report names another snapshot: the mismatch decides, behind',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(OLDER_ID) }),
      decision: decision([armedSnap], after),
      image: { state: 'unreadable', error: 'connection refused' },
      want: { kind: 'behind', misrestored: true },
      why: /restored snapshot 9f8e7d6c/,
    },
    {
      name: 'no arm time on the RD (managedFields reset by hand): behind, the re-arm records a new one',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }, null),
      decision: decision([armedSnap], after),
      want: { kind: 'behind', misrestored: true },
      why: /when sync sync-1780312000 was armed is not recorded/,
    },
    {
      name: 'copyMethod Direct (the image is the volume itself, not made per run): the report alone decides, current',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(ARMED_ID) }),
      decision: decision([armedSnap], after),
      image: { state: 'not-a-snapshot' },
      want: { kind: 'current' },
    },
    {
      name: 'a state that is not current is returned as it is',
      rd: rd('restic', { result: 'Successful', logs: resticRestoring(OLDER_ID) }),
      state: { kind: 'stuck', token: 'sync-1780300000', sinceMs: 0, record },
      want: { kind: 'stuck', token: 'sync-1780300000' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = confirmStandby(c.state ?? current, c.rd, c.decision, c.image ?? madeAfterArm, NOW);
      for (const [key, value] of Object.entries(c.want)) {
        assert.deepEqual((got as Record<string, unknown>)[key], value, `${key} of ${JSON.stringify(got)}`);
      }
      if (got.kind === 'behind') assert.match(got.why, c.why ?? /^$/);
      if (got.kind === 'syncing') assert.match(got.confirming ?? '', c.why ?? /does not name the snapshot/);
    });
  }
});

describe('imageIsSnapshot', () => {
  const withImage = (kind?: string): StandbyWithReport => ({
    metadata: { name: 'data-restore' },
    status: { latestImage: { name: 'x', ...(kind ? { kind } : {}) } },
  });
  it('is false only for the volume itself (copyMethod Direct)', () => {
    assert.equal(imageIsSnapshot(withImage('PersistentVolumeClaim')), false);
    assert.equal(imageIsSnapshot(withImage('VolumeSnapshot')), true);
  });
  it('checks an image without a kind as a snapshot (the side that can only say "not current")', () => {
    assert.equal(imageIsSnapshot(withImage()), true);
  });
});

describe('imageAfterArm', () => {
  it('reads the arm time only from the Apply entry of lifeboat-sync on the object itself', () => {
    const standby = rd('restic');
    standby.metadata.managedFields = [
      // A status write of the same manager name, or an Update, is not the arm.
      { manager: SYNC_FIELD_MANAGER, operation: 'Apply', subresource: 'status', time: '2026-06-01T09:00:00Z' },
      { manager: SYNC_FIELD_MANAGER, operation: 'Update', time: '2026-06-01T09:00:00Z' },
      { manager: SYNC_FIELD_MANAGER, operation: 'Apply', time: ARMED_AT },
    ];
    const image = (createdAt: string) => imageAfterArm(standby, record, { state: 'created', createdAt }).outcome;
    assert.equal(image('2026-06-01T10:00:00Z'), 'mismatch');
    assert.equal(image('2026-06-01T11:20:01Z'), 'verified');
  });
  it('treats an unparseable creation time as older than the arm', () => {
    assert.equal(imageAfterArm(rd('restic'), record, { state: 'created', createdAt: '' }).outcome, 'mismatch');
  });
});

describe('readOfDecision', () => {
  it('is the restore decision read, dated from its facts age', () => {
    assert.deepEqual(readOfDecision(decision([armedSnap, olderSnap], 5_000), NOW), {
      state: 'read',
      startedAtMs: NOW - 5_000,
      snapshotIds: [ARMED_ID, OLDER_ID],
    });
  });
  it('is no read for an unknown or fresh decision, or none at all', () => {
    assert.equal(readOfDecision(decision([armedSnap], 5_000, 'unknown'), NOW), undefined);
    assert.equal(readOfDecision(decision([], 5_000, 'fresh'), NOW), undefined);
    assert.equal(readOfDecision(undefined, NOW), undefined);
  });
});
