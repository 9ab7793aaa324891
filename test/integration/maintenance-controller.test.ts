/**
 * The repository-maintenance controller against a real API server with the VolSync kopia fork's CRDs: the generated
 * KopiaMaintenance is accepted by the real schema without a field pruned, drift is repaired, the status the fork
 * writes becomes metrics and `lifeboat status`, and turning kopia off deletes lifeboat's objects and nothing else.
 *
 * The fork's controller does not run here: the test plays it by writing the KopiaMaintenance's `status` subresource
 * (lastMaintenanceTime, maintenanceFailures, the Ready condition), exactly the fields its reconciler patches. It also
 * plays the External Secrets Operator writing a Secret for an ExternalSecret (labels copied, owner reference set).
 * Real twin: none yet — the real node runs the fork's controller, but no test there runs a KopiaMaintenance (issue 10).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load.ts';
import type { LifeboatConfig } from '../../src/config/types.ts';
import { detectCapabilities } from '../../src/controller/capabilities.ts';
import { isSubset } from '../../src/controller/drift.ts';
import { MaintenanceController } from '../../src/controller/maintenance-controller.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { MAINTENANCE_NAME, planMaintenance } from '../../src/plan/maintenance.ts';
import { collectLedgerInput } from '../../src/status/collect.ts';
import { sharedControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';

const NS = 'maint-lifeboat';
const VOLSYNC = 'volsync.backube/v1alpha1';
const KM = { apiVersion: VOLSYNC, kind: 'KopiaMaintenance', namespace: NS, name: MAINTENANCE_NAME };
const SECRET = { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: MAINTENANCE_NAME };
const NFS = 'nfs: {server: 192.0.2.10, path: /export/volsync}';
let kube: KubeClient;
const running: { controller: MaintenanceController; events: EventRecorder }[] = [];

type LiveKm = KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };

function config(repository = `{${NFS}}`): LifeboatConfig {
  return loadConfig(`namespace: ${NS}\nrepository: ${repository}\nmover: {cacheCapacity: 3Gi}\nsweeps: {resync: 1h}`);
}

async function start(c: LifeboatConfig) {
  const registry = new Registry();
  const events = new EventRecorder(kube, { reportingInstance: 'test', registry });
  const source = await kube.get<KubeObject & { data: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: NS,
    name: 'lifeboat-repository',
  });
  const controller = new MaintenanceController({
    kube,
    config: c,
    capabilities: await detectCapabilities(kube),
    sourceSecret: () => (source ? { state: 'found', data: source.data } : { state: 'not-found' }),
    events,
    registry,
  });
  await controller.start();
  running.push({ controller, events });
  return { controller, registry };
}

async function stopAll() {
  for (const { controller, events } of running.splice(0)) {
    await controller.stop();
    await events.close();
  }
}

/** A merge patch under a field manager of the test's choosing (a person with kubectl, or the fork's controller). */
async function mergePatch(body: unknown, opts: { subresource?: string; fieldManager: string }) {
  const path = await kube.resources.objectPath(VOLSYNC, 'KopiaMaintenance', MAINTENANCE_NAME, NS);
  await kube.http.request('PATCH', opts.subresource ? `${path}/${opts.subresource}` : path, {
    query: { fieldManager: opts.fieldManager },
    contentType: 'application/merge-patch+json',
    body,
  });
}

/** The value of a sample in the registry's exposition, or undefined when the series is absent. */
async function sample(registry: Registry, series: RegExp): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => series.test(l));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

before(async () => {
  const { kubeConfig } = await sharedControlPlane();
  kube = new KubeClient(kubeConfig);
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'lifeboat-repository', namespace: NS },
    data: { KOPIA_PASSWORD: Buffer.from('test-only-password').toString('base64') },
  });
  // Someone's own KopiaMaintenance in the same namespace: lifeboat must never touch it.
  await kube.apply({
    apiVersion: VOLSYNC,
    kind: 'KopiaMaintenance',
    metadata: { name: 'hand-made', namespace: NS },
    spec: { repository: { repository: 'elsewhere' }, trigger: { schedule: '0 1 * * *' } },
  });
});
after(async () => {
  await stopAll();
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS });
});

describe('repository maintenance controller (real API server, fork CRDs)', () => {
  it('creates the KopiaMaintenance and its Secret as planned, accepted by the CRD without a pruned field', async () => {
    const c = config();
    const { controller, registry } = await start(c);
    const live = await eventually('KopiaMaintenance', () => kube.get<LiveKm>(KM));
    const secret = await eventually('Secret', () => kube.get<KubeObject & { data: Record<string, string> }>(SECRET));
    const desired = planMaintenance({
      config: c,
      cluster: await detectCapabilities(kube),
      sourceSecret: { state: 'found', data: { KOPIA_PASSWORD: Buffer.from('test-only-password').toString('base64') } },
      observed: [],
    }).apply;
    for (const object of desired) {
      const got = object.kind === 'KopiaMaintenance' ? live : secret;
      assert.ok(isSubset(object, got), `${object.kind} as applied holds every planned field`);
    }
    assert.deepEqual(live.spec.trigger, { schedule: '30 4 * * *' });
    assert.deepEqual(live.spec.podSecurityContext, {
      runAsUser: 568,
      runAsGroup: 568,
      fsGroup: 568,
      runAsNonRoot: true,
    });
    assert.deepEqual(live.spec.moverVolumes, [
      { mountPath: 'repository', volumeSource: { nfs: { server: '192.0.2.10', path: '/export/volsync' } } },
    ]);
    assert.equal(Buffer.from(secret.data.KOPIA_REPOSITORY ?? '', 'base64').toString(), 'filesystem:///mnt/repository');
    assert.equal(Buffer.from(secret.data.KOPIA_PASSWORD ?? '', 'base64').toString(), 'test-only-password');
    await eventually('report', async () => (controller.report?.status.result === 'pending' ? true : undefined));

    // Steady state: another reconcile writes nothing (what the API server stores reads back as no drift).
    const reconciles = /^controller_runtime_reconcile_total\{controller="maintenance",result="success"\}/;
    const before = (await sample(registry, reconciles)) ?? 0;
    controller.poke();
    await eventually('another reconcile', async () =>
      ((await sample(registry, reconciles)) ?? 0) > before ? true : undefined,
    );
    assert.equal(
      await sample(registry, /^lifeboat_objects_applied_total\{kind="KopiaMaintenance",reason="created"\}/),
      1,
    );
    assert.equal(
      await sample(registry, /^lifeboat_objects_applied_total\{kind="KopiaMaintenance",reason="repaired"\}/),
      undefined,
    );
    assert.equal(
      await sample(registry, /^lifeboat_objects_applied_total\{kind="Secret",reason="repaired"\}/),
      undefined,
    );
  });

  it('repairs a hand-edited schedule and user, and keeps fields it does not own', async () => {
    const { controller } = await start(config());
    await eventually('report', async () => controller.report);
    await mergePatch(
      {
        spec: {
          trigger: { schedule: '0 12 * * *' },
          podSecurityContext: { runAsUser: 1000 },
          activeDeadlineSeconds: 21600,
        },
      },
      { fieldManager: 'kubectl-edit' },
    );
    const repaired = await eventually('repaired', async () => {
      const live = await kube.get<LiveKm>(KM);
      const trigger = live?.spec.trigger as { schedule?: string } | undefined;
      const user = (live?.spec.podSecurityContext as { runAsUser?: number } | undefined)?.runAsUser;
      return trigger?.schedule === '30 4 * * *' && user === 568 ? live : undefined;
    });
    assert.equal(repaired.spec.activeDeadlineSeconds, 21600, 'a field lifeboat does not set is left as written');
    const events = await eventually('Repaired Event', async () => {
      const list = await kube.list<KubeObject & { reason: string; note: string }>('events.k8s.io/v1', 'Event', {
        namespace: NS,
      });
      const found = list.filter((e) => e.reason === 'KopiaMaintenanceRepaired');
      return found.length > 0 ? found : undefined;
    });
    assert.match(
      events[0]?.note ?? '',
      /repaired KopiaMaintenance lifeboat-repository-maintenance: spec\.\S+ had drifted/,
    );
  });

  it('turns the status the fork writes into metrics and lifeboat status', async () => {
    const c = config();
    const { controller, registry } = await start(c);
    await eventually('report', async () => controller.report);
    const done = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'MaintenanceActive',
      message: 'ok',
      lastTransitionTime: done,
    };
    await mergePatch(
      { status: { lastMaintenanceTime: done, maintenanceFailures: 0, conditions: [ready] } },
      { subresource: 'status', fieldManager: 'volsync' },
    );
    await eventually('ok', async () => (controller.report?.status.result === 'ok' ? true : undefined));
    const name = `${NS}/${MAINTENANCE_NAME}`;
    assert.equal(
      await sample(
        registry,
        new RegExp(`^lifeboat_kopia_maintenance_last_success_timestamp_seconds\\{kopiamaintenance="${name}"\\}`),
      ),
      Date.parse(done) / 1000,
    );
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_ready\{/), 1);
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_overdue_after_seconds\{/), 2 * 86_400);
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_plan\{state="maintained"\}/), 1);

    await mergePatch(
      {
        status: {
          maintenanceFailures: 3,
          conditions: [{ ...ready, type: 'Ready', status: 'False', reason: 'ReconcileFailed', message: 'boom' }],
        },
      },
      { subresource: 'status', fieldManager: 'volsync' },
    );
    await eventually('failing', async () => (controller.report?.status.result === 'failing' ? true : undefined));
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_failures\{/), 3);
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_ready\{/), 0);

    // `lifeboat status` reads the same object through the API.
    const input = await collectLedgerInput(kube, c, {
      graceMs: 3_600_000,
      namespace: NS,
      capabilities: detectCapabilities,
    });
    assert.equal(input.maintenance?.result, 'failing');
    assert.match(input.maintenance?.message ?? '', /not ready \(ReconcileFailed\): boom/);
    assert.equal(input.maintenance?.lastMaintenanceTime, done);
  });

  it('external-secret mode: an ExternalSecret the CRD accepts; the Secret ESO writes from it is never deleted', async () => {
    await stopAll();
    const c = loadConfig(
      `namespace: ${NS}\nrepository: {${NFS}}\nsweeps: {resync: 1h}\n` +
        'credentials: {mode: external-secret, storeRef: {name: vault}, extract: kopia}\n' +
        `catalog: {credentialsSecretRef: {namespace: ${NS}, name: lifeboat-repository}}`,
    );
    const { controller, registry } = await start(c);
    const ES = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', namespace: NS, name: MAINTENANCE_NAME };
    const es = await eventually('ExternalSecret', () => kube.get<KubeObject & { spec: Record<string, unknown> }>(ES));
    assert.deepEqual(es.spec.dataFrom, [{ extract: { key: 'kopia' } }]);
    // The copy-mode Secret of the earlier tests is no longer wanted.
    await eventually('copied Secret deleted', async () => ((await kube.get(SECRET)) ? undefined : true));
    // Play ESO: it writes the target Secret, owned by the ExternalSecret, with the ExternalSecret's labels copied.
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: MAINTENANCE_NAME,
        namespace: NS,
        labels: es.metadata.labels ?? {},
        ownerReferences: [
          { apiVersion: ES.apiVersion, kind: 'ExternalSecret', name: MAINTENANCE_NAME, uid: es.metadata.uid ?? '' },
        ],
      },
      data: { KOPIA_PASSWORD: Buffer.from('from-the-store').toString('base64') },
    } as KubeObject);
    await eventually('the Secret in the cache', async () =>
      controller.reflectors.some((r) => r.list().some((o) => o.kind === 'Secret' && o.metadata.ownerReferences))
        ? true
        : undefined,
    );
    const reconciles = /^controller_runtime_reconcile_total\{controller="maintenance",result="success"\}/;
    const before = (await sample(registry, reconciles)) ?? 0;
    controller.poke();
    await eventually('another reconcile', async () =>
      ((await sample(registry, reconciles)) ?? 0) > before ? true : undefined,
    );
    assert.ok(await kube.get(SECRET), "ESO's Secret stays");
    assert.equal(controller.report?.plan, 'maintained');
    await stopAll();
    await kube.delete(ES);
    await kube.delete(SECRET);
  });

  it('a foreign object holding the name is left untouched and reported as a conflict', async () => {
    await stopAll();
    await kube.delete(KM);
    await kube.apply({
      apiVersion: VOLSYNC,
      kind: 'KopiaMaintenance',
      metadata: { name: MAINTENANCE_NAME, namespace: NS },
      spec: { repository: { repository: 'theirs' } },
    });
    const { controller } = await start(config());
    const report = await eventually('conflict', async () => controller.report?.conflict);
    assert.match(
      report,
      /KopiaMaintenance maint-lifeboat\/lifeboat-repository-maintenance already exists and is not managed/,
    );
    const live = await kube.get<LiveKm>(KM);
    assert.deepEqual(live?.spec.repository, { repository: 'theirs' });
    await stopAll();
    await kube.delete(KM);
  });

  it('when the backend is no longer kopia, deletes its KopiaMaintenance and Secret, and only those', async () => {
    const first = await start(config());
    await eventually('KopiaMaintenance', () => kube.get<LiveKm>(KM));
    await eventually('report', async () => (first.controller.report?.plan === 'maintained' ? true : undefined));
    await stopAll();
    const { controller, registry } = await start(
      config(`{backend: restic, url: "s3:http://192.0.2.10:9000/volsync/{namespace}/{pvc}"}`),
    );
    await eventually('KopiaMaintenance deleted', async () => ((await kube.get(KM)) ? undefined : true));
    await eventually('Secret deleted', async () => ((await kube.get(SECRET)) ? undefined : true));
    await eventually('off', async () => (controller.report?.status.result === 'off' ? true : undefined));
    assert.ok(await kube.get({ ...KM, name: 'hand-made' }), "someone else's KopiaMaintenance stays");
    assert.ok(await kube.get({ ...SECRET, name: 'lifeboat-repository' }), 'the source Secret stays');
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_plan\{state="off"\}/), 1);
    assert.equal(await sample(registry, /^lifeboat_kopia_maintenance_failures\{/), undefined);
  });
});
