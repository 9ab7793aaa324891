/**
 * `lifeboat restore` against a real API server (its own control plane) and a real Kopia repository.
 *
 * Nothing else runs in the cluster, so the test plays every other actor, in one loop (`Cluster players` below):
 * - the Deployment and StatefulSet controllers: status.replicas follows spec.replicas, and a StatefulSet with
 *   replicas creates its missing volumeClaimTemplates claims;
 * - the PVC protection controller: removes `kubernetes.io/pvc-protection` from a deleted claim (no pod uses it);
 * - the volume populator and PV controller: a claim with a dataSourceRef becomes Bound;
 * - GitOps: recreates claims listed in `gitops` when they are gone.
 * A small mutating webhook in this file plays lifeboat's admission through the real API server (the lead's admission
 * runs only inside `lifeboat run`, which would also start a controller and a catalog; restore-flow.test.ts runs one
 * `lifeboat restore` against the real one): a PVC created while a restore request is pending on `{pvc}-restore` gets a
 * dataSourceRef to a per-snapshot restore point and the `lifeboat.dev/restore-snapshot(-time)` annotations — the
 * admission → controller contract of config/keys.ts.
 * Real twin: test/integration/realnode-data-path-*.test.ts for PVC protection, the populator and the PV controller;
 * `lifeboat restore` with the real Deployment/StatefulSet controllers has no real twin yet (issue 10, item 4).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createAuthority, issueCertificate } from '../../src/admission/pki.ts';
import type { Catalog } from '../../src/catalog/catalog.ts';
import {
  RESTORE_REQUEST_ANNOTATION,
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_SNAPSHOT_TIME_ANNOTATION,
} from '../../src/config/keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { VOLSYNC_API_VERSION } from '../../src/plan/objects.ts';
import { restorePointName } from '../../src/plan/restore-point.ts';
import { parseRestoreRequest, type RestoreRequest } from '../../src/plan/restore-request.ts';
import { RestoreLocked } from '../../src/restore/request-store.ts';
import { type RestoreOptions, runRestore } from '../../src/restore/runner.ts';
import { Interrupted } from '../../src/restore/wait.ts';
import { runWithEnv } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import {
  controllerDestination,
  deploymentMounting,
  eventsFor,
  eventually,
  type KopiaFixture,
  kopiaFixture,
  mergePatch,
  namespace,
  PASSWORD,
  playWorkloadStatus,
  pvcManifest,
  sourceSecret,
  tempDir,
} from './operating-fixtures.ts';

const DAY = 86_400_000;
const T = Date.now() - 10 * DAY;
const config = loadConfig('namespace: lifeboat-system');
let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let catalog: Catalog;
let webhook: Server;
let configFile: string;
/** Snapshots per PVC key, oldest first. */
const snaps: Record<string, { id: string; time: string }[]> = {};

// ---- the admission stand-in ---------------------------------------------------------------------------------------

const ADMISSION_LABEL = 'restore-test-admission';

async function admit(review: { request: { uid: string; object: KubeObject } }) {
  const pvc = review.request.object;
  const rd = await kube.get({
    apiVersion: VOLSYNC_API_VERSION,
    kind: 'ReplicationDestination',
    namespace: pvc.metadata.namespace ?? '',
    name: `${pvc.metadata.name}-restore`,
  });
  const request = parseRestoreRequest(rd?.metadata.annotations?.[RESTORE_REQUEST_ANNOTATION]);
  const response: Record<string, unknown> = { uid: review.request.uid, allowed: true };
  if (request && rd) {
    const point = restorePointName(pvc.metadata.name, request.snapshotId, config.naming);
    const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
    const patch: unknown[] = [
      {
        op: 'add',
        path: '/spec/dataSourceRef',
        value: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: point },
      },
    ];
    if (!pvc.metadata.annotations) patch.push({ op: 'add', path: '/metadata/annotations', value: {} });
    patch.push({
      op: 'add',
      path: `/metadata/annotations/${pointer(RESTORE_SNAPSHOT_ANNOTATION)}`,
      value: request.snapshotId,
    });
    patch.push({
      op: 'add',
      path: `/metadata/annotations/${pointer(RESTORE_SNAPSHOT_TIME_ANNOTATION)}`,
      value: request.snapshotTime,
    });
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

async function startWebhook(): Promise<void> {
  const ca = await createAuthority('restore-test-webhook-ca', DAY);
  const leaf = await issueCertificate(ca, {
    commonName: '127.0.0.1',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: DAY,
  });
  webhook = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      admit(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        .then((answer) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer));
        })
        .catch((error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        });
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const port = (webhook.address() as AddressInfo).port;
  await kube.apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'restore-test-admission' },
    webhooks: [
      {
        name: 'restore.pvc.test.lifeboat.dev',
        clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: Buffer.from(ca.certPem).toString('base64') },
        rules: [
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['persistentvolumeclaims'] },
        ],
        namespaceSelector: { matchLabels: { [ADMISSION_LABEL]: 'on' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
      },
    ],
  });
}

// ---- the cluster players ------------------------------------------------------------------------------------------

/** Claims GitOps recreates when they are gone, by `namespace/name`. */
const gitops = new Map<string, KubeObject>();
let playing = true;
let players: Promise<void>;

async function playOnce(ns: string): Promise<void> {
  for (const w of await playWorkloadStatus(kube, ns, ['Deployment', 'StatefulSet'])) {
    // A StatefulSet with replicas creates the claims of its volumeClaimTemplates that are missing.
    for (const template of w.spec.volumeClaimTemplates ?? []) {
      for (let i = 0; i < (w.spec.replicas ?? 1); i++) {
        const name = `${template.metadata.name}-${w.metadata.name}-${i}`;
        if (!(await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name }))) {
          await create(ns, {
            ...template,
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { ...template.metadata, name, namespace: ns },
          }).catch(() => undefined);
        }
      }
    }
  }
  const claims = await kube.list<KubeObject & { spec: { dataSourceRef?: unknown }; status?: { phase?: string } }>(
    'v1',
    'PersistentVolumeClaim',
    { namespace: ns },
  );
  for (const c of claims) {
    const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: c.metadata.name };
    if (c.metadata.deletionTimestamp && (c.metadata as { finalizers?: string[] }).finalizers?.length) {
      await mergePatch(kube, ref, { metadata: { finalizers: null } }).catch(() => undefined);
    } else if (!c.metadata.deletionTimestamp && c.spec.dataSourceRef && c.status?.phase !== 'Bound') {
      await mergePatch(kube, ref, { status: { phase: 'Bound' } }, 'status').catch(() => undefined);
    }
  }
  for (const [key, manifest] of gitops) {
    if (!key.startsWith(`${ns}/`)) continue;
    if (!claims.some((c) => c.metadata.name === manifest.metadata.name))
      await create(ns, manifest).catch(() => undefined);
  }
}

async function play(namespaces: string[]): Promise<void> {
  while (playing) {
    for (const ns of namespaces) await playOnce(ns).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function create(ns: string, manifest: KubeObject): Promise<KubeObject> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ns);
  return await kube.http.request<KubeObject>('POST', path, { body: manifest });
}

// ---- fixtures -----------------------------------------------------------------------------------------------------

/** Lets the admission stand-in serve the namespace (its webhook selects on a namespace label). */
async function admissionFor(ns: string) {
  await mergePatch(
    kube,
    { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns },
    { metadata: { labels: { [ADMISSION_LABEL]: 'on' } } },
  );
}

async function protectedClaim(
  ns: string,
  name: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
) {
  const claim = await create(
    ns,
    pvcManifest(ns, name, { labels: { backup: 'hourly', ...extra.labels }, annotations: extra.annotations ?? {} }),
  );
  await mergePatch(
    kube,
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name },
    { status: { phase: 'Bound' } },
    'status',
  );
  await controllerDestination(kube, config, ns, name);
  return claim;
}

async function deployment(ns: string, name: string, pvc: string, replicas: number) {
  await kube.apply(deploymentMounting(ns, name, pvc, replicas));
}

async function backups(ns: string, pvc: string, days: number[]) {
  for (const d of days) {
    const s = await kopia.snapshot(ns, pvc, new Date(T + d * DAY));
    snaps[`${ns}/${pvc}`] = [...(snaps[`${ns}/${pvc}`] ?? []), s];
  }
}

const claimOf = (ns: string, name: string) =>
  kube.get<KubeObject & { spec: { dataSourceRef?: { name: string } }; status?: { phase?: string } }>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: ns,
    name,
  });
const requestOf = async (ns: string, pvc: string): Promise<RestoreRequest | undefined> =>
  parseRestoreRequest(
    (
      await kube.get({
        apiVersion: VOLSYNC_API_VERSION,
        kind: 'ReplicationDestination',
        namespace: ns,
        name: `${pvc}-restore`,
      })
    )?.metadata.annotations?.[RESTORE_REQUEST_ANNOTATION],
  );
const replicasOf = async (ns: string, kind: string, name: string) =>
  (await kube.get<KubeObject & { spec: { replicas: number } }>({ apiVersion: 'apps/v1', kind, namespace: ns, name }))
    ?.spec.replicas;

function cli(...args: string[]) {
  return runWithEnv(
    {},
    'restore',
    ...args,
    '--kubeconfig',
    cp.kubeconfigPath,
    '--config',
    configFile,
    '--poll',
    '100ms',
    '--wait-timeout',
    '60s',
  );
}

function runner(
  ns: string,
  pvc: string,
  extra: Partial<RestoreOptions> = {},
): { promise: Promise<unknown>; lines: string[]; abort: AbortController } {
  const lines: string[] = [];
  const abort = new AbortController();
  const promise = runRestore({
    kube,
    config,
    catalog,
    namespace: ns,
    pvc,
    selection: { kind: 'newest' },
    selectionGiven: false,
    recreate: false,
    dryRun: false,
    progress: (line) => {
      lines.push(line);
    },
    signal: abort.signal,
    holderId: `test-${Math.random().toString(16).slice(2, 8)}`,
    pollMs: 50,
    waitTimeoutMs: 60_000,
    ...extra,
  });
  return { promise, lines, abort };
}

before(async () => {
  [cp, kopia] = await Promise.all([startControlPlane({ crds: 'kopia-fork' }), kopiaFixture()]);
  kube = new KubeClient(cp.kubeConfig);
  configFile = `${await tempDir('lifeboat-restore-')}/lifeboat.yaml`;
  await writeFile(configFile, 'namespace: lifeboat-system\n');
  await namespace(kube, 'lifeboat-system', false);
  await sourceSecret(kube, kopia);
  for (const ns of ['shop', 'blog', 'resume', 'refuse']) {
    await namespace(kube, ns);
    await admissionFor(ns);
  }
  await startWebhook();
  await backups('shop', 'data', [1, 2, 3]);
  await backups('shop', 'cfg', [1, 2]);
  await backups('blog', 'data-db-0', [1, 2, 3]);
  await backups('resume', 'data', [1, 2]);
  await backups('refuse', 'data', [1, 2]);
  await backups('refuse', 'elsewhere', [1]);
  catalog = kopia.catalog();
  await catalog.refresh();
  players = play(['shop', 'blog', 'resume', 'refuse']);
});

after(async () => {
  playing = false;
  await players;
  await catalog?.stop();
  await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
  kube?.close();
  await cp?.stop();
  await kopia?.repo.cleanup();
});

describe('lifeboat restore (real API server, real kopia repository)', () => {
  it('Deployment consumer, PVC recreated by GitOps, --as-of picks the snapshot at or before the time', async () => {
    const original = await protectedClaim('shop', 'data', { labels: { app: 'web' } });
    gitops.set('shop/data', pvcManifest('shop', 'data', { labels: { backup: 'hourly', app: 'web' } }));
    await deployment('shop', 'web', 'data', 2);
    await eventually('the Deployment runs 2 replicas', async () =>
      (await replicasOf('shop', 'Deployment', 'web')) === 2 ? true : undefined,
    );
    const [s1, s2] = snaps['shop/data'] ?? [];
    const asOf = new Date(Date.parse(s2?.time ?? '') - 3_600_000).toISOString();

    const run = await cli('shop/data', '--as-of', asOf, '--yes');
    assert.equal(run.status, 0, run.err + run.out);
    assert.match(
      run.out,
      new RegExp(
        `restore shop/data to snapshot ${s1?.id} from ${s1?.time} \\(the newest snapshot at or before ${asOf}\\)`,
      ),
    );
    assert.match(run.out, /workloads to stop: Deployment web \(2\)/);
    for (const step of [
      '[1/5] recorded',
      '[2/5] scale',
      '[3/5] delete the PVC',
      '[4/5] wait for the PVC',
      '[5/5] scale the workloads back',
      'done: shop/data was restored',
    ]) {
      assert.ok(run.out.includes(step), `missing "${step}" in:\n${run.out}`);
    }
    const restored = await claimOf('shop', 'data');
    assert.notEqual(restored?.metadata.uid, original.metadata.uid);
    assert.equal(restored?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], s1?.id);
    assert.equal(restored?.status?.phase, 'Bound');
    assert.equal(await replicasOf('shop', 'Deployment', 'web'), 2);
    assert.equal(await requestOf('shop', 'data'), undefined, 'the request (lock) is cleared');
    const reasons = (await eventsFor(kube, 'shop', 'PersistentVolumeClaim', 'data')).map((e) => e.reason);
    for (const reason of [
      'RestoreRequested',
      'RestoreScaledDown',
      'RestoreDeletingPvc',
      'RestorePvcRestored',
      'RestoreScaledUp',
      'RestoreCompleted',
    ]) {
      assert.ok(reasons.includes(reason), `Event ${reason} missing: ${reasons.join(', ')}`);
    }
    assert.doesNotMatch(run.out + run.err, new RegExp(PASSWORD));
    gitops.delete('shop/data');
  });

  it('StatefulSet consumer whose volumeClaimTemplates recreate the PVC, --previous 1', async () => {
    await kube.apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'blog' },
      spec: {
        replicas: 1,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: { backup: 'hourly' } },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    });
    // Playing the StatefulSet controller: it created data-db-0 from the template; playing the PV controller: Bound.
    const original = await eventually('data-db-0 exists', () => claimOf('blog', 'data-db-0'));
    await mergePatch(
      kube,
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'blog', name: 'data-db-0' },
      { status: { phase: 'Bound' } },
      'status',
    );
    await controllerDestination(kube, config, 'blog', 'data-db-0');
    const second = snaps['blog/data-db-0']?.[1];

    const run = await cli('blog/data-db-0', '--previous', '1', '--yes');
    assert.equal(run.status, 0, run.err + run.out);
    assert.match(run.out, /workloads to stop: StatefulSet db \(1\)/);
    assert.match(run.out, /scaling up StatefulSet db \(1\): its volumeClaimTemplates recreate the PVC/);
    const restored = await claimOf('blog', 'data-db-0');
    assert.notEqual(restored?.metadata.uid, original.metadata.uid);
    assert.equal(restored?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], second?.id);
    assert.equal(await replicasOf('blog', 'StatefulSet', 'db'), 1);
    assert.equal(await requestOf('blog', 'data-db-0'), undefined);
  });

  it('--recreate creates the PVC from its captured spec; --snapshot takes an id prefix', async () => {
    await protectedClaim('shop', 'cfg', { annotations: { team: 'shop' } });
    await deployment('shop', 'cfg-reader', 'cfg', 1);
    const first = snaps['shop/cfg']?.[0];
    const run = await cli('shop/cfg', '--snapshot', first?.id.slice(0, 10) ?? '', '--recreate', '--yes');
    assert.equal(run.status, 0, run.err + run.out);
    assert.match(run.out, /recreating PVC shop\/cfg from its captured spec/);
    const restored = await claimOf('shop', 'cfg');
    assert.deepEqual(restored?.metadata.labels, { backup: 'hourly' });
    assert.equal(restored?.metadata.annotations?.team, 'shop');
    assert.equal(restored?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], first?.id);
    assert.equal(restored?.spec.dataSourceRef?.name, restorePointName('cfg', first?.id ?? '', config.naming));
    assert.equal(await replicasOf('shop', 'Deployment', 'cfg-reader'), 1);
  });

  it('stops after every step and continues from the recorded step when run again', async () => {
    await protectedClaim('resume', 'data');
    gitops.set('resume/data', pvcManifest('resume', 'data', { labels: { backup: 'hourly' } }));
    await deployment('resume', 'api', 'data', 3);
    await eventually('api runs 3 replicas', async () =>
      (await replicasOf('resume', 'Deployment', 'api')) === 3 ? true : undefined,
    );
    const expected = snaps['resume/data']?.at(-1);
    // Interrupt as each step begins (the step before it is recorded), the way Ctrl-C lands at any moment.
    const interrupts: [string, RestoreRequest['step']][] = [
      ['[2/5]', 'requested'],
      ['[3/5]', 'scaled-down'],
      ['[4/5]', 'pvc-deleted'],
      ['[5/5]', 'pvc-restored'],
    ];
    for (const [line, recorded] of interrupts) {
      const lines: string[] = [];
      const abort = new AbortController();
      const run = runRestore({
        kube,
        config,
        catalog,
        namespace: 'resume',
        pvc: 'data',
        selection: { kind: 'newest' },
        selectionGiven: false,
        recreate: false,
        dryRun: false,
        progress: (l) => {
          lines.push(l);
          if (l.startsWith(line)) abort.abort();
        },
        signal: abort.signal,
        holderId: `run-${line}`,
        pollMs: 50,
        waitTimeoutMs: 60_000,
      });
      await assert.rejects(run, Interrupted, lines.join('\n'));
      const request = await requestOf('resume', 'data');
      assert.equal(request?.step, recorded, `interrupted at ${line}`);
      assert.equal(request?.snapshotId, expected?.id);
      assert.equal(request?.holder?.renewedAt, null, 'the lock was released for the next run');
      assert.deepEqual(
        request?.replicas,
        [{ kind: 'Deployment', name: 'api', replicas: 3 }],
        'the original replicas are kept across runs',
      );
      if (recorded !== 'requested')
        assert.ok(
          lines.some((l) => l.startsWith('resuming after step')),
          lines.join('\n'),
        );
    }
    const last = await cli('resume/data', '--yes');
    assert.equal(last.status, 0, last.err + last.out);
    assert.match(last.out, /continue the restore of resume\/data/);
    assert.match(last.out, /resuming after step "pvc-restored"/);
    assert.equal(await replicasOf('resume', 'Deployment', 'api'), 3);
    assert.equal((await claimOf('resume', 'data'))?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], expected?.id);
    assert.equal(await requestOf('resume', 'data'), undefined);
    gitops.delete('resume/data');
  });

  it('refuses: no such snapshot, not managed, unscalable consumers, no confirmation, dry run changes nothing', async () => {
    await protectedClaim('refuse', 'data');
    const noSnapshot = await cli('refuse/data', '--snapshot', 'ffffffff', '--yes');
    assert.equal(noSnapshot.status, 5, 'refused: exit status 5');
    assert.match(noSnapshot.err, /no complete snapshot ffffffff of refuse\/data/);

    await create('refuse', pvcManifest('refuse', 'plain'));
    const unmanaged = await cli('refuse/plain', '--yes');
    assert.equal(unmanaged.status, 5, 'refused: exit status 5');
    assert.match(
      unmanaged.err,
      /refuse\/plain has no lifeboat restore point \(ReplicationDestination refuse\/plain-restore\)/,
    );

    // A leftover restore point of a PVC that lost its label: the PVC is not protected any more.
    await create(
      'refuse',
      pvcManifest('refuse', 'elsewhere', {
        labels: { 'backup-exempt': 'true' },
        annotations: { 'lifeboat.dev/backup-exempt-reason': 'scratch' },
      }),
    );
    await controllerDestination(kube, config, 'refuse', 'elsewhere');
    const exempt = await cli('refuse/elsewhere', '--yes');
    assert.equal(exempt.status, 5, 'refused: exit status 5');
    assert.match(exempt.err, /PVC refuse\/elsewhere is not protected by lifeboat \(exempt: scratch\)/);

    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'debug', namespace: 'refuse' },
      spec: {
        containers: [{ name: 'sh', image: 'busybox' }],
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
      },
    });
    await kube.apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'refuse' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            containers: [{ name: 'a', image: 'busybox' }],
            volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
          },
        },
      },
    });
    const unscalable = await cli('refuse/data', '--yes');
    assert.equal(unscalable.status, 5, 'refused: exit status 5');
    assert.match(unscalable.err, /cannot stop everything that uses PVC refuse\/data:/);
    assert.match(unscalable.err, /DaemonSet agent mounts the PVC and cannot be scaled to zero/);
    assert.match(unscalable.err, /Pod debug mounts the PVC and has no owner \(a bare Pod\)/);
    await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: 'refuse', name: 'debug' });
    await kube.delete({ apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'refuse', name: 'agent' });

    const dry = await cli('refuse/data', '--dry-run');
    assert.equal(dry.status, 0, dry.err);
    assert.match(dry.out, /restore refuse\/data to snapshot .* \(the newest snapshot\)/);
    const unconfirmed = await cli('refuse/data');
    assert.equal(unconfirmed.status, 5, 'refused: exit status 5');
    assert.match(unconfirmed.err, /pass --yes/);
    assert.match(unconfirmed.err, /not confirmed: nothing was changed/);
    assert.equal(await requestOf('refuse', 'data'), undefined, 'nothing was recorded');
    assert.ok(await claimOf('refuse', 'data'), 'the PVC is untouched');
  });

  it('denies a concurrent restore of the same PVC, and a different snapshot while one is pending', async () => {
    // Run A waits for the PVC to come back (no GitOps for it): it holds the lock meanwhile.
    const a = runner('refuse', 'data');
    await eventually('run A deleted the PVC', async () =>
      (await requestOf('refuse', 'data'))?.step === 'pvc-deleted' ? true : undefined,
    );
    const b = await cli('refuse/data', '--yes');
    assert.equal(b.status, 5, 'refused: exit status 5');
    assert.match(
      b.err,
      /another lifeboat restore of refuse\/data is running \(holder test-\w+, at step "pvc-deleted"\)/,
    );
    const raced = runner('refuse', 'data');
    await assert.rejects(raced.promise, RestoreLocked);
    a.abort.abort();
    await assert.rejects(a.promise, Interrupted);
    // Not held any more, but pending for the newest snapshot: another snapshot is refused, with how to go on.
    const older = snaps['refuse/data']?.[0]?.id ?? '';
    const other = await cli('refuse/data', '--snapshot', older, '--yes');
    assert.equal(other.status, 5, 'refused: exit status 5');
    assert.match(
      other.err,
      /a restore of refuse\/data to snapshot \w+ .* is in progress since .*, at step "pvc-deleted"; snapshot \w+ is \w+\. Run lifeboat restore refuse\/data without --as-of\/--previous\/--snapshot to continue it, or cancel it with kubectl -n refuse annotate replicationdestination data-restore lifeboat.dev\/restore-request-/,
    );
    // Continuing it (nothing recreates this claim, so --recreate does, from the spec captured before deletion).
    const resumed = await cli('refuse/data', '--recreate', '--yes');
    assert.equal(resumed.status, 0, `${resumed.err}${resumed.out}`);
    assert.equal(
      (await claimOf('refuse', 'data'))?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION],
      snaps['refuse/data']?.[1]?.id,
    );
  });

  it('a PVC that comes back without the restore (admission bypassed) is refused; deleting it and re-running continues', async () => {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'glass', annotations: { 'volsync.backube/privileged-movers': 'true' } },
    });
    await backups('glass', 'data', [1]);
    await catalog.refresh();
    await protectedClaim('glass', 'data');
    // GitOps recreates the claim in a namespace the admission stand-in does not serve (as under break-glass).
    gitops.set('glass/data', pvcManifest('glass', 'data', { labels: { backup: 'hourly' } }));
    const playGlass = (async () => {
      while (gitops.has('glass/data')) {
        await playOnce('glass').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const refused = await cli('glass/data', '--yes');
      assert.equal(refused.status, 5, 'refused: exit status 5');
      assert.match(
        refused.err,
        /PVC glass\/data came back, but it was created with no dataSourceRef, not from a lifeboat restore point/,
      );
      assert.equal((await requestOf('glass', 'data'))?.step, 'pvc-deleted');
      // The fix: admission back for the namespace, the empty claim deleted; the same command continues.
      await admissionFor('glass');
      await kube.delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'glass', name: 'data' });
      await eventually('the empty claim is gone and back', async () => {
        const c = await claimOf('glass', 'data');
        return c?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION] ? true : undefined;
      });
      const resumed = await cli('glass/data', '--yes');
      assert.equal(resumed.status, 0, resumed.err + resumed.out);
      assert.equal(await requestOf('glass', 'data'), undefined);
    } finally {
      gitops.delete('glass/data');
      await playGlass;
    }
  });
});
