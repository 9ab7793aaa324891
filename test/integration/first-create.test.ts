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

/** How many Namespace GETs the API server has answered so far (its own request counter, every client together). */
async function namespaceGets(): Promise<number> {
  const text = await kube.http.request<string>('GET', '/metrics');
  let total = 0;
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    if (!line.includes('resource="namespaces"') || !line.includes('verb="GET"') || !line.includes('subresource=""')) {
      continue;
    }
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('a new app with restic: the first CREATE is answered at once', () => {
  it('a namespace lifeboat never read, no repository yet → admitted fresh on the first try', async () => {
    await namespace('newapp');
    const pvc = await createPvc('newapp', 'data');
    assert.equal(pvc.spec.dataSourceRef, undefined, 'fresh: binds empty');
    assert.doesNotMatch(log.text, /catalog-not-loaded/);
  });

  it("admission reads the leader's Namespace cache: CREATEs in namespaces it already watched cost no Namespace GET", async () => {
    const names = ['cached-a', 'cached-b', 'cached-c'];
    for (const ns of names) await namespace(ns);
    // The leader's controller watches Namespaces; give its watch time to bring the three new ones.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = await namespaceGets();
    for (const ns of names) {
      const pvc = await createPvc(ns, 'data');
      assert.equal(pvc.spec.dataSourceRef, undefined, 'fresh: admitted after reading its opted-in Namespace');
    }
    // Each namespace is new to admission's own short-lived lookup cache: asking the API server would cost one GET each.
    assert.equal((await namespaceGets()) - before, 0);
  });

  it('a repository written after the last refresh → restored on the first try', async () => {
    await namespace('moved');
    await resticAt('moved', 'data');
    const pvc = await createPvc('moved', 'data');
    assert.match(pvc.spec.dataSourceRef?.name ?? '', /^data-restore-/, JSON.stringify(pvc.spec));
  });
});
