/**
 * A new application's first CREATE with restic (one repository per PVC), through the real `lifeboat run` and the real
 * API server: the PVC's own repository has never been read (the catalog's only refresh ran before it existed, and the
 * next one is an hour away), yet admission answers at once from that repository — `fresh` for a repository that does
 * not exist, `restore` for one the real restic wrote — instead of refusing the CREATE with catalog-not-loaded.
 *
 * Nothing else runs in this cluster: no VolSync, no populator (the test only looks at what admission decided).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { startLifeboatRun, stopLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';
import { createResticRepository, type ResticTestRepository } from '../support/restic.ts';

const PW = 'first-create-password';

let cp: ControlPlane;
let kube: KubeClient;
let root: string;
let lifeboat: ChildProcess | undefined;
const log = { text: '' };
const repositories: ResticTestRepository[] = [];
const ports = { ops: 0, webhook: 0 };

async function namespace(name: string) {
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } },
  });
}

async function createPvc(ns: string, name: string) {
  const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ns);
  return await kube.http.request<KubeObject & { spec: { dataSourceRef?: { name: string } } }>('POST', path, {
    body: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns, labels: { backup: 'daily' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
}

async function resticAt(ns: string, pvc: string): Promise<ResticTestRepository> {
  const repo = await createResticRepository({ version: 2, on: 'fs', password: PW, path: join(root, ns, pvc) });
  repositories.push(repo);
  await repo.backup();
  return repo;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lifeboat-first-create-'));
  cp = await startControlPlane({ crds: 'kopia-fork' });
  kube = new KubeClient(cp.kubeConfig);
  await resticAt('old', 'data'); // the root holds one repository already
  for (const ns of ['lifeboat-system', 'old']) await namespace(ns);
  await kube.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
      data: { RESTIC_PASSWORD: Buffer.from(PW).toString('base64') },
    },
    { force: true },
  );
  const cfg = join(cp.dir, 'first-create.yaml');
  ports.ops = await freePort();
  ports.webhook = await freePort();
  lifeboat = await startLifeboatRun({
    configPath: cfg,
    configYaml:
      `namespace: lifeboat-system\nrepository: { backend: restic, url: "${root}/{namespace}/{pvc}" }\n` +
      'catalog: { refreshInterval: 1h, staleAfter: 2h }\n',
    kubeconfig: cp.kubeconfigPath,
    ports,
    kube,
    log,
  });
});

after(async () => {
  await stopLifeboatRun(lifeboat);
  kube?.close();
  await cp?.stop();
  for (const r of repositories) await r.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a new app with restic: the first CREATE is answered at once', () => {
  it('a namespace lifeboat never read, no repository yet → admitted fresh on the first try', async () => {
    await namespace('newapp');
    const pvc = await createPvc('newapp', 'data');
    assert.equal(pvc.spec.dataSourceRef, undefined, 'fresh: binds empty');
    assert.doesNotMatch(log.text, /catalog-not-loaded/);
  });

  it('a repository written after the last refresh → restored on the first try', async () => {
    await namespace('moved');
    await resticAt('moved', 'data');
    const pvc = await createPvc('moved', 'data');
    assert.match(pvc.spec.dataSourceRef?.name ?? '', /^data-restore-/, JSON.stringify(pvc.spec));
  });
});
