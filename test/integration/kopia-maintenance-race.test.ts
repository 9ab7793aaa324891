/**
 * The catalog stays right while the real kopia (v0.21.1) runs full maintenance on the repository it reads, as the
 * KopiaMaintenance lifeboat generates does every night: `kopia maintenance run --full --safety=none` rewrites and
 * deletes packs and index blobs (safety none: at once, no grace period), racing catalog refreshes that keep their
 * warm caches from one refresh to the next.
 *
 * Each round first changes the snapshot set (new snapshots of fresh random data, old ones deleted, one PVC losing
 * all its snapshots) with no refresh running, takes kopia's own listing (`kopia snapshot list --all --json`) as the
 * truth, then races maintenance runs against back-to-back refreshes. Maintenance never changes which snapshots exist,
 * so every refresh must show exactly kopia's listing; a refresh that fails is acceptable only as a clean failure
 * (the previous good view, which is the same listing, stays; the failure is recorded) — never a missing snapshot, an
 * extra one, or a wrong "fresh".
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.ts';
import { decide } from '../../src/decision/decide.ts';
import { kopiaSource } from '../../src/mover/kopia/catalog-source.ts';
import {
  createKopiaRepository,
  type ExpectedSnapshot,
  expectedSources,
  type KopiaTestRepository,
  makeSourceDir,
} from '../support/kopia.ts';

const NAMESPACE = 'race';
/** p0..p3 are backed up every round; `gone` loses every snapshot in round 1; `never` never has one. */
const PVCS = ['p0', 'p1', 'p2', 'p3', 'gone', 'never'];
const source = (pvc: string) => `${pvc}-backup@${NAMESPACE}:/data`;
const ROUNDS = 3;
const MAINTENANCE_RUNS_PER_ROUND = 2;

let work = '';
let repo: KopiaTestRepository;
let dirs = 0;

async function backUp(pvc: string): Promise<void> {
  const dir = await makeSourceDir(work, `d${++dirs}`, {
    'data.bin': randomBytes(768 * 1024),
    'small.txt': `${pvc} ${dirs}`,
  });
  await repo.snapshot({ source: source(pvc), dir });
  await rm(dir, { recursive: true });
}

/** kopia's own listing, per PVC of the test. */
async function truth(): Promise<Map<string, ExpectedSnapshot[]>> {
  const bySource = expectedSources(await repo.listSnapshots());
  return new Map(PVCS.map((pvc) => [pvc, bySource.get(source(pvc)) ?? []]));
}

/**
 * IDs of the pack (`p`, `q`) and index (`x`, `n`) blobs in the repository directory right now. The filesystem layout
 * shards an ID into directories (`p0a/1b2/rest.f`), so the ID is the path without its slashes and `.f`.
 */
async function packsAndIndexes(): Promise<Set<string>> {
  const files = await readdir(repo.repoPath as string, { recursive: true });
  return new Set(
    files
      .filter((f) => f.endsWith('.f'))
      .map((f) => f.replaceAll('/', '').replace(/\.f$/, ''))
      .filter((id) => /^[pqxn]/.test(id)),
  );
}

interface Tally {
  refreshes: number;
  failed: number;
  failures: Set<string>;
  /** Pack and index blobs maintenance deleted while refreshes ran. */
  vanished: number;
}

/** Every PVC's view and decision equal kopia's listing; `when` names the refresh for the message. */
function assertMatches(catalog: Catalog, expected: Map<string, ExpectedSnapshot[]>, when: string): void {
  for (const pvc of PVCS) {
    const facts = catalog.facts({ namespace: NAMESPACE, pvc });
    assert.ok(facts.view, `${when}: ${pvc} has a view`);
    const want = expected.get(pvc) ?? [];
    const got = facts.view.snapshots.map((s) => s.id).sort();
    assert.deepEqual(got, want.map((s) => s.id).sort(), `${when}: snapshots of ${pvc}`);
    const d = decide({ facts, nowMs: catalog.now(), staleAfterMs: catalog.staleAfterMs });
    const newest = [...want].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
    if (newest) {
      assert.equal(d.decision, 'restore', `${when}: ${pvc} ${d.message}`);
      assert.equal(d.newest?.id, newest.id, `${when}: newest snapshot of ${pvc}`);
    } else {
      assert.equal(d.decision, 'fresh', `${when}: ${pvc} has no snapshot in kopia's listing: ${d.message}`);
    }
  }
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lifeboat-maint-race-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Format 3 (what the VolSync mover creates): the epoch index manager; maintenance writes new index blobs (`x`) and
 * deletes the packs (`p`, `q`) whose contents it rewrote or dropped. Format 1: the legacy index; maintenance also
 * compacts the index blobs (`n`) and deletes the ones it replaced.
 */
const FORMATS: { formatVersion: 1 | 3; replacedIndexPrefix?: string }[] = [
  { formatVersion: 3 },
  { formatVersion: 1, replacedIndexPrefix: 'n' },
];

describe('catalog refreshes racing real kopia full maintenance', () => {
  for (const { formatVersion, replacedIndexPrefix } of FORMATS) {
    it(`format ${formatVersion}: every refresh equals kopia snapshot list --all, or fails cleanly keeping the same good view`, async (t) => {
      repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, formatVersion });
      t.after(() => repo.cleanup());
      for (const pvc of ['p0', 'p1', 'p2', 'p3', 'gone', 'gone']) await backUp(pvc);
      await raceMaintenance(t, replacedIndexPrefix);
    });
  }
});

async function raceMaintenance(t: { diagnostic(message: string): void }, replacedIndexPrefix: string | undefined) {
  const catalog = new Catalog({
    source: kopiaSource({
      location: { kind: 'filesystem', path: repo.repoPath as string },
      credentials: async () => ({ password: repo.password }),
    }),
  });
  const tally: Tally = { refreshes: 0, failed: 0, failures: new Set(), vanished: 0 };
  let maintenanceRuns = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Churn, with no refresh running: new data for every backed-up PVC, the oldest snapshots of two deleted.
      for (const pvc of ['p0', 'p1', 'p2', 'p3']) await backUp(pvc);
      const before = await truth();
      const doomed = [
        ...(round === 1 ? (before.get('gone') ?? []) : []),
        ...['p0', 'p1'].flatMap((pvc) => (before.get(pvc) ?? []).slice(0, 1)),
      ];
      await repo.deleteSnapshots(doomed.map((s) => s.id));
      const expected = await truth();
      assert.deepEqual(expected.get('gone'), [], 'gone has no snapshot left');

      const settled = await catalog.refresh();
      assert.equal(settled.result, 'success', `round ${round}: the refresh before maintenance`);
      assertMatches(catalog, expected, `round ${round}, before maintenance`);

      const blobsBefore = await packsAndIndexes();
      // The race: maintenance runs back to back; refreshes back to back until they are done, at least three.
      let done = false;
      const maintenance = (async () => {
        try {
          for (let i = 0; i < MAINTENANCE_RUNS_PER_ROUND; i++) {
            await repo.maintenance({ full: true, safety: 'none' });
            maintenanceRuns++;
          }
        } finally {
          done = true;
        }
      })();
      let during = 0;
      while (!done || during < 3) {
        const report = await catalog.refresh();
        during++;
        tally.refreshes++;
        if (report.result !== 'success') {
          tally.failed++;
          const failure = catalog.facts({ namespace: NAMESPACE, pvc: 'p0' }).lastFailure;
          assert.ok(failure, 'a failed refresh records why');
          tally.failures.add(`${failure.code}: ${failure.message.slice(0, 120)}`);
        }
        assertMatches(catalog, expected, `round ${round}, refresh ${during} during maintenance (${report.result})`);
      }
      await maintenance;
      // Maintenance did rewrite the repository under the reader: packs and index blobs it had listed are gone.
      const blobsAfter = await packsAndIndexes();
      const vanished = [...blobsBefore].filter((b) => !blobsAfter.has(b));
      assert.ok(
        vanished.some((b) => /^[pq]/.test(b)),
        `round ${round}: maintenance deleted packs`,
      );
      if (replacedIndexPrefix) {
        assert.ok(
          vanished.some((b) => b.startsWith(replacedIndexPrefix)),
          `round ${round}: maintenance replaced index blobs`,
        );
      }
      tally.vanished += vanished.length;

      const afterwards = await catalog.refresh();
      assert.equal(afterwards.result, 'success', `round ${round}: the refresh after maintenance`);
      assertMatches(catalog, await truth(), `round ${round}, after maintenance`);
    }
  } finally {
    await catalog.stop();
  }
  assert.equal(maintenanceRuns, ROUNDS * MAINTENANCE_RUNS_PER_ROUND);
  t.diagnostic(
    `${maintenanceRuns} full maintenance runs (deleting ${tally.vanished} pack and index blobs) raced ` +
      `${tally.refreshes} refreshes: ${tally.refreshes - tally.failed} ` +
      `matched kopia's listing, ${tally.failed} failed cleanly${tally.failures.size ? ` (${[...tally.failures].join('; ')})` : ''}`,
  );
}
