/**
 * The restore-drill controller's mechanics against a real API server (its own control plane) and a real kopia
 * repository written by the kopia binary: which drills start under the caps, what they create, how a finished drill
 * is recorded and cleaned up, and what a restarted controller does with a drill left half-created or overdue.
 *
 * Played here: VolSync (the test writes the drill restore point's `latestMoverStatus` through the status
 * subresource), the Job controller and kubelet (the test creates the verification Pod with the drill's label and writes
 * its termination message), and the PVC controller (the test applies the persistent ReplicationDestination as it
 * generates it). No controller-manager runs, so deleted PVCs keep their protection finalizer: "deleted" means a
 * deletionTimestamp. Real twin: test/integration/realnode-drills.test.ts runs the same drills with the real VolSync,
 * movers, populator, Job controller and kubelet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { RESTORE_DRILL_ANNOTATION, RESTORE_PROVEN_ANNOTATION } from '../../src/config/keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DrillController } from '../../src/controller/drill-controller.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { DRILL_SELECTOR, parseDrillRecord, parseDrillSpec, parseProof } from '../../src/plan/drill.ts';
import { VOLSYNC_API_VERSION } from '../../src/plan/objects.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import {
  controllerDestination,
  createPvc,
  getRd,
  type KopiaFixture,
  kopiaFixture,
  mergePatch,
  namespace,
} from './operating-fixtures.ts';

const config = loadConfig('namespace: lifeboat-system\nverify: { concurrency: 1, perRepository: 1, timeout: 10m }');
let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let catalog: Catalog;
let clock = Date.parse('2026-05-20T12:00:00Z');
const snapshots: Record<string, { id: string; time: string }> = {};

function controller(registry = new Registry()) {
  return new DrillController({ kube, config, catalog, image: 'lifeboat:test', registry, now: () => clock });
}

/**
 * Every live (not deleting) drill object in `ns`. Pods are not counted: the Job is deleted with background
 * propagation, and no garbage collector runs here to delete its Pod (the real twin checks the Pods go too).
 */
async function liveDrillObjects(ns: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [apiVersion, kind] of [
    [VOLSYNC_API_VERSION, 'ReplicationDestination'],
    ['v1', 'PersistentVolumeClaim'],
    ['batch/v1', 'Job'],
  ] as const) {
    for (const o of await kube.list(apiVersion, kind, { namespace: ns, labelSelector: DRILL_SELECTOR })) {
      if (!o.metadata.deletionTimestamp) out.push(o);
    }
  }
  return out;
}

/** Plays VolSync finishing the drill's restore with the kopia mover's report. */
async function playMoverDone(ns: string, rd: string, result: 'Successful' | 'Failed', logs: string): Promise<void> {
  await mergePatch(
    kube,
    { apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationDestination', namespace: ns, name: rd },
    {
      status: {
        lastSyncTime: new Date(clock).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        latestMoverStatus: { result, logs },
      },
    },
    'status',
  );
}

/** Plays the Job controller and kubelet: the verification Pod, terminated with `message`. */
async function playVerifier(job: KubeObject, exitCode: number, message: string): Promise<void> {
  const ns = job.metadata.namespace as string;
  const name = `${job.metadata.name}-pod`;
  await kube.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { ...job.metadata.labels } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'verify', image: 'lifeboat:test' }] },
  } as KubeObject);
  await mergePatch(
    kube,
    { apiVersion: 'v1', kind: 'Pod', namespace: ns, name },
    {
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        containerStatuses: [
          {
            name: 'verify',
            image: 'lifeboat:test',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode, message, reason: exitCode === 0 ? 'Completed' : 'Error' } },
          },
        ],
      },
    },
    'status',
  );
}

async function drillOf(ns: string) {
  const objects = await liveDrillObjects(ns);
  const find = (kind: string) => objects.find((o) => o.kind === kind);
  return {
    rd: find('ReplicationDestination'),
    claim: find('PersistentVolumeClaim') as (KubeObject & { spec: Record<string, unknown> }) | undefined,
    job: find('Job'),
  };
}

before(async () => {
  [cp, kopia] = await Promise.all([startControlPlane({ crds: 'kopia-fork' }), kopiaFixture()]);
  kube = new KubeClient(cp.kubeConfig);
  for (const ns of ['one', 'caps', 'lifeboat-system']) await namespace(kube, ns, false);
  for (const ns of ['one', 'caps']) {
    await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
  }
  for (const [ns, pvc] of [
    ['one', 'data'],
    ['caps', 'a'],
    ['caps', 'b'],
  ] as const) {
    snapshots[`${ns}/${pvc}`] = await kopia.snapshot(ns, pvc, new Date(clock - 3_600_000));
    await createPvc(kube, ns, pvc, { labels: { backup: 'daily' } });
    await controllerDestination(kube, config, ns, pvc);
  }
  catalog = kopia.catalog();
  await catalog.refresh();
});

after(async () => {
  await catalog?.stop();
  kube?.close();
  await cp?.stop();
  await kopia?.repo.cleanup();
});

describe('restore drills against a real API server', { timeout: 300_000 }, () => {
  it('starts the due drill: a restore point pinned to the newest snapshot, a scratch PVC from it, the Job', async () => {
    const before = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'one', name: 'data' });
    const reports = await controller().runPass({ only: new Set(['one/data']) });
    assert.deepEqual(
      reports.map((r) => [r.key, r.action]),
      [['one/data', 'started']],
    );
    const { rd, claim, job } = await drillOf('one');
    assert.ok(rd && claim && job, 'restore point, scratch PVC and Job exist');
    const spec = parseDrillSpec(rd.metadata.annotations?.['lifeboat.dev/drill-spec']);
    assert.equal(spec?.snapshotId, snapshots['one/data']?.id);
    assert.equal(spec?.fileCount, 1, 'the file count of the snapshot summary, as the catalog read it');
    assert.deepEqual(claim.spec.dataSourceRef, {
      apiGroup: 'volsync.backube',
      kind: 'ReplicationDestination',
      name: rd.metadata.name,
    });
    const after = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'one', name: 'data' });
    assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion, 'the drilled PVC is untouched');
  });

  it('waits while the mover runs, then records the proof once the scan matches, and deletes everything', async () => {
    const registry = new Registry();
    const c = controller(registry);
    const series = async (name: string) =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []).filter(
        (v) => v.labels.namespace === 'one' && v.labels.pvc === 'data',
      );
    const pending = await c.runPass({ judgeOnly: true });
    assert.deepEqual(
      pending.map((r) => r.action),
      ['running'],
    );
    // Never proven yet: the alert on old proofs reads when lifeboat began protecting it instead.
    const standby = await getRd(kube, 'one', 'data-restore');
    assert.deepEqual(
      (await series('lifeboat_restore_unproven_since_timestamp_seconds')).map((v) => v.value),
      [Date.parse(standby?.metadata.creationTimestamp ?? '') / 1000],
    );
    assert.deepEqual(await series('lifeboat_restore_proven_timestamp_seconds'), []);
    const { rd, job } = await drillOf('one');
    assert.ok(rd && job);
    const spec = parseDrillSpec(rd.metadata.annotations?.['lifeboat.dev/drill-spec']);
    await playMoverDone('one', rd.metadata.name, 'Successful', `Selected snapshot with id: ${spec?.snapshotId}\n`);
    await playVerifier(
      job,
      0,
      JSON.stringify({ files: spec?.fileCount, bytes: spec?.sizeBytes, unreadable: 0, errors: [] }),
    );
    clock += 60_000;
    const done = await c.runPass({ judgeOnly: true });
    assert.deepEqual(
      done.map((r) => [r.action, r.outcome]),
      [['finished', 'passed']],
      JSON.stringify(done),
    );
    assert.deepEqual(await liveDrillObjects('one'), []);
    const persistent = await getRd(kube, 'one', 'data-restore');
    const proof = parseProof(persistent?.metadata.annotations?.[RESTORE_PROVEN_ANNOTATION]);
    assert.deepEqual(proof, { atMs: clock, snapshotId: spec?.snapshotId });
    assert.deepEqual(
      (await series('lifeboat_restore_proven_timestamp_seconds')).map((v) => v.value),
      [clock / 1000],
    );
    assert.deepEqual(
      await series('lifeboat_restore_unproven_since_timestamp_seconds'),
      [],
      'proven: no longer unproven',
    );
    assert.equal(parseDrillRecord(persistent?.metadata.annotations?.[RESTORE_DRILL_ANNOTATION])?.outcome, 'passed');
    // Not due again until its next moment.
    assert.deepEqual(await controller().runPass({ only: new Set(['one/data']) }), []);
  });

  it('respects verify.concurrency: one drill at a time, the other held and started after', async () => {
    const c = controller();
    const first = await c.runPass({ only: new Set(['caps/a', 'caps/b']) });
    assert.deepEqual(first.map((r) => r.key).sort(), ['caps/a', 'caps/b']);
    assert.equal(first.filter((r) => r.action === 'started').length, 1);
    assert.match(first.find((r) => r.action === 'held')?.message ?? '', /1 restore drills in flight \(cap 1\)/);
    const again = await c.runPass({ only: new Set(['caps/a', 'caps/b']) });
    assert.deepEqual(again.map((r) => r.action).sort(), ['held', 'running']);
    assert.equal((await drillOf('caps')).rd !== undefined, true);
  });

  it('a drill that outlives verify.timeout ends as timed-out, says where it waited, and is deleted', async () => {
    clock += 11 * 60_000;
    const reports = await controller().runPass({ judgeOnly: true });
    const ended = reports.find((r) => r.key.startsWith('caps/'));
    assert.equal(ended?.outcome, 'timed-out', JSON.stringify(reports));
    assert.match(ended?.message ?? '', /did not finish within 10 min: the mover has not restored the snapshot yet/);
    assert.deepEqual(await liveDrillObjects('caps'), []);
    const key = ended?.key as string;
    const persistent = await getRd(kube, 'caps', `${key.split('/')[1]}-restore`);
    assert.equal(parseDrillRecord(persistent?.metadata.annotations?.[RESTORE_DRILL_ANNOTATION])?.outcome, 'timed-out');
    assert.equal(persistent?.metadata.annotations?.[RESTORE_PROVEN_ANNOTATION], undefined, 'no proof from a failure');
  });

  it('a restarted controller deletes a drill left half-created, and runs the drill again', async () => {
    const c = controller();
    const started = await c.runPass({ only: new Set(['caps/a', 'caps/b']) });
    const key = started.find((r) => r.action === 'started')?.key;
    assert.ok(key);
    // lifeboat stopped between the creates: the Job never made it.
    const { job } = await drillOf('caps');
    assert.ok(job);
    await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'caps', name: job.metadata.name });
    clock += 2 * 60_000;
    const restarted = controller();
    const reports = await restarted.runPass({ judgeOnly: true });
    assert.deepEqual(
      reports.map((r) => [r.key, r.action]),
      [[key, 'cleaned']],
    );
    assert.match(reports[0]?.message ?? '', /incomplete .* runs again when due/);
    assert.deepEqual(await liveDrillObjects('caps'), []);
  });
});
