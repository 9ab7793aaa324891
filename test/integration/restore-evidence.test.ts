/**
 * Restore evidence end to end through the real `lifeboat run`, a real kube-apiserver and a real Kopia repository:
 * after every restore lifeboat knows which snapshot was restored, records it on the PVC, and stops or flags a restore
 * that used another snapshot than admission pinned (the retention race of issue 10).
 *
 * This test plays VolSync's controller and the volume populator: it writes the restore point's
 * `status.latestMoverStatus` and `status.latestImage` and marks the PVC Bound. What it writes as the mover's report
 * is not made up: it runs VolSync's real `mover-kopia/entry.sh` (test/support/volsync-mover.ts) against the same
 * repository with the restore point's own `restoreAsOf` and identity, and passes its output through VolSync's log
 * filter.
 * Real twins: test/integration/restore-evidence-movers.test.ts (the real mover scripts and the retention race) and
 * test/integration/realnode-data-path-*.test.ts, which checks the verdict lifeboat records after a restore by the real
 * VolSync controller, mover and populator.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { startLifeboatRun, stopLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import { type MoverRestoreResult, runKopiaMoverRestore, volsyncStatusLogs } from '../support/volsync-mover.ts';

const NS = 'evidence';
const VOLSYNC = 'volsync.backube/v1alpha1';
const PASSWORD = 'evidence-test-password';

let cp: ControlPlane;
let kube: KubeClient;
let repo: KopiaTestRepository;
let lifeboat: ChildProcess | undefined;
const log = { text: '' };
const ports = { ops: 0, webhook: 0 };
const runs: MoverRestoreResult[] = [];
/** Snapshot ids per PVC, oldest first. */
const snapshots = new Map<string, string[]>();

type Pvc = KubeObject & {
  spec: { dataSourceRef?: { name: string } };
  status?: { phase?: string };
};
type Rd = KubeObject & {
  spec: { kopia: { restoreAsOf: string; username: string; hostname: string } };
  status?: { latestImage?: unknown };
};

const rdRef = (name: string) => ({ apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: NS, name });
const pvcRef = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name });

async function createPvc(name: string): Promise<Pvc> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', NS);
  return await kube.http.request<Pvc>('POST', path, {
    body: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: NS, labels: { backup: 'daily' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
}

async function patchStatus(target: ReturnType<typeof rdRef>, status: unknown) {
  const path = await kube.resources.objectPath(target.apiVersion, target.kind, target.name, target.namespace);
  await kube.http.request('PATCH', `${path}/status`, {
    contentType: 'application/merge-patch+json',
    body: { status },
  });
}

/** Plays the mover Job: the real kopia mover script restores what the restore point asks for. */
async function runMover(rd: Rd): Promise<MoverRestoreResult> {
  const run = await runKopiaMoverRestore({
    repo,
    username: rd.spec.kopia.username,
    hostname: rd.spec.kopia.hostname,
    restoreAsOf: rd.spec.kopia.restoreAsOf,
  });
  runs.push(run);
  assert.equal(run.result, 'Successful', run.podLog);
  return run;
}

async function annotations(name: string): Promise<Record<string, string>> {
  return (await kube.get(pvcRef(name)))?.metadata.annotations ?? {};
}

async function event(pvc: string, reason: string): Promise<string> {
  return await eventually(`${reason} Event on ${pvc}`, async () => {
    const events = await kube.list<KubeObject & { regarding?: { name?: string }; reason?: string; note?: string }>(
      'events.k8s.io/v1',
      'Event',
      { namespace: NS },
    );
    return events.find((e) => e.regarding?.name === pvc && e.reason === reason)?.note;
  });
}

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}
const restoresTotal = (outcome: string) => metric(`lifeboat_restores_total{outcome="${outcome}"}`);
/** Finished PVC reconciles (every result). */
const reconciles = async () =>
  (await metric('controller_runtime_reconcile_total{controller="pvc",result="success"}')) +
  ((await metric('controller_runtime_reconcile_total{controller="pvc",result="requeue_after"}')) || 0);

before(async () => {
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
  repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: PASSWORD });
  // Two backups per PVC, made before lifeboat starts: its catalog reads them once and (refresh interval 1 h) does
  // not notice when one goes — the stale belief the race needs.
  for (const pvc of ['alpha', 'beta', 'gamma']) {
    const ids: string[] = [];
    for (const [i, at] of ['2026-11-20T02:17:00Z', '2026-11-21T02:17:00Z'].entries()) {
      const dir = await makeSourceDir(repo.root, `${pvc}-${i}`, { 'db.sqlite': `${pvc} v${i + 1}` });
      ids.push((await repo.snapshot({ source: `${pvc}-backup@${NS}:/data`, dir, startTime: new Date(at) })).id);
    }
    snapshots.set(pvc, ids);
  }
  for (const name of ['lifeboat-system', NS]) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations: name === NS ? { 'volsync.backube/privileged-movers': 'true' } : {} },
    });
  }
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
      data: { KOPIA_PASSWORD: b64(PASSWORD), KOPIA_REPOSITORY: b64(`filesystem://${repo.repoPath}`) },
    },
    { force: true },
  );
  ports.ops = await freePort();
  ports.webhook = await freePort();
  lifeboat = await startLifeboatRun({
    configPath: join(cp.dir, 'evidence-config.yaml'),
    configYaml: 'namespace: lifeboat-system\ncatalog: { refreshInterval: 1h, staleAfter: 2h }\n',
    kubeconfig: cp.kubeconfigPath,
    ports,
    kube,
    log,
  });
});

after(async () => {
  await stopLifeboatRun(lifeboat);
  for (const r of runs) r.cleanup();
  kube?.close();
  await cp?.stop();
  await repo?.cleanup();
});

describe('restore evidence (real lifeboat run, kube-apiserver, kopia repository and mover script)', () => {
  it('a restore of the pinned snapshot is verified and recorded before the restore point goes', async () => {
    const [, newest] = snapshots.get('alpha') ?? [];
    const pvc = await createPvc('alpha');
    assert.equal(pvc.metadata.annotations?.['lifeboat.dev/restore-snapshot'], newest);
    const point = pvc.spec.dataSourceRef?.name ?? '';
    const rd = await eventually('restore point created', () => kube.get<Rd>(rdRef(point)));

    const run = await runMover(rd);
    assert.deepEqual(run.files(), { 'db.sqlite': 'alpha v2' });
    // VolSync's kopia filter keeps no selection: lifeboat re-reads the repository after the mover finished.
    await patchStatus(rdRef(point), { latestMoverStatus: { result: run.result, logs: run.statusLogs } });
    const recorded = await eventually('verdict recorded', async () => {
      const a = await annotations('alpha');
      return a['lifeboat.dev/restore-verdict'] ? a : undefined;
    });
    assert.match(recorded['lifeboat.dev/restore-verdict'] ?? '', /^verified: /);
    assert.match(recorded['lifeboat.dev/restored-from'] ?? '', new RegExp(`^${newest} 2026-11-21T02:17:00`));
    assert.match(await event('alpha', 'RestoreVerified'), /still held it after the mover finished/);

    // VolSync publishes the image, the populator binds the claim: the restore point is deleted as before.
    await patchStatus(rdRef(point), {
      latestImage: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: `${point}-snap` },
    });
    const path = await kube.resources.objectPath('v1', 'PersistentVolumeClaim', 'alpha', NS);
    await kube.http.request('PATCH', `${path}/status`, {
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Bound' } },
    });
    await eventually('restore point deleted once Bound', async () =>
      (await kube.get(rdRef(point))) ? undefined : true,
    );
    assert.equal(await restoresTotal('verified'), 1);
  });

  it('retention race after arming: the mover restores an older snapshot; lifeboat stops it before hand-over', async () => {
    const [older, newest] = snapshots.get('beta') ?? [];
    const pvc = await createPvc('beta');
    assert.equal(pvc.metadata.annotations?.['lifeboat.dev/restore-snapshot'], newest);
    const point = pvc.spec.dataSourceRef?.name ?? '';
    const rd = await eventually('restore point created', () => kube.get<Rd>(rdRef(point)));

    // The source's retention forgets the pinned snapshot after the restore point was armed, before the mover ran.
    await repo.deleteSnapshots([newest ?? '']);
    const run = await runMover(rd);
    assert.deepEqual(run.files(), { 'db.sqlite': 'beta v1' }, 'restoreAsOf fell back to the older snapshot');
    // VolSync run with MOVER_LOG_DEBUG=true keeps the script's selection line in the status.
    await patchStatus(rdRef(point), {
      latestMoverStatus: { result: run.result, logs: volsyncStatusLogs('kopia', run.podLog, true) },
    });
    await eventually('the restore point is deleted before VolSync publishes its image', async () =>
      (await kube.get(rdRef(point))) ? undefined : true,
    );
    // lifeboat stops the restore first and records the verdict right after: wait for the record, not just the stop.
    const a = await eventually('verdict recorded', async () => {
      const recorded = await annotations('beta');
      return recorded['lifeboat.dev/restore-verdict'] ? recorded : undefined;
    });
    assert.match(
      a['lifeboat.dev/restore-verdict'] ?? '',
      new RegExp(`^mismatch: the mover restored snapshot ${older}`),
    );
    assert.match(a['lifeboat.dev/restored-from'] ?? '', new RegExp(`^${older} `));
    assert.match(await event('beta', 'RestoreMismatch'), /deleted before VolSync published its image/);
    assert.equal(await restoresTotal('mismatch'), 1);

    // Withheld for good: a later reconcile (any change to the PVC starts one) does not create it again.
    const before = await reconciles();
    const path = await kube.resources.objectPath('v1', 'PersistentVolumeClaim', 'beta', NS);
    await kube.http.request('PATCH', path, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    await eventually('a reconcile after the change', async () => ((await reconciles()) > before ? true : undefined));
    assert.equal(await kube.get(rdRef(point)), undefined, log.text.slice(-3000));
    assert.equal((await kube.get<Pvc>(pvcRef('beta')))?.status?.phase ?? 'Pending', 'Pending');
  });

  it('retention race before arming: the pinned snapshot is already gone, so no restore point is created', async () => {
    const [, newest] = snapshots.get('gamma') ?? [];
    await repo.deleteSnapshots([newest ?? '']);
    // The catalog (refreshed once, an hour ago as far as it knows) still believes in it: admission pins it.
    const pvc = await createPvc('gamma');
    assert.equal(pvc.metadata.annotations?.['lifeboat.dev/restore-snapshot'], newest);
    const note = await event('gamma', 'RestoreRefused');
    assert.match(note, /no longer in the repository/);
    assert.match((await annotations('gamma'))['lifeboat.dev/restore-verdict'] ?? '', /^refused: /);
    assert.equal(await kube.get(rdRef(pvc.spec.dataSourceRef?.name ?? '')), undefined);
    assert.equal(await restoresTotal('refused'), 1);
  });
});
