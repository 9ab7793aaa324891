/**
 * The intent controller against a real API server (its own control plane: the controller watches every namespace,
 * so sharing the run's plane would let it act on other test files' PVCs). No controller-manager or kubelet runs: the
 * test binds PVCs by writing `status.phase` itself, and "ages" them by giving the controller a clock ahead of time.
 * Real twin: test/integration/realnode-data-path-*.test.ts, where the real PV controller binds the claim and lifeboat's
 * controller generates the objects the real VolSync then runs.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/program.ts';
import { RESTORE_POINT_LABEL } from '../../src/config/keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { LifeboatConfig } from '../../src/config/types.ts';
import { detectCapabilities } from '../../src/controller/capabilities.ts';
import { GUARD_CONFIGMAP, GUARD_CONFIRM_ANNOTATION } from '../../src/controller/guard-store.ts';
import { PvcController } from '../../src/controller/pvc-controller.ts';
import { foreignInformers } from '../../src/controller/watched.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { InformerCache } from '../../src/kube/informers.ts';
import type { Reflector } from '../../src/kube/reflector.ts';
import { generatedNames } from '../../src/plan/names.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';

const HOUR = 3_600_000;
const VOLSYNC = 'volsync.backube/v1alpha1';
let cp: ControlPlane;
let kube: KubeClient;
const running: { controller: PvcController; events: EventRecorder }[] = [];

function config(extra = ''): LifeboatConfig {
  return loadConfig(`namespace: lifeboat-system\nmassDeletionGuard: { threshold: 5, window: 10m }\n${extra}`);
}

async function startController(
  opts: { clockOffsetMs?: number; config?: LifeboatConfig; kube?: KubeClient; informers?: InformerCache } = {},
) {
  const registry = new Registry();
  const events = new EventRecorder(kube, { reportingInstance: 'test', registry });
  const controller = new PvcController({
    kube: opts.kube ?? kube,
    config: opts.config ?? config(),
    capabilities: await detectCapabilities(kube),
    events,
    registry,
    now: () => Date.now() + (opts.clockOffsetMs ?? 0),
    ...(opts.informers ? { informers: opts.informers } : {}),
  });
  await controller.start();
  const handle = { controller, events };
  running.push(handle);
  return handle;
}

async function stopAll() {
  for (const { controller, events } of running.splice(0)) {
    await controller.stop();
    await events.close();
  }
}

/**
 * A client for the controller whose reads (GETs) are recorded, with a started informer cache on it and the foreign
 * watches the controller will ask that cache for. Watch events can be held back: lifeboat's own child watches by
 * `managedDelayMs`, the metadata-only foreign watches by `foreignDelayMs` (each stream keeps its order).
 */
async function watchedClient(opts: { managedDelayMs?: number; foreignDelayMs?: number } = {}) {
  const client = new KubeClient(cp.kubeConfig);
  const reads: string[] = [];
  /** `get Kind ns/name` and `apply Kind ns/name`, in the order they were sent. */
  const requests: string[] = [];
  const get = client.get.bind(client);
  client.get = async <T extends KubeObject>(r: Parameters<KubeClient['get']>[0]) => {
    reads.push(`${r.kind} ${r.namespace}/${r.name}`);
    requests.push(`get ${r.kind} ${r.namespace}/${r.name}`);
    return await get<T>(r);
  };
  const apply = client.apply.bind(client);
  client.apply = async <T extends KubeObject>(obj: T, applyOpts?: Parameters<KubeClient['apply']>[1]) => {
    requests.push(`apply ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
    return await apply<T>(obj, applyOpts);
  };
  const watch = client.http.watch.bind(client.http);
  client.http.watch = (path, query, onEvent, watchOpts) => {
    const foreignWatch = watchOpts.accept?.includes('PartialObjectMetadata');
    const managedWatch = String(query.labelSelector ?? '').startsWith('app.kubernetes.io/managed-by=lifeboat');
    const delay = (foreignWatch ? opts.foreignDelayMs : managedWatch ? opts.managedDelayMs : 0) ?? 0;
    const late: typeof onEvent = (event) => {
      setTimeout(() => onEvent(event), delay);
    };
    return watch(path, query, delay ? late : onEvent, watchOpts);
  };
  const cache = new InformerCache(client);
  cache.start();
  const foreign = foreignInformers(config(), false).map((spec) => cache.informer(spec) as Reflector);
  return { client, reads, requests, cache, foreign };
}

/** The name lifeboat gives a PVC's object of `kind` (default naming). */
function generatedName(pvcName: string, kind: string): string {
  const names = generatedNames(pvcName, config().naming);
  return kind === 'Secret'
    ? names.secret
    : kind === 'ReplicationSource'
      ? names.replicationSource
      : names.replicationDestination;
}

const ref = (kind: string, namespace: string, name: string) => ({
  apiVersion: kind === 'Secret' ? 'v1' : VOLSYNC,
  kind,
  namespace,
  name,
});

async function namespace(name: string, optIn = true) {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations: optIn ? { 'volsync.backube/privileged-movers': 'true' } : {} },
  });
}

async function pvc(ns: string, name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) {
  return await kube.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, labels, annotations },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'longhorn',
      resources: { requests: { storage: '5Gi' } },
    },
  });
}

/** A merge patch, optionally of a subresource, under a field manager of the test's choosing. */
async function mergePatch(
  target: { apiVersion: string; kind: string; namespace: string; name: string },
  body: unknown,
  opts: { subresource?: string; fieldManager?: string } = {},
) {
  const path = await kube.resources.objectPath(target.apiVersion, target.kind, target.name, target.namespace);
  await kube.http.request('PATCH', opts.subresource ? `${path}/${opts.subresource}` : path, {
    query: { fieldManager: opts.fieldManager },
    contentType: 'application/merge-patch+json',
    body,
  });
}

/** Plays the PV controller: marks the claim Bound. */
async function bind(ns: string, name: string) {
  const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name };
  await mergePatch(claim, { status: { phase: 'Bound' } }, { subresource: 'status' });
}

async function relabel(ns: string, name: string, labels: Record<string, string | null>) {
  await mergePatch({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name }, { metadata: { labels } });
}

/** Events are written asynchronously (the recorder never blocks a reconcile): wait until one has this reason. */
async function eventWith(ns: string, name: string, reason: string) {
  return await eventually(`Event ${reason} on ${ns}/${name}`, async () => {
    const events = await eventsFor(ns, name);
    return events.find((e) => e.reason === reason);
  });
}

async function eventsFor(ns: string, name: string): Promise<{ reason: string; note: string }[]> {
  const list = await kube.list<KubeObject & { reason: string; note: string; regarding: { name: string } }>(
    'events.k8s.io/v1',
    'Event',
    { namespace: ns },
  );
  return list.filter((e) => e.regarding.name === name).map((e) => ({ reason: e.reason, note: e.note }));
}

before(async () => {
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
  await namespace('lifeboat-system', false);
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
    data: {
      KOPIA_PASSWORD: Buffer.from('test-only-password').toString('base64'),
      KOPIA_REPOSITORY: Buffer.from('filesystem:///repository').toString('base64'),
    },
  });
});
afterEach(stopAll);
after(async () => {
  await stopAll();
  await cp.stop();
});

describe('intent controller (real API server)', () => {
  it('generates Secret + RD at once and the RS only once the PVC is Bound and old enough', async () => {
    await namespace('apps');
    await pvc('apps', 'data', { backup: 'hourly' });
    const young = await startController();
    const rd = await eventually('RD', () => kube.get(ref('ReplicationDestination', 'apps', 'data-restore')));
    const secret = await kube.get<KubeObject & { data: Record<string, string> }>(
      ref('Secret', 'apps', 'data-volsync-secret'),
    );
    assert.equal(Buffer.from(secret?.data.KOPIA_PASSWORD ?? '', 'base64').toString(), 'test-only-password');
    assert.equal(rd.metadata.labels?.['app.kubernetes.io/managed-by'], 'lifeboat');
    assert.equal(rd.metadata.labels?.['lifeboat.dev/pvc'], 'data');
    assert.equal(await kube.get(ref('ReplicationSource', 'apps', 'data-backup')), undefined, 'not Bound yet: no RS');
    // The verdict is reported once the reconcile that wrote the RD has finished.
    await eventually('verdict waiting', async () =>
      young.controller.reports.get('apps/data')?.verdict === 'waiting' ? true : undefined,
    );
    await bind('apps', 'data');
    await eventually('verdict waiting for min age', async () =>
      young.controller.reports.get('apps/data')?.message.match(/old|age/i) ? true : undefined,
    );
    assert.equal(await kube.get(ref('ReplicationSource', 'apps', 'data-backup')), undefined, 'too young: no RS');
    await stopAll();

    // Three hours later (the clock is the controller's; no test waits two hours).
    const old = await startController({ clockOffsetMs: 3 * HOUR });
    const rs = await eventually('RS', () =>
      kube.get<KubeObject & { spec: Record<string, unknown> & { kopia: Record<string, unknown> } }>(
        ref('ReplicationSource', 'apps', 'data-backup'),
      ),
    );
    assert.equal(rs.spec.sourcePVC, 'data');
    assert.match(String((rs.spec.trigger as { schedule: string }).schedule), /^\d{1,2} \* \* \* \*$/);
    assert.equal(rs.spec.kopia.copyMethod, 'Snapshot');
    assert.equal(rs.spec.kopia.username, 'data-backup');
    assert.equal(rs.spec.kopia.hostname, 'apps');
    assert.deepEqual(rs.spec.kopia.retain, { hourly: 24, daily: 7 });
    const rdSpec = (rd as KubeObject & { spec: { kopia: Record<string, unknown> } }).spec.kopia;
    assert.equal(rdSpec.username, rs.spec.kopia.username, 'RS and RD share one kopia identity');
    assert.equal(rdSpec.hostname, rs.spec.kopia.hostname);
    await eventually('verdict protected', async () =>
      old.controller.reports.get('apps/data')?.verdict === 'protected' ? true : undefined,
    );
    await eventWith('apps', 'data', 'ReplicationSourceCreated');
  });

  it('repairs a hand-edited RS, and leaves a foreign object of the same name untouched (conflict)', async () => {
    await namespace('drift');
    await pvc('drift', 'db', { backup: 'daily' });
    await bind('drift', 'db');
    // Someone else's Secret already holds the name lifeboat would use for "cache".
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cache-volsync-secret', namespace: 'drift' },
      stringData: { mine: 'yes' },
    } as KubeObject);
    await pvc('drift', 'cache', { backup: 'daily' });
    const { controller } = await startController({ clockOffsetMs: 3 * HOUR });
    const rs = await eventually('RS', () => kube.get(ref('ReplicationSource', 'drift', 'db-backup')));
    const schedule = (rs.spec as { trigger: { schedule: string } }).trigger.schedule;
    // A hand edit with kubectl's field manager.
    await mergePatch(
      ref('ReplicationSource', 'drift', 'db-backup'),
      { spec: { trigger: { schedule: '0 * * * *' } } },
      { fieldManager: 'kubectl-edit' },
    );
    await eventually('repair', async () => {
      const now = await kube.get<KubeObject & { spec?: { trigger?: { schedule?: string } } }>(
        ref('ReplicationSource', 'drift', 'db-backup'),
      );
      return now?.spec?.trigger?.schedule === schedule ? true : undefined;
    });
    const repaired = await eventWith('drift', 'db', 'ReplicationSourceRepaired');
    assert.match(repaired.note, /spec\.trigger\.schedule had drifted/);

    const report = await eventually('conflict verdict', async () =>
      controller.reports.get('drift/cache')?.verdict === 'conflict' ? controller.reports.get('drift/cache') : undefined,
    );
    assert.match(report.message, /Secret drift\/cache-volsync-secret already exists and is not managed by lifeboat/);
    const foreign = await kube.get<KubeObject & { data: Record<string, string> }>(
      ref('Secret', 'drift', 'cache-volsync-secret'),
    );
    assert.deepEqual(Object.keys(foreign?.data ?? {}), ['mine'], 'the foreign Secret is untouched');
    assert.equal(foreign?.metadata.labels?.['app.kubernetes.io/managed-by'], undefined);
    assert.equal(await kube.get(ref('ReplicationDestination', 'drift', 'cache-restore')), undefined);
  });

  it('creates names no one holds without reading them first, and refuses a name another tool holds', async () => {
    await namespace('names');
    const { client, requests, cache, foreign } = await watchedClient();
    try {
      const { controller } = await startController({ clockOffsetMs: 3 * HOUR, kube: client, informers: cache });
      await eventually('the foreign watches are current', async () => foreign.every((r) => r.isCurrent()) || undefined);

      // Names no object holds: created at once, not read.
      await pvc('names', 'fresh', { backup: 'daily' });
      await bind('names', 'fresh');
      await eventually(
        'fresh protected',
        async () => controller.reports.get('names/fresh')?.verdict === 'protected' || undefined,
      );
      for (const kind of ['Secret', 'ReplicationSource', 'ReplicationDestination']) {
        const target = `${kind} names/${generatedName('fresh', kind)}`;
        assert.ok(await kube.get(ref(kind, 'names', generatedName('fresh', kind))), `${kind} created`);
        // A later reconcile may read it (its own write, before its own watch shows it); the creation did not.
        assert.equal(
          requests.find((r) => r.endsWith(` ${target}`)),
          `apply ${target}`,
          `${target} was created without being read first`,
        );
      }

      // Another tool creates a ReplicationSource while lifeboat runs; then a PVC whose source would take its name.
      await kube.apply({
        apiVersion: VOLSYNC,
        kind: 'ReplicationSource',
        metadata: { name: 'later-backup', namespace: 'names' },
        spec: { sourcePVC: 'elsewhere', trigger: { manual: 'mine' } },
      });
      await eventually('the foreign watch saw it', async () =>
        foreign.some((r) => r.get('names/later-backup')) ? true : undefined,
      );
      await pvc('names', 'later', { backup: 'daily' });
      await bind('names', 'later');
      const conflict = await eventually('later in conflict', async () =>
        controller.reports.get('names/later')?.verdict === 'conflict'
          ? controller.reports.get('names/later')
          : undefined,
      );
      assert.match(
        conflict.message,
        /ReplicationSource names\/later-backup already exists and is not managed by lifeboat/,
      );
      const theirs = await kube.get<KubeObject & { spec: { sourcePVC: string } }>(
        ref('ReplicationSource', 'names', 'later-backup'),
      );
      assert.equal(theirs?.spec.sourcePVC, 'elsewhere', 'the other tool’s object is untouched');
      assert.equal(theirs?.metadata.labels?.['app.kubernetes.io/managed-by'], undefined);
    } finally {
      await stopAll();
      await cache.stop();
      client.close();
    }
  });

  it('reads a name first while its two watches may disagree: a managed-by label just removed, its own write not yet seen', async () => {
    await namespace('settle');
    // Both orders of two streams, made certain: lifeboat's own watches deliver 2 s late, the foreign ones 3 s late.
    const { client, reads, cache, foreign } = await watchedClient({ managedDelayMs: 2_000, foreignDelayMs: 3_000 });
    try {
      const { controller } = await startController({ clockOffsetMs: 3 * HOUR, kube: client, informers: cache });
      await eventually('the foreign watches are current', async () => foreign.every((r) => r.isCurrent()) || undefined);
      const created = async (kind: string) =>
        (await controller.metrics.applies.get()).values.find(
          (v) => v.labels.kind === kind && v.labels.reason === 'created',
        )?.value ?? 0;
      const children = (key: string) => controller.index.of(key).length === 3 || undefined;

      // Someone takes lifeboat's ReplicationSource over by removing its managed-by label. It leaves lifeboat's watch
      // before it enters the foreign one: lifeboat reads the name, refuses, and never takes the object back.
      await pvc('settle', 'taken', { backup: 'daily' });
      await bind('settle', 'taken');
      await eventually('taken’s objects in lifeboat’s cache', async () => children('settle/taken'));
      await mergePatch(ref('ReplicationSource', 'settle', 'taken-backup'), {
        metadata: { labels: { 'app.kubernetes.io/managed-by': null } },
      });
      const taken = await eventually('taken in conflict', async () =>
        controller.reports.get('settle/taken')?.verdict === 'conflict'
          ? controller.reports.get('settle/taken')
          : undefined,
      );
      assert.match(
        taken.message,
        /ReplicationSource settle\/taken-backup already exists and is not managed by lifeboat/,
      );
      assert.ok(reads.includes('ReplicationSource settle/taken-backup'), 'the departed name was read before any write');
      await eventually('the foreign watch saw it', async () =>
        foreign.some((r) => r.get('settle/taken-backup')) ? true : undefined,
      );
      const kept = await kube.get(ref('ReplicationSource', 'settle', 'taken-backup'));
      assert.equal(kept?.metadata.labels?.['app.kubernetes.io/managed-by'], undefined, 'not taken back');

      // A second reconcile before lifeboat's own watch shows what the first created: the names are read, found to be
      // lifeboat's and as desired, and nothing is written or announced twice.
      const before = await Promise.all(['Secret', 'ReplicationSource', 'ReplicationDestination'].map(created));
      await pvc('settle', 'twice', { backup: 'daily' });
      await bind('settle', 'twice');
      await eventually(
        'twice protected',
        async () => controller.reports.get('settle/twice')?.verdict === 'protected' || undefined,
      );
      assert.equal(controller.index.of('settle/twice').length, 0, 'its own watch has not delivered yet');
      await mergePatch(
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'settle', name: 'twice' },
        { metadata: { annotations: { touched: '1' } } },
      );
      await eventually('twice’s objects in lifeboat’s cache', async () => children('settle/twice'));
      const after = await Promise.all(['Secret', 'ReplicationSource', 'ReplicationDestination'].map(created));
      assert.deepEqual(
        after.map((n, i) => n - (before[i] ?? 0)),
        [1, 1, 1],
        'each object created once',
      );
      assert.ok(reads.includes('ReplicationSource settle/twice-backup'), 'the second reconcile read its own write');
    } finally {
      await stopAll();
      await cache.stop();
      client.close();
    }
  });
  it('label removed → RS, RD and Secret deleted; PVC deleted → RS deleted, RD and Secret kept', async () => {
    await namespace('life');
    for (const name of ['gone', 'unlabelled']) {
      await pvc('life', name, { backup: 'hourly' });
      await bind('life', name);
    }
    await startController({ clockOffsetMs: 3 * HOUR });
    for (const name of ['gone', 'unlabelled']) {
      await eventually(`${name} RS`, () => kube.get(ref('ReplicationSource', 'life', `${name}-backup`)));
    }
    await relabel('life', 'unlabelled', { backup: null });
    await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'life', name: 'gone' });
    await eventually('label removal cleanup', async () => {
      for (const kind of ['ReplicationSource', 'ReplicationDestination']) {
        if (await kube.get(ref(kind, 'life', `unlabelled-${kind === 'ReplicationSource' ? 'backup' : 'restore'}`))) {
          return undefined;
        }
      }
      return (await kube.get(ref('Secret', 'life', 'unlabelled-volsync-secret'))) ? undefined : true;
    });
    await eventually('RS of the deleted PVC removed', async () =>
      (await kube.get(ref('ReplicationSource', 'life', 'gone-backup'))) ? undefined : true,
    );
    assert.ok(await kube.get(ref('ReplicationDestination', 'life', 'gone-restore')), 'RD persists for the restore');
    assert.ok(await kube.get(ref('Secret', 'life', 'gone-volsync-secret')), 'Secret persists for the RD');
  });

  it('cleans up what changed while it was down: a label removed and a PVC deleted during the outage', async () => {
    await namespace('outage');
    for (const name of ['kept', 'unlabelled', 'deleted']) {
      await pvc('outage', name, { backup: 'daily' });
      await bind('outage', name);
    }
    const first = await startController({ clockOffsetMs: 3 * HOUR });
    for (const name of ['kept', 'unlabelled', 'deleted']) {
      await eventually(`${name} RS`, () => kube.get(ref('ReplicationSource', 'outage', `${name}-backup`)));
    }
    await first.controller.stop();
    await relabel('outage', 'unlabelled', { backup: null });
    await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'outage', name: 'deleted' });
    await startController({ clockOffsetMs: 3 * HOUR });
    await eventually('orphans cleaned', async () => {
      const rs = (await kube.list(VOLSYNC, 'ReplicationSource', { namespace: 'outage' })).map((o) => o.metadata.name);
      return rs.length === 1 && rs[0] === 'kept-backup' ? true : undefined;
    });
    const rds = (await kube.list(VOLSYNC, 'ReplicationDestination', { namespace: 'outage' })).map(
      (o) => o.metadata.name,
    );
    assert.deepEqual(rds.sort(), ['deleted-restore', 'kept-restore'], 'the deleted PVC keeps its restore point');
  });

  it('an invalid tier deletes nothing and is reported with an Event', async () => {
    await namespace('typo');
    await pvc('typo', 'data', { backup: 'hourly' });
    await bind('typo', 'data');
    const { controller } = await startController({ clockOffsetMs: 3 * HOUR });
    await eventually('RS', () => kube.get(ref('ReplicationSource', 'typo', 'data-backup')));
    await relabel('typo', 'data', { backup: 'hourlly' });
    await eventually('invalid verdict', async () =>
      controller.reports.get('typo/data')?.verdict === 'invalid' ? true : undefined,
    );
    for (const [kind, name] of [
      ['ReplicationSource', 'data-backup'],
      ['ReplicationDestination', 'data-restore'],
      ['Secret', 'data-volsync-secret'],
    ] as const) {
      assert.ok(await kube.get(ref(kind, 'typo', name)), `${kind} kept`);
    }
    const events = await eventually('UnknownTier event', async () => {
      const e = await eventsFor('typo', 'data');
      return e.some((x) => x.reason === 'UnknownTier') ? e : undefined;
    });
    assert.match(events.find((e) => e.reason === 'UnknownTier')?.note ?? '', /hourlly.*did you mean "hourly"/);
  });

  it('trips the mass-deletion guard when many labels vanish at once, until an operator confirms', async () => {
    await namespace('mass');
    const names = Array.from({ length: 8 }, (_, i) => `vol-${i}`);
    for (const name of names) await pvc('mass', name, { backup: 'daily' });
    const { controller } = await startController();
    for (const name of names)
      await eventually(`${name} RD`, () => kube.get(ref('ReplicationDestination', 'mass', `${name}-restore`)));
    // A GitOps prune gone wrong: every label removed at once. 8 PVCs lose their restore point > threshold 5.
    for (const name of names) await relabel('mass', name, { backup: null });
    const cm = await eventually('guard ConfigMap', () =>
      kube.get<KubeObject & { data: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'lifeboat-system',
        name: GUARD_CONFIGMAP,
      }),
    );
    assert.match(cm.data.confirm ?? '', /kubectl -n lifeboat-system annotate configmap lifeboat-mass-deletion-guard/);
    await eventually('all cleanups attempted', async () =>
      controller.queue.depth === 0 && controller.queue.active === 0 ? true : undefined,
    );
    const remaining = (await kube.list('v1', 'Secret', { namespace: 'mass' })).length;
    assert.ok(remaining > 0, 'held: some Secrets must remain');
    assert.equal(controller.guard.tripped, true);
    // Some PVC's cleanup was held back and says so (which ones depends on the reconcile order).
    const held = await eventually('a CleanupHeld Event', async () => {
      const all = await Promise.all(names.map((n) => eventsFor('mass', n)));
      return all.flat().find((e) => e.reason === 'CleanupHeld');
    });
    assert.match(held.note, /mass-deletion guard tripped/);

    // The operator confirms this trip by its timestamp.
    await mergePatch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'lifeboat-system', name: GUARD_CONFIGMAP },
      { metadata: { annotations: { [GUARD_CONFIRM_ANNOTATION]: cm.data.trippedAt } } },
    );
    assert.equal(await controller.checkGuardConfirmation(), true);
    await eventually('held cleanups released', async () => {
      const left = await kube.list('v1', 'Secret', {
        namespace: 'mass',
        labelSelector: 'app.kubernetes.io/managed-by=lifeboat',
      });
      return left.length === 0 ? true : undefined;
    });
  });

  it('routine cleanups neither count nor are held: an app reinstalled and restores handed over, then a label removal runs', async () => {
    await namespace('routine');
    const names = Array.from({ length: 12 }, (_, i) => `vol-${i}`);
    for (const name of names) {
      await pvc('routine', name, { backup: 'hourly' });
      await bind('routine', name);
    }
    const { controller } = await startController({ clockOffsetMs: 3 * HOUR });
    for (const name of names) {
      await eventually(`${name} RS`, () => kube.get(ref('ReplicationSource', 'routine', `${name}-backup`)));
    }
    // Six restores handed over: each PVC is Bound and no longer points at its per-snapshot restore point, which
    // lifeboat then deletes (a copy of the persistent destination, labelled as a restore point, as admission's are).
    const handedOver = names.slice(0, 6);
    for (const name of handedOver) {
      const persistent = await kube.get<KubeObject & { spec: unknown }>(
        ref('ReplicationDestination', 'routine', `${name}-restore`),
      );
      assert.ok(persistent);
      await kube.apply({
        apiVersion: VOLSYNC,
        kind: 'ReplicationDestination',
        metadata: {
          name: `${name}-restore-5e1f0a`,
          namespace: 'routine',
          labels: { ...persistent.metadata.labels, [RESTORE_POINT_LABEL]: 'true' },
          annotations: persistent.metadata.annotations ?? {},
        },
        spec: persistent.spec,
      } as KubeObject);
    }
    // The other six PVCs deleted, as reinstalling the app (its namespace deleted and recreated) deletes them.
    for (const name of names.slice(6)) {
      await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'routine', name });
    }
    await eventually("restore points and the deleted PVCs' sources cleaned up", async () => {
      const rds = (await kube.list(VOLSYNC, 'ReplicationDestination', { namespace: 'routine' })).map(
        (o) => o.metadata.name,
      );
      const rs = (await kube.list(VOLSYNC, 'ReplicationSource', { namespace: 'routine' })).map((o) => o.metadata.name);
      return rds.every((n) => n.endsWith('-restore')) && rs.length === 6 ? true : undefined;
    });
    // 12 objects of 12 PVCs went, more than the threshold (5) either way: none of them took a restore capability.
    assert.equal(controller.guard.tripped, false);

    await relabel('routine', 'vol-0', { backup: null });
    await eventually("the label removal's cleanup ran", async () => {
      for (const [kind, name] of [
        ['ReplicationSource', 'vol-0-backup'],
        ['ReplicationDestination', 'vol-0-restore'],
        ['Secret', 'vol-0-volsync-secret'],
      ] as const) {
        if (await kube.get(ref(kind, 'routine', name))) return undefined;
      }
      return true;
    });
    assert.equal(controller.guard.tripped, false);
    assert.equal((await eventsFor('routine', 'vol-0')).filter((e) => e.reason === 'CleanupHeld').length, 0);
  });

  it('converges with no duplicates after being stopped mid-reconcile and restarted', async () => {
    await namespace('restart');
    const names = Array.from({ length: 20 }, (_, i) => `p-${i}`);
    for (const name of names) {
      await pvc('restart', name, { backup: 'hourly' });
      await bind('restart', name);
    }
    const first = await startController({ clockOffsetMs: 3 * HOUR });
    // Stop as soon as the first objects appear: some PVCs are done, some half-done, some untouched.
    await eventually('first writes', async () =>
      (await kube.list(VOLSYNC, 'ReplicationDestination', { namespace: 'restart' })).length > 0 ? true : undefined,
    );
    await first.controller.stop();
    await startController({ clockOffsetMs: 3 * HOUR });
    await eventually('all converged', async () => {
      const rs = await kube.list(VOLSYNC, 'ReplicationSource', { namespace: 'restart' });
      return rs.length === names.length ? true : undefined;
    });
    for (const kind of ['ReplicationSource', 'ReplicationDestination']) {
      const items = await kube.list(VOLSYNC, kind, { namespace: 'restart' });
      assert.equal(items.length, names.length, `${kind}: one per PVC`);
    }
    const secrets = await kube.list('v1', 'Secret', { namespace: 'restart' });
    assert.equal(secrets.length, names.length);
  });

  it('render prints exactly what the controller creates for the same input', async () => {
    await namespace('same');
    await pvc('same', 'photos', { backup: 'daily' });
    await bind('same', 'photos');
    const { controller } = await startController({ clockOffsetMs: 3 * HOUR });
    await eventually('RS', () => kube.get(ref('ReplicationSource', 'same', 'photos-backup')));
    await eventually('idle', async () =>
      controller.queue.depth === 0 && controller.queue.active === 0 ? true : undefined,
    );
    const manifests = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'same', annotations: { 'volsync.backube/privileged-movers': 'true' } },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'photos', namespace: 'same', labels: { backup: 'daily' } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'longhorn',
          resources: { requests: { storage: '5Gi' } },
        },
      },
      (await kube.get(ref('Secret', 'lifeboat-system', 'lifeboat-repository'))) as KubeObject,
    ];
    let out = '';
    const file = `${cp.dir}/render-input.json`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, manifests.map((m) => JSON.stringify(m)).join('\n---\n'));
    const cfgFile = `${cp.dir}/render-config.yaml`;
    await writeFile(cfgFile, 'namespace: lifeboat-system\nmassDeletionGuard: { threshold: 5, window: 10m }\n');
    const status = await runCli(['render', '-f', file, '--config', cfgFile], {
      out: (t) => {
        out += t;
      },
      err: () => {},
    });
    assert.equal(status, 0);
    const printed = parseAllDocuments(out).map((d) => d.toJS() as KubeObject);
    // The repository's maintenance objects come last, in lifeboat's namespace: the maintenance controller's (its own
    // test, maintenance-controller.test.ts, compares them with what it creates).
    assert.deepEqual(
      printed.filter((o) => o.metadata.namespace === 'lifeboat-system').map((o) => o.kind),
      ['Secret', 'KopiaMaintenance'],
    );
    const rendered = printed.filter((o) => o.metadata.namespace === 'same');
    assert.equal(rendered.length, 3);
    for (const obj of rendered) {
      const live = await kube.get({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: obj.metadata.namespace ?? '',
        name: obj.metadata.name,
      });
      assert.ok(live, `${obj.kind} ${obj.metadata.name} exists`);
      // Everything render prints is in the live object (owner references aside: render has no PVC uid).
      const { ownerReferences: _o, ...renderedMeta } = obj.metadata;
      assert.deepEqual(pick(live, { ...obj, metadata: renderedMeta }), { ...obj, metadata: renderedMeta }, obj.kind);
    }
  });
});

/** The part of `live` that `shape` names (so server-added fields do not count). */
function pick(live: unknown, shape: unknown): unknown {
  if (Array.isArray(shape)) return Array.isArray(live) ? shape.map((s, i) => pick(live[i], s)) : live;
  if (shape && typeof shape === 'object') {
    if (!live || typeof live !== 'object') return live;
    return Object.fromEntries(
      Object.keys(shape).map((k) => [
        k,
        pick((live as Record<string, unknown>)[k], (shape as Record<string, unknown>)[k]),
      ]),
    );
  }
  return live;
}
