/**
 * Restore evidence against VolSync's real mover scripts (mover-restic/entry.sh, mover-kopia/entry.sh of the kopia
 * fork), run as processes with the real restic and kopia against real repositories (test/support/volsync-mover.ts);
 * their output goes through VolSync's own log filter (mirrored there) into the verdict, exactly as lifeboat reads it
 * from `status.latestMoverStatus.logs`. lifeboat's own repository readers stand for the catalog's re-reads.
 *
 * The retention race of issue 10: admission pins the newest snapshot, the mover's retention (restic `forget`, kopia
 * `snapshot delete`) removes it before the mover runs, and `restoreAsOf` silently falls back to an older snapshot —
 * or to nothing. The arming check refuses it when it is already gone; the verdict catches it when it went later.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { armingCheck, type EvidenceRead, restoreVerdict } from '../../src/decision/restore-verdict.ts';
import { openKopiaRepository } from '../../src/mover/kopia/reader/repository.ts';
import { parseResticLocation } from '../../src/mover/restic/reader/location.ts';
import { storageForResticLocation } from '../../src/mover/restic/reader/storage-for-location.ts';
import { chooseSnapshot, restoreAsOfFor } from '../../src/plan/restore-point.ts';
import { FsStorage } from '../../src/repository/storage/fs.ts';
import type { Snapshot } from '../../src/repository/types.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';
import { listResticSnapshots } from '../support/restic-reader.ts';
import {
  type MoverRestoreResult,
  runKopiaMoverRestore,
  runResticMoverRestore,
  volsyncStatusLogs,
} from '../support/volsync-mover.ts';

const V1 = { 'app/state.txt': 'version one\n' };
const V2 = { 'app/state.txt': 'version two\n', 'app/added.txt': 'only in two\n' };
const V3 = { 'app/state.txt': 'version three\n' };

/** A read "now" with lifeboat's reader, as the catalog's re-read would make it. */
const readOf = (snapshots: readonly Snapshot[], startedAtMs: number): EvidenceRead => ({
  state: 'read',
  startedAtMs,
  snapshotIds: snapshots.filter((s) => !s.incomplete).map((s) => s.id),
});

const pinnedOf = (s: Snapshot) => ({ snapshotId: s.id, snapshotTime: s.time });

describe('restore evidence with the real restic mover script', () => {
  let repo: ResticTestRepository;
  const runs: MoverRestoreResult[] = [];
  const read = async () =>
    listResticSnapshots(
      storageForResticLocation(parseResticLocation(repo.repository), { mountPoint: repo.dir }),
      repo.password,
    );

  before(async () => {
    repo = await createResticRepository({ on: 'fs', version: 2 });
  });
  after(async () => {
    for (const r of runs) r.cleanup();
    await repo.cleanup();
  });

  it('verifies, then catches the retention race: an older snapshot restored, then nothing restored', async () => {
    await repo.backup({ time: '2026-03-01 09:00:00', files: V1 });
    await repo.backup({ time: '2026-03-01 10:00:05', files: V2 });
    const pinned = chooseSnapshot(await read());
    assert.ok(pinned);
    const restoreAsOf = restoreAsOfFor(pinned.timeMs);

    // The pinned snapshot exists: armed, restored, and the mover's report names it.
    assert.deepEqual(armingCheck(pinnedOf(pinned), readOf(await read(), Date.now())), { action: 'arm' });
    const good = await runResticMoverRestore({ repo, restoreAsOf });
    runs.push(good);
    assert.equal(good.result, 'Successful', good.podLog);
    assert.deepEqual(good.files(), V2);
    const verified = restoreVerdict({
      pinned: pinnedOf(pinned),
      mover: 'restic',
      status: { result: good.result, logs: good.statusLogs },
    });
    assert.equal(verified.outcome, 'verified', `${verified.message}\n--- status logs:\n${good.statusLogs}`);
    assert.equal(verified.evidence, 'mover-report');

    // Retention removes the pinned snapshot (restic keeps the oldest when buckets are short).
    await repo.forget([pinned.id]);
    const afterForget = await read();
    const refused = armingCheck(pinnedOf(pinned), readOf(afterForget, Date.now()));
    assert.equal(refused.action, 'refuse', 'a fresh read before arming sees the snapshot is gone');

    // Had the restore point been armed before the forget, the mover falls back to the older snapshot.
    const stale = await runResticMoverRestore({ repo, restoreAsOf });
    runs.push(stale);
    assert.equal(stale.result, 'Successful', 'VolSync reports the fallback as a successful sync');
    assert.deepEqual(stale.files(), V1);
    const older = afterForget.find((s) => s.id !== pinned.id);
    assert.ok(older);
    const mismatch = restoreVerdict({
      pinned: pinnedOf(pinned),
      mover: 'restic',
      status: { result: stale.result, logs: stale.statusLogs },
    });
    assert.equal(mismatch.outcome, 'mismatch', `${mismatch.message}\n--- status logs:\n${stale.statusLogs}`);
    const named = mismatch.restored?.id ?? '';
    assert.ok(named.length >= 8 && older.id.startsWith(named), `names the snapshot actually restored: "${named}"`);
    assert.equal(mismatch.restored?.time, older.time);

    // A newer backup lands and the older one goes too: nothing at or before restoreAsOf is left.
    await repo.backup({ time: '2026-03-01 11:00:00', files: V3 });
    await repo.forget([older.id]);
    const empty = await runResticMoverRestore({ repo, restoreAsOf });
    runs.push(empty);
    assert.equal(empty.result, 'Successful', 'an empty restore exits 0');
    assert.deepEqual(empty.files(), {});
    const verdict = restoreVerdict({
      pinned: pinnedOf(pinned),
      mover: 'restic',
      status: { result: empty.result, logs: empty.statusLogs },
    });
    assert.equal(verdict.outcome, 'empty', `${verdict.message}\n--- status logs:\n${empty.statusLogs}`);
  });
});

describe('restore evidence with the real kopia mover script', () => {
  let repo: KopiaTestRepository;
  let scratch: string;
  const runs: MoverRestoreResult[] = [];
  const identity = { username: 'data', hostname: 'app' };
  const source = 'data@app:/data';
  const read = async () =>
    (
      await openKopiaRepository(new FsStorage({ root: repo.repoPath as string }), repo.password, {
        layout: { kind: 'filesystem' },
      }).listSources()
    ).get(source) ?? [];
  const snapshot = async (name: string, files: Record<string, string>, at: string) =>
    repo.snapshot({ source, dir: await makeSourceDir(scratch, name, files), startTime: new Date(at) });

  before(async () => {
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
    scratch = mkdtempSync(join(tmpdir(), 'lifeboat-kopia-sources-'));
  });
  after(async () => {
    for (const r of runs) r.cleanup();
    await repo.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('verifies through a read after the mover (its filtered report names nothing), then catches the race', async () => {
    await snapshot('v1', V1, '2026-03-01T09:00:00Z');
    await snapshot('v2', V2, '2026-03-01T10:00:05Z');
    const pinned = chooseSnapshot(await read());
    assert.ok(pinned);
    const restoreAsOf = restoreAsOfFor(pinned.timeMs);
    let doneAt = 0;
    const kopia = (r: MoverRestoreResult, readAfter?: EvidenceRead, debug = false) =>
      restoreVerdict({
        pinned: pinnedOf(pinned),
        mover: 'kopia',
        status: { result: r.result, logs: debug ? volsyncStatusLogs('kopia', r.podLog, true) : r.statusLogs },
        moverDoneByMs: doneAt,
        ...(readAfter ? { readAfter } : {}),
      });

    const good = await runKopiaMoverRestore({ repo, ...identity, restoreAsOf });
    runs.push(good);
    doneAt = Date.now();
    assert.equal(good.result, 'Successful', good.podLog);
    assert.deepEqual(good.files(), V2);
    assert.equal(kopia(good).outcome, 'pending', "VolSync's kopia filter drops the script's selection line");
    const verified = kopia(good, readOf(await read(), Date.now()));
    assert.equal(verified.outcome, 'verified', verified.message);
    assert.equal(verified.evidence, 'repository');
    assert.equal(kopia(good, undefined, true).outcome, 'verified', 'MOVER_LOG_DEBUG keeps the selection');

    await repo.deleteSnapshots([pinned.id]);
    assert.equal(armingCheck(pinnedOf(pinned), readOf(await read(), Date.now())).action, 'refuse');

    const stale = await runKopiaMoverRestore({ repo, ...identity, restoreAsOf });
    runs.push(stale);
    doneAt = Date.now();
    assert.equal(stale.result, 'Successful', 'VolSync reports the fallback as a successful sync');
    assert.deepEqual(stale.files(), V1);
    const unverified = kopia(stale, readOf(await read(), Date.now()));
    assert.equal(unverified.outcome, 'unverified', unverified.message);
    const older = (await read())[0];
    assert.ok(older, 'the older snapshot is still in the repository');
    const mismatch = kopia(stale, undefined, true);
    assert.equal(mismatch.outcome, 'mismatch', mismatch.message);
    assert.equal(mismatch.restored?.id, older.id);

    await snapshot('v3', V3, '2026-03-01T11:00:00Z');
    await repo.deleteSnapshots([older.id]);
    const empty = await runKopiaMoverRestore({ repo, ...identity, restoreAsOf });
    runs.push(empty);
    assert.equal(empty.result, 'Successful', `an empty restore exits 0\n${empty.podLog}`);
    assert.deepEqual(empty.files(), {});
    assert.equal(kopia(empty).outcome, 'empty', empty.statusLogs);
  });
});
