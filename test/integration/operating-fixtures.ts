/**
 * Shared fixtures of the "operating it" tests (restore-point sync, status, restore) on a real API server and a real
 * Kopia repository. No kubelet, controller-manager or VolSync runs: helpers named `play…` act their part explicitly
 * (binding a claim, completing a VolSync sync, scaling a workload), and each says whose part it plays.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { Catalog } from '../../src/catalog/catalog.ts';
import type { LifeboatConfig } from '../../src/config/types.ts';
import type { KubeClient, KubeObject } from '../../src/kube/client.ts';
import { kopiaSource } from '../../src/mover/kopia/catalog-source.ts';
import { parseKopiaLocation } from '../../src/mover/kopia/reader/location.ts';
import { generatedNames } from '../../src/plan/names.ts';
import { VOLSYNC_API_VERSION, VOLUME_SNAPSHOT_API_VERSION } from '../../src/plan/objects.ts';
import { buildDestination, buildSource } from '../../src/plan/replication.ts';
import { armBody, SYNC_FIELD_MANAGER } from '../../src/plan/standby.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { scratchDir } from '../support/scratch-dir.ts';

export { eventually } from '../support/eventually.ts';

export const PASSWORD = 'operating-test-password';

export interface KopiaFixture {
  repo: KopiaTestRepository;
  /** `filesystem:///…` of the repository. */
  url: string;
  /** Writes a snapshot of `namespace/pvc` under the default identity, started at `time`; returns its id. */
  snapshot(namespace: string, pvc: string, time: Date): Promise<{ id: string; time: string }>;
  catalog(): Catalog;
}

export async function kopiaFixture(): Promise<KopiaFixture> {
  const repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PASSWORD });
  const dirs = await mkdtemp(join(repo.root, 'src-'));
  let n = 0;
  const url = `filesystem://${repo.repoPath}`;
  return {
    repo,
    url,
    async snapshot(namespace, pvc, time) {
      const dir = await makeSourceDir(dirs, `d${n++}`, { 'data.txt': `${namespace}/${pvc} at ${time.toISOString()}` });
      const s = await repo.snapshot({
        source: `${pvc}-backup@${namespace}:/data`,
        dir,
        startTime: time,
        endTime: time,
      });
      return { id: s.id, time: new Date(Date.parse(s.startTime)).toISOString() };
    },
    catalog() {
      return new Catalog({
        source: kopiaSource({ location: parseKopiaLocation(url), credentials: async () => ({ password: PASSWORD }) }),
      });
    },
  };
}

/** The cluster's repository source Secret (credentials mode copy) in lifeboat-system, as an operator installs it. */
export async function sourceSecret(kube: KubeClient, kopia: KopiaFixture): Promise<void> {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
    data: {
      KOPIA_PASSWORD: Buffer.from(PASSWORD).toString('base64'),
      KOPIA_REPOSITORY: Buffer.from(kopia.url).toString('base64'),
    },
  });
}

/** A scratch directory under the system's temp dir, removed when this test file's process exits. */
export async function tempDir(prefix: string): Promise<string> {
  return await scratchDir(prefix);
}

export async function namespace(kube: KubeClient, name: string, optIn = true): Promise<void> {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations: optIn ? { 'volsync.backube/privileged-movers': 'true' } : {} },
  });
}

export interface PvcOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  dataSourceRef?: { apiGroup: string; kind: string; name: string };
}

export function pvcManifest(ns: string, name: string, opts: PvcOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'longhorn',
      resources: { requests: { storage: '1Gi' } },
      ...(opts.dataSourceRef ? { dataSourceRef: opts.dataSourceRef } : {}),
    },
  };
}

export async function createPvc(
  kube: KubeClient,
  ns: string,
  name: string,
  opts: PvcOptions = {},
): Promise<KubeObject> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ns);
  return await kube.http.request<KubeObject>('POST', path, { body: pvcManifest(ns, name, opts) });
}

/** A merge patch, optionally of a subresource. */
export async function mergePatch(
  kube: KubeClient,
  target: { apiVersion: string; kind: string; namespace: string; name: string },
  body: unknown,
  subresource?: string,
): Promise<KubeObject> {
  const path = await kube.resources.objectPath(target.apiVersion, target.kind, target.name, target.namespace);
  return await kube.http.request<KubeObject>('PATCH', subresource ? `${path}/${subresource}` : path, {
    query: { fieldManager: 'operating-test' },
    contentType: 'application/merge-patch+json',
    body,
  });
}

/** A Deployment of `replicas` pods that mount the claim `claimName` (the application a restore scales down). */
export function deploymentMounting(ns: string, name: string, claimName: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name, image: 'busybox' }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
        },
      },
    },
  };
}

/** A Deployment or StatefulSet as the workload players read it. */
export type Workload = KubeObject & {
  spec: { replicas?: number; volumeClaimTemplates?: KubeObject[] };
  status?: { replicas?: number; observedGeneration?: number };
};

/**
 * Plays the Deployment and StatefulSet controllers' status: `status.replicas` follows `spec.replicas` and the
 * generation is observed (what `lifeboat restore` waits for when it scales). Returns the workloads it saw.
 */
export async function playWorkloadStatus(kube: KubeClient, ns: string, kinds: string[]): Promise<Workload[]> {
  const seen: Workload[] = [];
  for (const kind of kinds) {
    for (const w of await kube.list<Workload>('apps/v1', kind, { namespace: ns })) {
      const want = w.spec.replicas ?? 1;
      const generation = (w.metadata as { generation?: number }).generation ?? 0;
      if (w.status?.replicas !== want || w.status?.observedGeneration !== generation) {
        await mergePatch(
          kube,
          { apiVersion: 'apps/v1', kind, namespace: ns, name: w.metadata.name },
          { status: { replicas: want, observedGeneration: generation } },
          'status',
        );
      }
      seen.push(w);
    }
  }
  return seen;
}

/** Plays the PV controller: marks the claim Bound. */
export async function playBind(kube: KubeClient, ns: string, name: string): Promise<void> {
  await mergePatch(
    kube,
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name },
    { status: { phase: 'Bound' } },
    'status',
  );
}

/**
 * Plays VolSync finishing a sync of a ReplicationDestination: makes the run's VolumeSnapshot (now, as VolSync makes it
 * once the mover succeeded; no snapshot controller binds it), copies the token into `status.lastManualSync` and
 * publishes the snapshot as the image. `image` names an existing VolumeSnapshot to publish instead (VolSync
 * publishing one an earlier run made).
 */
export async function playDestinationSynced(
  kube: KubeClient,
  ns: string,
  rd: string,
  token: string,
  at = new Date(),
  image = `volsync-${rd}-dest-${token}`,
): Promise<void> {
  if (
    !(await kube.get({ apiVersion: VOLUME_SNAPSHOT_API_VERSION, kind: 'VolumeSnapshot', namespace: ns, name: image }))
  ) {
    await kube.create({
      apiVersion: VOLUME_SNAPSHOT_API_VERSION,
      kind: 'VolumeSnapshot',
      metadata: { name: image, namespace: ns },
      spec: { source: { persistentVolumeClaimName: `volsync-${rd}-dest` } },
    });
  }
  await mergePatch(
    kube,
    { apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationDestination', namespace: ns, name: rd },
    {
      status: {
        lastManualSync: token,
        lastSyncTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        latestImage: {
          apiGroup: 'snapshot.storage.k8s.io',
          kind: 'VolumeSnapshot',
          name: image,
        },
      },
    },
    'status',
  );
}

/** Plays VolSync finishing a backup of a ReplicationSource. */
export async function playSourceSynced(
  kube: KubeClient,
  ns: string,
  rs: string,
  at: Date,
  result: 'Successful' | 'Failed' = 'Successful',
): Promise<void> {
  await mergePatch(
    kube,
    { apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationSource', namespace: ns, name: rs },
    {
      status: {
        ...(result === 'Successful' ? { lastSyncTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
        latestMoverStatus: { result, logs: 'mover log tail' },
      },
    },
    'status',
  );
}

/** Applies the persistent RD exactly as the controller generates it (its field manager, its carry-over of the token). */
export async function controllerDestination(
  kube: KubeClient,
  config: LifeboatConfig,
  ns: string,
  pvc: string,
  token = config.restore.initialTrigger,
): Promise<KubeObject> {
  const names = generatedNames(pvc, config.naming);
  const claim = pvcManifest(ns, pvc) as KubeObject & { spec: { storageClassName: string } };
  const rd = buildDestination({ config, pvc: claim, namespace: ns, names }, token, {
    capacity: '1Gi',
    accessModes: ['ReadWriteOnce'],
  });
  return await kube.apply(rd as unknown as KubeObject, { force: true });
}

/** Applies the ReplicationSource as the controller generates it. */
export async function controllerSource(
  kube: KubeClient,
  config: LifeboatConfig,
  ns: string,
  pvc: string,
  tier: string,
  trigger: { schedule: string } | { manual: string },
): Promise<KubeObject> {
  const names = generatedNames(pvc, config.naming);
  const rs = buildSource({ config, pvc: pvcManifest(ns, pvc), namespace: ns, names }, tier, trigger);
  return await kube.apply(rs as unknown as KubeObject, { force: true });
}

export async function eventsFor(
  kube: KubeClient,
  ns: string,
  kind: string,
  name: string,
): Promise<{ reason: string; note: string; type: string }[]> {
  const list = await kube.list<
    KubeObject & { reason: string; note: string; type: string; regarding: { kind: string; name: string } }
  >('events.k8s.io/v1', 'Event', { namespace: ns });
  return list
    .filter((e) => e.regarding.kind === kind && e.regarding.name === name)
    .map((e) => ({ reason: e.reason, note: e.note, type: e.type }));
}

export async function getRd(kube: KubeClient, ns: string, name: string) {
  return await kube.get<
    KubeObject & {
      spec: { trigger?: { manual?: string }; kopia?: { restoreAsOf?: string } };
      status?: { lastManualSync?: string };
    }
  >({ apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationDestination', namespace: ns, name });
}

/**
 * Plays what an earlier restore-point sync left: the controller's RD, re-armed for snapshot `s` under `token` (the
 * record lifeboat writes), and VolSync having completed that sync.
 */
/**
 * lifeboat's sync arming the standby `rd` for snapshot `s` with `token`: its own apply body under its own field
 * manager, whose managedFields time is the arm time the standby evidence compares the image with.
 */
export async function armAsTheSync(
  kube: KubeClient,
  rd: KubeObject,
  s: { id: string; time: string },
  token: string,
): Promise<KubeObject> {
  const path = await kube.resources.objectPath(
    VOLSYNC_API_VERSION,
    'ReplicationDestination',
    rd.metadata.name,
    rd.metadata.namespace,
  );
  return await kube.http.request<KubeObject>('PATCH', path, {
    query: { fieldManager: SYNC_FIELD_MANAGER, force: true },
    contentType: 'application/apply-patch+yaml',
    body: armBody(rd as Parameters<typeof armBody>[0], { ...s, timeMs: Date.parse(s.time) }, token),
  });
}

export async function completedRestorePoint(
  kube: KubeClient,
  config: LifeboatConfig,
  ns: string,
  pvc: string,
  s: { id: string; time: string },
  token: string,
  syncedAt = new Date(),
): Promise<void> {
  const rd = await controllerDestination(kube, config, ns, pvc, token);
  await armAsTheSync(kube, rd, s, token);
  await playDestinationSynced(kube, ns, rd.metadata.name, token, syncedAt);
}
