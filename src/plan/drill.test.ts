import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import {
  buildDrill,
  type DrillCandidate,
  drillDue,
  drillOffsetMs,
  formatDrillRecord,
  formatProof,
  latestDrillSlotMs,
  parseDrillRecord,
  parseDrillSpec,
  parseProof,
  planDrills,
} from './drill.ts';
import { generatedNames } from './names.ts';
import { buildRestorePoint, restorePointName } from './restore-point.ts';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const NOW = Date.parse('2026-03-04T12:00:00Z');

describe('restore drills: schedule', () => {
  it('spreads PVCs over the week, each at a stable moment', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => drillOffsetMs('ns', `pvc-${i}`, WEEK));
    assert.deepEqual(
      offsets,
      Array.from({ length: 200 }, (_, i) => drillOffsetMs('ns', `pvc-${i}`, WEEK)),
    );
    const days = new Set(offsets.map((o) => Math.floor(o / DAY)));
    assert.equal(days.size, 7, 'every day of the week gets drills');
    for (const o of offsets) assert.ok(o >= 0 && o < WEEK);
    const slot = latestDrillSlotMs('ns', 'pvc-1', WEEK, NOW);
    assert.ok(slot <= NOW && NOW - slot < WEEK);
    assert.equal((slot - drillOffsetMs('ns', 'pvc-1', WEEK)) % WEEK, 0);
  });

  const verify = { enabled: true, interval: WEEK };
  const slot = latestDrillSlotMs('ns', 'db', WEEK, NOW);
  const record = (atMs: number) => ({
    outcome: 'passed',
    at: new Date(atMs).toISOString(),
    snapshotId: 's',
    message: '',
  });
  const cases: { name: string; input: Partial<Parameters<typeof drillDue>[0]>; want: ReturnType<typeof drillDue> }[] = [
    { name: 'never drilled', input: {}, want: { due: true, reason: 'never', sinceMs: 0 } },
    { name: 'drilled after its latest moment', input: { last: record(slot + 1) }, want: { due: false } },
    {
      name: 'drilled before its latest moment',
      input: { last: record(slot - 1) },
      want: { due: true, reason: 'scheduled', sinceMs: slot },
    },
    {
      name: 'requested after the last drill',
      input: { last: record(NOW - 10), requested: new Date(NOW - 5).toISOString() },
      want: { due: true, reason: 'requested', sinceMs: NOW - 5 },
    },
    {
      name: 'request already served',
      input: { last: record(slot + 10), requested: new Date(slot + 5).toISOString() },
      want: { due: false },
    },
    { name: 'scheduled drills off', input: { verify: { enabled: false, interval: WEEK } }, want: { due: false } },
    {
      name: 'scheduled drills off, on demand still works',
      input: { verify: { enabled: false, interval: WEEK }, requested: new Date(NOW).toISOString() },
      want: { due: true, reason: 'requested', sinceMs: NOW },
    },
    {
      name: 'an unreadable request is ignored',
      input: { last: record(slot + 1), requested: 'soon' },
      want: { due: false },
    },
  ];
  for (const c of cases) {
    it(`due: ${c.name}`, () => {
      assert.deepEqual(drillDue({ namespace: 'ns', pvc: 'db', nowMs: NOW, verify, ...c.input }), c.want);
    });
  }

  it('keeps records and proofs readable, and ignores hand-edited ones', () => {
    const r = { outcome: 'counts-differ', at: '2026-03-04T12:00:00.000Z', snapshotId: 'k1', message: 'm' };
    assert.deepEqual(parseDrillRecord(formatDrillRecord(r)), r);
    const named = { id: 'a1b2c3d4', ...r };
    assert.deepEqual(parseDrillRecord(formatDrillRecord(named)), named, 'the id of the drill it ended');
    assert.equal(parseDrillRecord('passed yesterday'), undefined);
    assert.equal(formatProof(NOW, 'k1'), '2026-03-04T12:00:00Z k1');
    assert.deepEqual(parseProof('2026-03-04T12:00:00Z k1'), { atMs: NOW, snapshotId: 'k1' });
    assert.equal(parseProof('k1'), undefined);
  });
});

describe('restore drills: caps', () => {
  const c = (
    key: string,
    repository: string,
    reason: 'requested' | 'never' | 'scheduled',
    sinceMs = 0,
  ): DrillCandidate => ({
    key,
    repository,
    due: { due: true, reason, sinceMs },
  });
  it('starts requested drills first, then the longest overdue, within both caps', () => {
    const plan = planDrills(
      [
        c('a/1', 'r1', 'scheduled', 5),
        c('a/2', 'r1', 'scheduled', 1),
        c('b/1', 'r2', 'requested', 9),
        c('c/1', 'r3', 'never'),
      ],
      [],
      { concurrency: 2, perRepository: 1 },
    );
    assert.deepEqual(plan.start, ['b/1', 'c/1']);
    assert.deepEqual(
      plan.held.map((h) => h.key),
      ['a/2', 'a/1'],
    );
    assert.match(plan.held[0]?.why ?? '', /2 restore drills in flight \(cap 2\)/);
  });

  it('counts running drills against both caps, and never starts a second drill of one PVC', () => {
    const plan = planDrills(
      [c('a/1', 'shared', 'never'), c('a/2', 'shared', 'never'), c('b/1', 'other', 'never')],
      [{ key: 'a/1', repository: 'shared' }],
      { concurrency: 3, perRepository: 1 },
    );
    assert.deepEqual(plan.start, ['b/1']);
    assert.deepEqual(plan.held, [{ key: 'a/2', why: '1 restore drills in flight on shared (cap 1 per repository)' }]);
  });
});

describe('restore drills: objects', () => {
  const config = loadConfig('verify: { sentinel: .sentinel }');
  const pvc = {
    metadata: { name: 'data', namespace: 'app', uid: 'u1', labels: { backup: 'daily' } },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } },
  };
  const snapshot = {
    id: 'k0123',
    time: '2026-03-04T02:00:00.000Z',
    timeMs: Date.parse('2026-03-04T02:00:00Z'),
    fileCount: 10,
    sizeBytes: 4096,
  };
  const drill = buildDrill({
    config,
    pvc,
    namespace: 'app',
    snapshot,
    startedAtMs: NOW,
    repository: 'kopia:s3://bucket',
    image: 'ghcr.io/example/lifeboat:1.2.3',
    privilegedMovers: false,
    sentinel: '.sentinel',
  });

  it('pins the restore point exactly as a real restore of that snapshot does', () => {
    const real = buildRestorePoint(
      { config, pvc, namespace: 'app', names: generatedNames('data', config.naming) },
      {
        name: restorePointName('data', snapshot.id, config.naming),
        snapshotId: snapshot.id,
        snapshotTime: snapshot.time,
      },
      { capacity: '5Gi', accessModes: ['ReadWriteOnce'] },
    );
    assert.deepEqual(drill.destination.spec, real.spec);
    assert.notEqual(drill.destination.metadata.name, real.metadata.name);
    assert.match(drill.destination.metadata.name, /^data-restore-drill-[0-9a-f]{10}$/);
  });

  it('labels every object as the drill’s, and none as the PVC’s or for backup', () => {
    for (const o of [drill.destination, drill.claim, drill.job]) {
      assert.equal(o.metadata.labels['lifeboat.dev/drill'], drill.spec.id);
      assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'lifeboat');
      assert.equal(o.metadata.labels['lifeboat.dev/pvc'], undefined);
      assert.equal(o.metadata.labels['lifeboat.dev/restore-point'], undefined);
      assert.equal(o.metadata.labels.backup, undefined);
      assert.equal(o.metadata.annotations['lifeboat.dev/drill-of'], 'app/data');
      assert.deepEqual(parseDrillSpec(o.metadata.annotations['lifeboat.dev/drill-spec']), drill.spec);
    }
    assert.equal(drill.destination.metadata.annotations['lifeboat.dev/pvc-name'], undefined);
    assert.equal(drill.destination.metadata.ownerReferences, undefined);
  });

  it('fills a scratch PVC beside the original through the populator, never the original', () => {
    assert.equal(drill.claim.metadata.namespace, 'app');
    assert.notEqual(drill.claim.metadata.name, 'data');
    assert.deepEqual(drill.claim.spec, {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'fast',
      dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: drill.names.destination },
    });
  });

  it('verifies with lifeboat’s own image, read-only, least privilege', () => {
    const spec = drill.job.spec as { backoffLimit: number; template: { spec: Record<string, unknown> } };
    const pod = spec.template.spec as {
      automountServiceAccountToken: boolean;
      securityContext: Record<string, unknown>;
      containers: {
        image: string;
        args: string[];
        securityContext: Record<string, unknown>;
        volumeMounts: unknown[];
      }[];
      volumes: unknown[];
    };
    assert.equal(spec.backoffLimit, 0);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.securityContext, {
      runAsUser: 568,
      runAsGroup: 568,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [c] = pod.containers;
    assert.equal(c?.image, 'ghcr.io/example/lifeboat:1.2.3');
    assert.deepEqual(c?.args, [
      'verify-volume',
      '--path',
      '/data',
      '--expect-files',
      '10',
      '--expect-bytes',
      '4096',
      '--sentinel',
      '.sentinel',
    ]);
    assert.deepEqual(c?.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(c?.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
    assert.deepEqual(pod.volumes, [
      { name: 'data', persistentVolumeClaim: { claimName: drill.names.claim, readOnly: true } },
    ]);
  });

  it('reads as root with DAC_READ_SEARCH only where movers run privileged', () => {
    const d = buildDrill({
      config,
      pvc,
      namespace: 'app',
      snapshot,
      startedAtMs: NOW,
      repository: 'r',
      image: 'i',
      privilegedMovers: true,
    });
    const pod = (
      d.job.spec as {
        template: { spec: { securityContext: unknown; containers: { securityContext: unknown; args: string[] }[] } };
      }
    ).template.spec;
    assert.deepEqual(pod.securityContext, { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(pod.containers[0]?.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] },
    });
    assert.ok(!pod.containers[0]?.args.includes('--sentinel'));
  });

  it('gives every drill its own names, within Kubernetes limits', () => {
    const long = { ...pvc, metadata: { ...pvc.metadata, name: 'x'.repeat(63) } };
    const a = buildDrill({
      config,
      pvc: long,
      namespace: 'app',
      snapshot,
      startedAtMs: NOW,
      repository: 'r',
      image: 'i',
      privilegedMovers: false,
    });
    const b = buildDrill({
      config,
      pvc: long,
      namespace: 'app',
      snapshot,
      startedAtMs: NOW + 1,
      repository: 'r',
      image: 'i',
      privilegedMovers: false,
    });
    assert.notEqual(a.names.claim, b.names.claim);
    assert.ok(a.names.claim.length <= 63 && a.names.destination.length <= 51 && a.names.job.length <= 63);
  });
});
