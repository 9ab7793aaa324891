import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureCode, PvcFacts } from '../catalog/view.ts';
import type { Snapshot } from '../repository/types.ts';
import { type DecisionCause, type DecisionValue, decide, type ExpectedHistory, REMEDIES } from './decide.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const STALE = 5 * 60_000;

function snap(id: string, time: string, incomplete = false): Snapshot {
  return { id, time, timeMs: Date.parse(time), ...(incomplete ? { incomplete: true } : {}) };
}

const OLD = snap('aaaa', '2026-04-29T02:00:00.000Z');
const NEW = snap('bbbb', '2026-04-30T02:00:00.000Z');
const CHECKPOINT = snap('cccc', '2026-05-01T02:00:00.000Z', true);

interface Case {
  name: string;
  view?: Partial<NonNullable<PvcFacts['view']>> | 'none';
  failure?: { code: FailureCode; agoMs: number };
  previouslyHad?: boolean;
  expected?: ExpectedHistory;
  identity?: Pick<
    PvcFacts,
    'sharedRepository' | 'expectedRepository' | 'firstInstall' | 'pinnedRepositoriesGone' | 'driftedSources'
  >;
  want: DecisionValue;
  cause: DecisionCause;
  newest?: string;
  restorePoints?: number;
  message?: RegExp;
}

function facts(c: Case): PvcFacts {
  const f: PvcFacts = {
    namespace: 'karakeep',
    pvc: 'data-pvc',
    backend: 'kopia-fs',
    source: 'data-pvc-backup@karakeep:/data',
    repository: '/repository',
    repositoryPreviouslyHadSnapshots: c.previouslyHad ?? false,
    ...c.identity,
  };
  if (c.view !== 'none') {
    const v = c.view ?? {};
    f.view = {
      observedAtMs: NOW - 10_000,
      repositoryExists: true,
      snapshots: [],
      repositorySnapshotCount: 7,
      repositoryId: 'ID-A',
      ...v,
    };
  }
  if (c.failure) {
    f.lastFailure = { code: c.failure.code, message: 'the test said so', atMs: NOW - c.failure.agoMs };
  }
  return f;
}

const cases: Case[] = [
  {
    name: 'complete snapshots → restore from the newest',
    view: { snapshots: [NEW, OLD] },
    want: 'restore',
    cause: 'snapshots-found',
    newest: 'bbbb',
    restorePoints: 2,
    message: /2 restore points .* newest is bbbb from 2026-04-30T02:00:00.000Z/,
  },
  {
    name: 'a newer checkpoint is never the restore point',
    view: { snapshots: [CHECKPOINT, NEW] },
    want: 'restore',
    cause: 'snapshots-found',
    newest: 'bbbb',
    restorePoints: 1,
  },
  {
    name: 'readable repository without this PVC → fresh',
    view: { snapshots: [] },
    want: 'fresh',
    cause: 'no-snapshots',
    restorePoints: 0,
  },
  {
    name: 'initialised repository with zero snapshots → fresh',
    view: { snapshots: [], repositorySnapshotCount: 0 },
    want: 'fresh',
    cause: 'no-snapshots',
  },
  {
    name: 'no repository at a reachable location → fresh, never backed up',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    want: 'fresh',
    cause: 'repository-not-found',
    message: /never backed up/,
  },
  {
    name: 'only an unfinished checkpoint → unknown, not fresh',
    view: { snapshots: [CHECKPOINT] },
    want: 'unknown',
    cause: 'only-incomplete-snapshots',
    restorePoints: 0,
  },
  { name: 'nothing read yet → catalog-not-loaded', view: 'none', want: 'unknown', cause: 'catalog-not-loaded' },
  ...(
    [
      ['wrong-password', 'wrong-password'],
      ['unreachable', 'repository-unreachable'],
      ['corrupt', 'corrupt'],
      ['timeout', 'timeout'],
      ['access-denied', 'access-denied'],
      ['unsupported', 'unsupported'],
      ['backend-error', 'backend-error'],
      ['credentials-missing', 'credentials-missing'],
      ['internal-error', 'internal-error'],
      // a reader must report "not found" as a successful read; arriving as a failure it is not proof of absence
      ['repository-not-found', 'backend-error'],
    ] as const
  ).map(
    ([code, cause]): Case => ({
      name: `never read, last attempt ${code} → unknown ${cause}`,
      view: 'none',
      failure: { code, agoMs: 1000 },
      want: 'unknown',
      cause,
      message: new RegExp(`^${cause}: .*the test said so`),
    }),
  ),
  {
    name: 'a failed refresh keeps the previous good view while it is recent',
    view: { snapshots: [NEW], observedAtMs: NOW - 60_000 },
    failure: { code: 'unreachable', agoMs: 1000 },
    want: 'restore',
    cause: 'snapshots-found',
  },
  {
    name: 'a failed refresh keeps a recent fresh answer too',
    view: { snapshots: [], observedAtMs: NOW - 60_000 },
    failure: { code: 'timeout', agoMs: 1000 },
    want: 'fresh',
    cause: 'no-snapshots',
  },
  {
    name: 'past the staleness bound with failing refreshes → unknown with the failure as cause',
    view: { snapshots: [NEW], observedAtMs: NOW - STALE - 1 },
    failure: { code: 'wrong-password', agoMs: 1000 },
    want: 'unknown',
    cause: 'wrong-password',
    message: /5 min old .*reading it again failed: the test said so/,
  },
  {
    name: 'past the staleness bound without a failure (refreshes stuck) → catalog-stale',
    view: { snapshots: [NEW], observedAtMs: NOW - STALE - 1 },
    want: 'unknown',
    cause: 'catalog-stale',
  },
  {
    name: 'a stale fresh answer is unknown as well',
    view: { snapshots: [], observedAtMs: NOW - 3_600_000 },
    want: 'unknown',
    cause: 'catalog-stale',
  },
  {
    name: 'exactly at the staleness bound is still trusted',
    view: { snapshots: [NEW], observedAtMs: NOW - STALE },
    want: 'restore',
    cause: 'snapshots-found',
  },
  {
    name: 'history expected but none found → history-missing',
    view: { snapshots: [] },
    expected: { hadSnapshots: true, lastSnapshotId: 'bbbb', lastSnapshotTime: NEW.time },
    want: 'unknown',
    cause: 'history-missing',
    message: /last recorded: bbbb from 2026-04-30/,
  },
  {
    name: 'history expected but the repository is gone → history-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    expected: { hadSnapshots: true },
    want: 'unknown',
    cause: 'history-missing',
  },
  {
    name: 'history expected and found → restore',
    view: { snapshots: [NEW] },
    expected: { hadSnapshots: true },
    want: 'restore',
    cause: 'snapshots-found',
  },
  {
    name: 'no history expected and none found → fresh',
    view: { snapshots: [] },
    expected: { hadSnapshots: false },
    want: 'fresh',
    cause: 'no-snapshots',
  },
  {
    name: 'a repository that emptied since an earlier read → repository-empty-unexpectedly',
    view: { snapshots: [], repositorySnapshotCount: 0 },
    previouslyHad: true,
    want: 'unknown',
    cause: 'repository-empty-unexpectedly',
    message: /holds no snapshot at all/,
  },
  {
    name: 'a repository that vanished since an earlier read → repository-empty-unexpectedly',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    previouslyHad: true,
    want: 'unknown',
    cause: 'repository-empty-unexpectedly',
    message: /no longer exists/,
  },
  {
    name: 'a shared repository with other sources still counts as readable → fresh for a new PVC',
    view: { snapshots: [], repositorySnapshotCount: 3 },
    previouslyHad: true,
    want: 'fresh',
    cause: 'no-snapshots',
  },
  // Missing repositories (a wrong path, bucket or prefix, an empty directory where a mount should be).
  {
    name: 'shared repository missing, no first installation declared → repository-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: true },
    want: 'unknown',
    cause: 'repository-missing',
    message: /no first installation was declared/,
  },
  {
    name: 'shared repository missing on a declared first installation → fresh',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: true, firstInstall: true },
    want: 'fresh',
    cause: 'repository-not-found',
    message: /repository.firstInstall/,
  },
  {
    name: 'a recorded repository gone, even with firstInstall still set → repository-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: true, firstInstall: true, expectedRepository: { id: 'ID-A', from: 'recorded' } },
    want: 'unknown',
    cause: 'repository-missing',
    message: /repository ID-A was recorded there/,
  },
  {
    name: 'the expected ID from the config and no repository (rebuild, wrong mount) → repository-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: true, expectedRepository: { id: 'ID-A', from: 'config' } },
    want: 'unknown',
    cause: 'repository-missing',
    message: /expected there \(repository.expectedId\)/,
  },
  {
    name: 'per-PVC repository missing → fresh, never backed up',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: false },
    want: 'fresh',
    cause: 'repository-not-found',
    message: /never backed up/,
  },
  {
    name: 'per-PVC repository missing while its own was recorded → repository-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: false, expectedRepository: { id: 'ID-A', from: 'recorded' } },
    want: 'unknown',
    cause: 'repository-missing',
  },
  {
    name: 'per-PVC repository missing and the whole root empty although repositories were recorded → repository-missing',
    view: { repositoryExists: false, repositorySnapshotCount: 0 },
    identity: { sharedRepository: false, pinnedRepositoriesGone: 3 },
    want: 'unknown',
    cause: 'repository-missing',
    message: /holds no repository at all, although 3 were recorded/,
  },
  // Another repository at the same location.
  {
    name: 'another repository than the recorded one → repository-changed, even with snapshots',
    view: { snapshots: [NEW], repositoryId: 'ID-B' },
    identity: { sharedRepository: true, expectedRepository: { id: 'ID-A', from: 'recorded' } },
    want: 'unknown',
    cause: 'repository-changed',
    message: /has ID ID-B, but lifeboat recorded ID-A/,
    restorePoints: 1,
  },
  {
    name: 'another repository than the configured expectedId → repository-changed',
    view: { snapshots: [], repositoryId: 'ID-B' },
    identity: { sharedRepository: true, expectedRepository: { id: 'ID-A', from: 'config' } },
    want: 'unknown',
    cause: 'repository-changed',
    message: /repository.expectedId is ID-A/,
  },
  {
    name: 'the recorded repository → restore as usual',
    view: { snapshots: [NEW], repositoryId: 'ID-A' },
    identity: { sharedRepository: true, expectedRepository: { id: 'ID-A', from: 'recorded' } },
    want: 'restore',
    cause: 'snapshots-found',
  },
  {
    name: 'the recorded repository without this PVC → fresh',
    view: { snapshots: [], repositoryId: 'ID-A' },
    identity: { sharedRepository: true, expectedRepository: { id: 'ID-A', from: 'config' } },
    want: 'fresh',
    cause: 'no-snapshots',
  },
  // Identity drift.
  {
    name: 'snapshots of this PVC under another identity shape → identity-mismatch naming the source',
    view: { snapshots: [] },
    identity: {
      sharedRepository: true,
      driftedSources: [{ source: 'data-pvc@karakeep:/data', snapshots: 4, newest: NEW.time }],
    },
    want: 'unknown',
    cause: 'identity-mismatch',
    message: /source data-pvc@karakeep:\/data \(4 snapshot\(s\), newest 2026-04-30/,
  },
  {
    name: 'identity drift explains missing history better than history-missing',
    view: { snapshots: [] },
    expected: { hadSnapshots: true },
    identity: { driftedSources: [{ source: 'data-pvc@karakeep:/data', snapshots: 1 }] },
    want: 'unknown',
    cause: 'identity-mismatch',
  },
  {
    name: 'snapshots under the template identity win over drifted ones → restore',
    view: { snapshots: [NEW] },
    identity: { driftedSources: [{ source: 'data-pvc@karakeep:/data', snapshots: 4 }] },
    want: 'restore',
    cause: 'snapshots-found',
  },
  {
    name: 'a drifted source with only checkpoints does not block fresh',
    view: { snapshots: [] },
    identity: { driftedSources: [{ source: 'data-pvc@karakeep:/data', snapshots: 0 }] },
    want: 'fresh',
    cause: 'no-snapshots',
  },
];

describe('decide', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = decide({
        facts: facts(c),
        nowMs: NOW,
        staleAfterMs: STALE,
        ...(c.expected ? { expected: c.expected } : {}),
      });
      assert.equal(d.decision, c.want);
      assert.equal(d.cause, c.cause);
      assert.equal(d.authoritative, c.want !== 'unknown');
      assert.ok(d.message.startsWith(`${c.cause}: `), d.message);
      if (c.newest !== undefined) assert.equal(d.newest?.id, c.newest);
      if (c.want !== 'restore') assert.equal(d.newest, undefined);
      if (c.restorePoints !== undefined) assert.equal(d.snapshots.length, c.restorePoints);
      for (const s of d.snapshots) assert.notEqual(s.incomplete, true);
      if (c.message) assert.match(d.message, c.message);
    });
  }

  it('ends every unknown message with the remedy for its cause', () => {
    for (const c of cases.filter((x) => x.want === 'unknown')) {
      const d = decide({
        facts: facts(c),
        nowMs: NOW,
        staleAfterMs: STALE,
        ...(c.expected ? { expected: c.expected } : {}),
      });
      assert.ok(d.cause in REMEDIES);
      assert.ok(d.message.endsWith(REMEDIES[d.cause as keyof typeof REMEDIES]), d.message);
    }
  });

  it('reports checkpoints separately and the age of the facts', () => {
    const d = decide({
      facts: facts({
        name: '',
        view: { snapshots: [CHECKPOINT, NEW, OLD] },
        want: 'restore',
        cause: 'snapshots-found',
      }),
      nowMs: NOW,
      staleAfterMs: STALE,
    });
    assert.deepEqual(
      d.checkpoints.map((s) => s.id),
      ['cccc'],
    );
    assert.deepEqual(
      d.snapshots.map((s) => s.id),
      ['bbbb', 'aaaa'],
    );
    assert.equal(d.factsAgeMs, 10_000);
  });

  it('treats facts from a clock running ahead as age zero, not as stale', () => {
    const d = decide({
      facts: facts({
        name: '',
        view: { snapshots: [NEW], observedAtMs: NOW + 30_000 },
        want: 'restore',
        cause: 'snapshots-found',
      }),
      nowMs: NOW,
      staleAfterMs: STALE,
    });
    assert.equal(d.decision, 'restore');
    assert.equal(d.factsAgeMs, 0);
  });
});
