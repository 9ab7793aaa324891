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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../../src/catalog/catalog.ts';
import { kopiaSource } from '../../src/catalog/kopia-source.ts';
import { decide } from '../../src/decision/decide.ts';
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
const ROUNDS = 4;
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

interface Tally {
  refreshes: number;
  failed: number;
  failures: Set<string>;
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
  repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
  for (const pvc of ['p0', 'p1', 'p2', 'p3', 'gone', 'gone']) await backUp(pvc);
});
after(async () => {
  await repo?.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('catalog refreshes racing real kopia full maintenance', () => {
  it('every refresh equals kopia snapshot list --all, or fails cleanly keeping the same good view', async (t) => {
    const catalog = new Catalog({
      source: kopiaSource({
        location: { kind: 'filesystem', path: repo.repoPath as string },
        credentials: async () => ({ password: repo.password }),
      }),
    });
    const tally: Tally = { refreshes: 0, failed: 0, failures: new Set() };
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

        const afterwards = await catalog.refresh();
        assert.equal(afterwards.result, 'success', `round ${round}: the refresh after maintenance`);
        assertMatches(catalog, await truth(), `round ${round}, after maintenance`);
      }
    } finally {
      await catalog.stop();
    }
    // Maintenance did rewrite the repository under the reader: deleted packs and index blobs are gone.
    assert.equal(maintenanceRuns, ROUNDS * MAINTENANCE_RUNS_PER_ROUND);
    t.diagnostic(
      `${maintenanceRuns} full maintenance runs raced ${tally.refreshes} refreshes: ${tally.refreshes - tally.failed} ` +
        `matched kopia's listing, ${tally.failed} failed cleanly${tally.failures.size ? ` (${[...tally.failures].join('; ')})` : ''}`,
    );
  });
});
