import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DrillFacts, drillVerdict, parseVolumeScan, type VolumeScan } from './drill-verdict.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const snapshot = { id: 'abcdef0123456789', time: '2026-03-01T09:00:00.000Z', fileCount: 3, sizeBytes: 100 };
const resticOk = {
  result: 'Successful',
  logs: 'restoring snapshot abcdef01 of [/data] at 2026-03-01 09:00:00.1 +0000 UTC by root@volsync to .',
};
const scan = (over: Partial<VolumeScan> = {}): string =>
  JSON.stringify({ files: 3, bytes: 100, unreadable: 0, errors: [], ...over });
const base: DrillFacts = {
  snapshot,
  mover: 'restic',
  restorePoint: resticOk,
  job: { state: 'finished', exitCode: 0, message: scan() },
  startedAtMs: T0,
  nowMs: T0 + 60_000,
  timeoutMs: 3_600_000,
};

const cases: { name: string; facts: Partial<DrillFacts>; outcome: string; message: RegExp; remedy?: RegExp }[] = [
  {
    name: 'counts match the summary',
    facts: {},
    outcome: 'passed',
    message: /restored snapshot abcdef0123456789 .*3 files, 100 bytes, as the repository says/,
  },
  {
    name: 'the repository records no counts',
    facts: { snapshot: { id: snapshot.id, time: snapshot.time } },
    outcome: 'passed',
    message: /records no counts/,
  },
  {
    name: 'the mover has not reported yet',
    facts: { restorePoint: {}, job: { state: 'waiting' } },
    outcome: 'pending',
    message: /not reported/,
  },
  {
    name: 'the mover failed',
    facts: { restorePoint: { result: 'Failed', logs: 'ERROR: unable to open repository\nexit 1' } },
    outcome: 'mover-failed',
    message: /the mover failed restoring .*unable to open repository/,
    remedy: /lifeboat verify again/,
  },
  {
    name: 'the mover restored another snapshot',
    facts: {
      restorePoint: {
        result: 'Successful',
        logs: 'restoring snapshot 99999999 of [/data] at 2026-02-28 09:00:00 +0000 UTC by root@volsync to .',
      },
    },
    outcome: 'wrong-snapshot',
    message: /restored snapshot 99999999 .* instead of snapshot abcdef/,
  },
  {
    name: 'the mover restored nothing',
    facts: {
      restorePoint: { result: 'Successful', logs: 'No eligible snapshots found\n=== No data will be restored ===' },
    },
    outcome: 'wrong-snapshot',
    message: /restored nothing/,
  },
  {
    name: 'a file is missing',
    facts: { job: { state: 'finished', exitCode: 1, message: scan({ files: 2, bytes: 60 }) } },
    outcome: 'counts-differ',
    message: /holds 2 files, 60 bytes; the repository says it holds 3 files, 100 bytes/,
    remedy: /kopia snapshot verify/,
  },
  {
    name: 'bytes differ',
    facts: { job: { state: 'finished', exitCode: 1, message: scan({ bytes: 99 }) } },
    outcome: 'counts-differ',
    message: /3 files, 99 bytes/,
  },
  {
    name: 'unreadable entries',
    facts: { job: { state: 'finished', exitCode: 1, message: scan({ unreadable: 1, errors: ['x: EACCES'] }) } },
    outcome: 'counts-differ',
    message: /1 entries could not be read \(x: EACCES\)/,
    remedy: /moverSecurityContext/,
  },
  {
    name: 'the sentinel differs',
    facts: {
      sentinel: 's',
      job: {
        state: 'finished',
        exitCode: 1,
        message: scan({ sentinel: { path: 's', state: 'differs', expected: 'aa', actual: 'bb' } }),
      },
    },
    outcome: 'sentinel-differs',
    message: /sha256 is bb, s\.sha256 says aa/,
  },
  {
    name: 'the sentinel is missing',
    facts: {
      sentinel: 's',
      job: {
        state: 'finished',
        exitCode: 1,
        message: scan({ sentinel: { path: 's', state: 'missing', message: 's does not exist' } }),
      },
    },
    outcome: 'sentinel-differs',
    message: /s does not exist/,
  },
  {
    name: 'the sentinel checks out',
    facts: {
      sentinel: 's',
      job: { state: 'finished', exitCode: 0, message: scan({ sentinel: { path: 's', state: 'match', sha256: 'aa' } }) },
    },
    outcome: 'passed',
    message: /sentinel s intact/,
  },
  {
    name: 'the Job ended without a result',
    facts: { job: { state: 'finished', exitCode: 137, reason: 'OOMKilled', message: '' } },
    outcome: 'verifier-failed',
    message: /exit 137, OOMKilled/,
  },
  { name: 'the Job still runs', facts: { job: { state: 'running' } }, outcome: 'pending', message: /verifying/ },
  {
    name: 'the scratch PVC never got populated',
    facts: {
      restorePoint: {},
      job: { state: 'waiting' },
      nowMs: T0 + 3_700_000,
      waitingFor: 'the scratch PVC is Pending',
    },
    outcome: 'timed-out',
    message: /did not finish within 60 min: the scratch PVC is Pending/,
    remedy: /verify\.timeout/,
  },
  {
    name: 'kopia without the selection, read after confirms it',
    facts: {
      mover: 'kopia',
      restorePoint: { result: 'Successful', logs: 'Restore completed' },
      moverDoneByMs: T0 + 30_000,
      readAfter: { state: 'read', startedAtMs: T0 + 31_000, snapshotIds: [snapshot.id] },
    },
    outcome: 'passed',
    message: /as the repository says/,
  },
  {
    name: 'kopia without the selection, waiting for a read',
    facts: { mover: 'kopia', restorePoint: { result: 'Successful', logs: 'Restore completed' } },
    outcome: 'pending',
    message: /waiting for a repository read/,
  },
  {
    name: 'kopia, the pinned snapshot gone after the mover ran',
    facts: {
      mover: 'kopia',
      restorePoint: { result: 'Successful', logs: 'Restore completed' },
      moverDoneByMs: T0 + 30_000,
      readAfter: { state: 'read', startedAtMs: T0 + 31_000, snapshotIds: [] },
    },
    outcome: 'unverified',
    message: /may have restored an older snapshot/,
  },
];

describe('restore drill verdict', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.outcome}`, () => {
      const v = drillVerdict({ ...base, ...c.facts });
      assert.equal(v.outcome, c.outcome, v.message);
      assert.match(v.message, c.message);
      if (c.remedy) assert.match((v as { remedy?: string }).remedy ?? '', c.remedy);
      if (v.outcome !== 'passed' && v.outcome !== 'pending')
        assert.ok((v as { remedy?: string }).remedy, 'a failure names a remedy');
    });
  }

  it('reads the scan the verifier prints, and refuses anything else', () => {
    assert.deepEqual(parseVolumeScan(scan()), { files: 3, bytes: 100, unreadable: 0, errors: [] });
    assert.equal(parseVolumeScan('Error: boom'), undefined);
    assert.equal(parseVolumeScan('{"files":"3"}'), undefined);
    assert.equal(parseVolumeScan(undefined), undefined);
  });
});
