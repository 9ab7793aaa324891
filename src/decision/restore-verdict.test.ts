import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMoverReport, sameSnapshot } from './mover-report.ts';
import {
  armingCheck,
  type EvidenceRead,
  isBadRestore,
  type RestoreEvidenceInput,
  type RestoreOutcome,
  restoreVerdict,
} from './restore-verdict.ts';

const RESTIC_ID = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';
const OLDER_RESTIC = '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0';
const KOPIA_ID = 'k7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';
const pinnedRestic = { snapshotId: RESTIC_ID, snapshotTime: '2026-03-01T10:00:05.250Z' };
const pinnedKopia = { snapshotId: KOPIA_ID, snapshotTime: '2026-03-01T10:00:05.250Z' };

// Lines as VolSync's restic filter leaves them (restic 0.18 output through the filter of mover/restic/logfilter.go).
const resticRestored = (id: string, at: string) =>
  [
    'repository 6a1b2c3d opened (version 2, compression level auto)',
    `restoring snapshot ${id.slice(0, 8)} of [/data] at ${at} by root@volsync to .`,
    'Restic completed in 2s',
  ].join('\n');
const resticEmpty = ['No eligible snapshots found', '=== No data will be restored ===', 'Restic completed in 1s'].join(
  '\n',
);
// What the kopia fork's destination filter (mover/kopia/logparser.go LogFilter) keeps of a successful restore.
const kopiaRestored = 'INFO: Snapshot restore completed successfully';
const kopiaDebug = `Selected snapshot with id: ${KOPIA_ID}\nINFO: Snapshot restore completed successfully`;
const read = (ids: string[], startedAtMs = 2_000): EvidenceRead => ({ state: 'read', startedAtMs, snapshotIds: ids });

describe('parseMoverReport', () => {
  const cases: { name: string; mover: 'kopia' | 'restic'; logs: string; want: ReturnType<typeof parseMoverReport> }[] =
    [
      {
        name: 'restic names the snapshot and its time (nanoseconds, numeric offset)',
        mover: 'restic',
        logs: resticRestored(RESTIC_ID, '2026-03-01 10:00:05.250123456 +0000 UTC'),
        want: { selected: { id: RESTIC_ID.slice(0, 8), time: '2026-03-01T10:00:05.250Z' }, empty: false },
      },
      {
        name: 'restic in another zone is converted to UTC',
        mover: 'restic',
        logs: resticRestored(RESTIC_ID, '2026-03-01 11:00:05.5 +0100 CET'),
        want: { selected: { id: RESTIC_ID.slice(0, 8), time: '2026-03-01T10:00:05.500Z' }, empty: false },
      },
      {
        name: 'older restic wraps the snapshot in <Snapshot …>',
        mover: 'restic',
        logs: `restoring <Snapshot ${RESTIC_ID.slice(0, 8)} of [/data] at 2026-03-01 10:00:05 +0000 UTC by root@volsync> to .`,
        want: { selected: { id: RESTIC_ID.slice(0, 8), time: '2026-03-01T10:00:05.000Z' }, empty: false },
      },
      {
        name: "restic's script line in debug logs",
        mover: 'restic',
        logs: `Selected restic snapshot with id: ${RESTIC_ID.slice(0, 8)}`,
        want: { selected: { id: RESTIC_ID.slice(0, 8) }, empty: false },
      },
      { name: 'restic restored nothing', mover: 'restic', logs: resticEmpty, want: { empty: true } },
      { name: 'kopia without debug logs names nothing', mover: 'kopia', logs: kopiaRestored, want: { empty: false } },
      {
        name: 'kopia with debug logs names the manifest',
        mover: 'kopia',
        logs: kopiaDebug,
        want: { selected: { id: KOPIA_ID }, empty: false },
      },
      {
        name: 'kopia restored nothing',
        mover: 'kopia',
        logs: 'No eligible snapshots found\nINFO: EXIT_CODE: 0',
        want: { empty: true },
      },
      { name: 'no log at all', mover: 'restic', logs: '', want: { empty: false } },
    ];
  for (const c of cases) it(c.name, () => assert.deepEqual(parseMoverReport(c.mover, c.logs), c.want));

  it('short ids match by prefix of at least 8 characters', () => {
    assert.equal(sameSnapshot(RESTIC_ID.slice(0, 8), RESTIC_ID), true);
    assert.equal(sameSnapshot(RESTIC_ID, RESTIC_ID), true);
    assert.equal(sameSnapshot(RESTIC_ID.slice(0, 7), RESTIC_ID), false);
    assert.equal(sameSnapshot(OLDER_RESTIC.slice(0, 8), RESTIC_ID), false);
  });
});

describe('restoreVerdict', () => {
  const cases: {
    name: string;
    input: RestoreEvidenceInput;
    outcome: RestoreOutcome;
    restored?: string;
    has?: RegExp;
  }[] = [
    {
      name: 'no mover status yet',
      input: { pinned: pinnedRestic, mover: 'restic', status: {} },
      outcome: 'pending',
    },
    {
      name: 'restic restored the pinned snapshot',
      input: {
        pinned: pinnedRestic,
        mover: 'restic',
        status: { result: 'Successful', logs: resticRestored(RESTIC_ID, '2026-03-01 10:00:05.25 +0000 UTC') },
      },
      outcome: 'verified',
      restored: RESTIC_ID,
    },
    {
      name: 'retention race: restic fell back to an older snapshot',
      input: {
        pinned: pinnedRestic,
        mover: 'restic',
        status: { result: 'Successful', logs: resticRestored(OLDER_RESTIC, '2026-02-20 04:00:00 +0000 UTC') },
      },
      outcome: 'mismatch',
      restored: OLDER_RESTIC.slice(0, 8),
      has: /restored snapshot 9f8e7d6c from 2026-02-20T04:00:00.000Z instead of snapshot 1a2b3c4d/,
    },
    {
      name: 'nothing at or before restoreAsOf: an empty volume reported as success',
      input: { pinned: pinnedRestic, mover: 'restic', status: { result: 'Successful', logs: resticEmpty } },
      outcome: 'empty',
    },
    {
      name: 'the mover failed',
      input: {
        pinned: pinnedKopia,
        mover: 'kopia',
        status: {
          result: 'Failed',
          logs: "No snapshots found for 'app-data@ns'",
          requestedIdentity: 'other@ns',
        },
        expectedIdentity: 'app-data@ns',
      },
      outcome: 'failed',
      has: /identity other@ns, the restore point asks for app-data@ns/,
    },
    {
      name: 'kopia with debug logs names the pinned manifest',
      input: { pinned: pinnedKopia, mover: 'kopia', status: { result: 'Successful', logs: kopiaDebug } },
      outcome: 'verified',
      restored: KOPIA_ID,
    },
    {
      name: 'kopia without a selection: a read after the mover still holds the pinned snapshot',
      input: {
        pinned: pinnedKopia,
        mover: 'kopia',
        status: { result: 'Successful', logs: kopiaRestored },
        moverDoneByMs: 1_000,
        readAfter: read([KOPIA_ID, 'kolder']),
      },
      outcome: 'verified',
      restored: KOPIA_ID,
    },
    {
      name: 'kopia without a selection: the pinned snapshot is gone after the mover ran',
      input: {
        pinned: pinnedKopia,
        mover: 'kopia',
        status: { result: 'Successful', logs: kopiaRestored },
        moverDoneByMs: 1_000,
        readAfter: read(['kolder']),
      },
      outcome: 'unverified',
    },
    {
      name: 'kopia without a selection: a read that started before the mover finished proves nothing',
      input: {
        pinned: pinnedKopia,
        mover: 'kopia',
        status: { result: 'Successful', logs: kopiaRestored },
        moverDoneByMs: 3_000,
        readAfter: read([KOPIA_ID]),
      },
      outcome: 'pending',
    },
    {
      name: 'kopia without a selection and no readable repository',
      input: {
        pinned: pinnedKopia,
        mover: 'kopia',
        status: { result: 'Successful', logs: kopiaRestored },
        moverDoneByMs: 1_000,
        readAfter: { state: 'failed', message: 'timeout' },
      },
      outcome: 'unverified',
      has: /timeout/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = restoreVerdict(c.input);
      assert.equal(v.outcome, c.outcome, v.message);
      if (c.restored) assert.equal(v.restored?.id, c.restored);
      if (c.has) assert.match(v.message, c.has);
      assert.equal(v.remedy !== undefined, isBadRestore(v.outcome) || v.outcome === 'failed');
    });
  }
});

describe('armingCheck', () => {
  it('arms while the pinned snapshot exists', () => {
    assert.deepEqual(armingCheck(pinnedRestic, read([OLDER_RESTIC, RESTIC_ID])), { action: 'arm' });
  });
  it('refuses when it is gone, with the remedy', () => {
    const c = armingCheck(pinnedRestic, read([OLDER_RESTIC]));
    assert.equal(c.action, 'refuse');
    assert.match(
      c.action === 'refuse' ? `${c.message} ${c.remedy}` : '',
      /no longer in the repository.*delete the PVC/,
    );
  });
  it('holds when the repository cannot be read', () => {
    const c = armingCheck(pinnedRestic, { state: 'failed', message: 'wrong password' });
    assert.equal(c.action, 'hold');
  });
});
