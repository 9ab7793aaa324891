/**
 * The data path with real bytes on a real node (test/support/realnode.ts): a real Pod writes known files and their
 * checksum manifest into a labelled PVC; the real VolSync controller runs its real kopia mover (VolSync's own
 * entry.sh) to back them up into a real kopia repository on S3 (MinIO); the PVC is deleted (the real PVC-protection
 * and garbage collector act) and recreated; lifeboat's webhook adds the dataSourceRef, VolSync's real volume populator
 * fills the claim, and a real Pod checks every byte against the manifest.
 *
 * lifeboat itself runs as a local `lifeboat run` process against the node's API server (webhook on loopback), not
 * in-cluster from its chart. Nothing here is played.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { RESTORE_SNAPSHOT_ANNOTATION } from '../../src/config/keys.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { eventually } from '../support/eventually.ts';
import { spawnLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import { type RealNodeInfo, sharedRealNode } from '../support/realnode.ts';
import { checkKnownFiles, writeKnownFiles } from '../support/realnode-pods.ts';

const NS = 'real-kopia';
const VOLSYNC = 'volsync.backube/v1alpha1';
const PVC = 'data';
const b64 = (s: string) => Buffer.from(s).toString('base64');

type Source = KubeObject & {
  spec: { trigger?: { manual?: string } };
  status?: {
    lastManualSync?: string;
    lastSyncTime?: string;
    lastSyncStartTime?: string;
    latestMoverStatus?: { result?: string; logs?: string };
  };
};
type Claim = KubeObject & {
  spec: { dataSourceRef?: { apiGroup?: string; kind: string; name: string } };
  status?: { phase?: string };
};

let node: RealNodeInfo & { kubeConfig: KubeConfig };
let kube: KubeClient;
let lifeboat: ChildProcess | undefined;
let logs = '';
let dir = '';
const ports = { ops: 0, webhook: 0 };
const timings: Record<string, number> = {};

function pvcManifest(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: PVC, namespace: NS, labels: { backup: 'manual' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

const pvcRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NS, name: PVC };
const sourceRef = { apiVersion: VOLSYNC, kind: 'ReplicationSource', namespace: NS, name: `${PVC}-backup` };

async function createPvc(): Promise<Claim> {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', NS);
  return await kube.http.request<Claim>('POST', path, { body: pvcManifest() });
}

async function bound(): Promise<Claim> {
  return await eventually(
    `${PVC} Bound`,
    async () => {
      const c = await kube.get<Claim>(pvcRef);
      return c?.status?.phase === 'Bound' ? c : undefined;
    },
    300_000,
    500,
  );
}

/** Waits until the real mover finished the sync of `token`, and returns the source's status. */
async function synced(token: string): Promise<NonNullable<Source['status']>> {
  return await eventually(
    `backup ${token} done by the kopia mover`,
    async () => {
      const rs = await kube.get<Source>(sourceRef);
      const status = rs?.status;
      if (status?.lastManualSync !== token) return undefined;
      if (status.latestMoverStatus?.result !== 'Successful') {
        throw new Error(`mover result ${status.latestMoverStatus?.result}: ${status.latestMoverStatus?.logs ?? ''}`);
      }
      return status;
    },
    300_000,
    1000,
  );
}

async function catalogNewest(count: number): Promise<{ id: string; time: string }> {
  return await eventually(
    `lifeboat's catalog shows ${count} snapshots of ${PVC}`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${ports.ops}/exists/${NS}/${PVC}`);
      const body = (await res.json()) as { snapshots?: number; newest?: { id: string; time: string } };
      return body.snapshots === count ? body.newest : undefined;
    },
    120_000,
    500,
  );
}

/** Runs one step, recording its duration; a failing step shows lifeboat's recent log with the error. */
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } catch (error) {
    process.stderr.write(`[realnode-kopia] step '${name}' failed; lifeboat's log (tail):\n${logs.slice(-4000)}\n`);
    throw error;
  } finally {
    timings[name] = Date.now() - t0;
  }
}

before(async () => {
  node = await sharedRealNode();
  kube = new KubeClient(node.kubeConfig, 'lifeboat-test');
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-real-kopia-'));
  for (const name of ['lifeboat-system', NS]) {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  const endpoint = new URL(node.s3.endpoint);
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
      data: {
        KOPIA_PASSWORD: b64('real-kopia-password'),
        KOPIA_REPOSITORY: b64(`s3://${node.s3.bucket}/${NS}`),
        KOPIA_S3_ENDPOINT: b64(endpoint.host),
        KOPIA_S3_DISABLE_TLS: b64('true'),
        AWS_ACCESS_KEY_ID: b64(node.s3.accessKeyId),
        AWS_SECRET_ACCESS_KEY: b64(node.s3.secretAccessKey),
        AWS_REGION: b64(node.s3.region),
      },
    } as KubeObject,
    { force: true },
  );
  ports.ops = await freePort();
  ports.webhook = await freePort();
  const cfg = join(dir, 'config.yaml');
  await writeFile(cfg, 'namespace: lifeboat-system\ncatalog: { refreshInterval: 2s, staleAfter: 60s }\n');
  lifeboat = spawnLifeboatRun({ config: cfg, kubeconfig: node.kubeconfigPath, ports });
  lifeboat.stderr?.on('data', (c: Buffer) => {
    logs += c.toString();
  });
  await eventually(
    'lifeboat ready',
    async () => ((await fetch(`http://127.0.0.1:${ports.ops}/readyz`)).ok ? true : undefined),
    60_000,
    250,
  );
  await eventually('webhooks registered', () =>
    kube.get({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'lifeboat' }),
  );
});

after(async () => {
  if (lifeboat && lifeboat.exitCode === null) {
    const exited = new Promise((r) => lifeboat?.once('exit', r));
    lifeboat.kill('SIGTERM');
    await exited;
  }
  // The namespace goes with everything in it (the real namespace controller); the shared node stays for others.
  await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).catch(() => false);
  kube?.close();
  await rm(dir, { recursive: true, force: true });
  process.stderr.write(`[realnode-kopia] timings (ms): ${JSON.stringify(timings)}\n`);
});

describe('real node, kopia on S3: a recreated PVC gets its bytes back', { timeout: 900_000 }, () => {
  it('new PVC starts empty at once, is backed up by the real mover, and is restored byte for byte when recreated', async () => {
    // A new app: the repository has nothing of it, so the claim comes as written and binds at once.
    const fresh = await timed('new PVC bound', async () => {
      const created = await createPvc();
      assert.equal(created.spec.dataSourceRef, undefined, 'a new PVC is not restored from anything');
      return await bound();
    });
    assert.equal(fresh.spec.dataSourceRef, undefined);

    // lifeboat generates the ReplicationSource; the real VolSync runs its first (manual) sync at once.
    const first = await timed('first backup (empty volume)', async () => {
      const rs = await eventually('ReplicationSource generated', () => kube.get<Source>(sourceRef), 60_000, 250);
      return await synced(rs.spec.trigger?.manual ?? '');
    });
    assert.ok(first.lastSyncTime);

    const manifest = await timed('writer pod', () => writeKnownFiles(kube, NS, PVC, node.toolsImage));
    assert.match(manifest, /file-1\.bin/);
    assert.equal(manifest.trim().split('\n').length, 5, manifest);

    await timed('backup after write', async () => {
      await kube.http.request(
        'PATCH',
        await kube.resources.objectPath(VOLSYNC, 'ReplicationSource', sourceRef.name, NS),
        { contentType: 'application/merge-patch+json', body: { spec: { trigger: { manual: 'after-write' } } } },
      );
      await synced('after-write');
    });
    const newest = await timed('catalog refresh', () => catalogNewest(2));

    // The app is deleted: the real PVC-protection controller lets the claim go once no Pod uses it.
    await timed('delete PVC', async () => {
      await kube.delete(pvcRef);
      await eventually('PVC gone', async () => ((await kube.get(pvcRef)) ? undefined : true), 120_000, 500);
    });

    // Recreated as GitOps would: lifeboat's webhook points it at the newest snapshot; the real populator fills it.
    const recreated = await timed('recreate + restore until Bound', async () => {
      const created = await createPvc();
      assert.equal(created.spec.dataSourceRef?.kind, 'ReplicationDestination', 'the recreated claim is restored');
      assert.equal(created.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], newest.id, 'pinned to the newest');
      return await bound();
    });
    assert.ok(recreated.spec.dataSourceRef);

    const check = await timed('checker pod', () => checkKnownFiles(kube, NS, PVC, node.toolsImage));
    assert.equal(check.exitCode, 0, `restored bytes differ: ${check.message}`);
    assert.equal(check.message, manifest, 'the restored volume holds exactly the files written');
  });
});
