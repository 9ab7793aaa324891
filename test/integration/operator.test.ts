/**
 * The operator as a whole on a real API server: leader election between replicas (only the leader writes), the real
 * `lifeboat run` process (health, metrics, reconcile, graceful stop), and refusal of a configuration the installed
 * VolSync cannot run. Own control planes: operators watch every namespace.
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigurationError, LEASE_NAME, Operator } from '../../src/controller/operator.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { spawnLifeboatRun } from '../support/lifeboat-run.ts';
import { freePort } from '../support/processes.ts';

const VOLSYNC = 'volsync.backube/v1alpha1';
const FAST_LEASE = { durationSeconds: 3, renewDeadlineMs: 2000, retryPeriodMs: 500 };

async function setup(kube: KubeClient, ns: string, pvcs: string[]) {
  for (const name of ['lifeboat-system', ns]) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations: name === ns ? { 'volsync.backube/privileged-movers': 'true' } : {} },
    });
  }
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
    data: {
      KOPIA_PASSWORD: Buffer.from('pw').toString('base64'),
      KOPIA_REPOSITORY: Buffer.from('filesystem:///repository').toString('base64'),
    },
  });
  for (const name of pvcs) {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns, labels: { backup: 'daily' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
  }
}

describe('operator (kopia-fork VolSync)', () => {
  let cp: ControlPlane;
  let kube: KubeClient;
  before(async () => {
    cp = await startControlPlane({ crds: 'kopia-fork' });
    kube = new KubeClient(cp.kubeConfig);
  });
  after(async () => {
    kube.close();
    await cp.stop();
  });

  it('two replicas: exactly one leads and writes; when it stops, the other takes over', async () => {
    await setup(kube, 'replicas', ['a']);
    const config = loadConfig('namespace: lifeboat-system');
    const replicas = ['one', 'two'].map(
      (identity) =>
        new Operator({
          kube: new KubeClient(cp.kubeConfig),
          config,
          identity,
          registry: new Registry(),
          lease: FAST_LEASE,
        }),
    );
    const terms = replicas.map((r) => r.run());
    try {
      await eventually('a leader', async () => (replicas.some((r) => r.isLeader()) ? true : undefined));
      // Let the follower campaign a few times: it must stay a follower and start no controller.
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(replicas.filter((r) => r.isLeader()).length, 1, 'exactly one leader');
      assert.equal(replicas.filter((r) => r.controller !== undefined).length, 1, 'only the leader reconciles');
      await eventually('RD written by the leader', () =>
        kube.get({ apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: 'replicas', name: 'a-restore' }),
      );
      const rd = await kube.get({
        apiVersion: VOLSYNC,
        kind: 'ReplicationDestination',
        namespace: 'replicas',
        name: 'a-restore',
      });
      assert.deepEqual(
        (rd?.metadata.managedFields ?? []).map((m) => m.manager),
        ['lifeboat'],
        'written only under the lifeboat field manager',
      );

      const leader = replicas.find((r) => r.isLeader());
      const follower = replicas.find((r) => !r.isLeader());
      assert.ok(leader && follower);
      await leader.stop();
      await eventually('takeover', async () => (follower.isLeader() ? true : undefined), 15_000);
      // The new leader reconciles: a new labelled PVC gets its objects.
      await kube.apply({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'b', namespace: 'replicas', labels: { backup: 'daily' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      });
      await eventually('RD from the new leader', () =>
        kube.get({ apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: 'replicas', name: 'b-restore' }),
      );
    } finally {
      for (const r of replicas) await r.stop();
      await Promise.all(terms);
    }
  });

  it('`lifeboat run` as a real process: health, metrics, reconcile, graceful stop releasing the Lease', async () => {
    await setup(kube, 'process', ['data']);
    const port = await freePort();
    const webhookPort = await freePort();
    const cfg = join(cp.dir, 'run-config.yaml');
    await writeFile(cfg, 'namespace: lifeboat-system\n');
    const child = spawnLifeboatRun({
      config: cfg,
      kubeconfig: cp.kubeconfigPath,
      ports: { ops: port, webhook: webhookPort },
      stdio: ['ignore', 'pipe', 'pipe'],
    }) as ChildProcessWithoutNullStreams;
    let logs = '';
    child.stderr.on('data', (c: Buffer) => {
      logs += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually('healthz', async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined,
      );
      await eventually('RD', () =>
        kube.get({ apiVersion: VOLSYNC, kind: 'ReplicationDestination', namespace: 'process', name: 'data-restore' }),
      );
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^lifeboat_leader 1$/m);
      assert.match(metrics, /^controller_runtime_reconcile_total\{controller="pvc",result="success"\} [1-9]/m);
      assert.match(metrics, /^workqueue_depth\{name="pvc"\} \d+/m);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, logs);
    for (const line of logs.trim().split('\n')) JSON.parse(line); // structured logs: one JSON object per line
    assert.doesNotMatch(logs, /"pw"|cHc=/, 'the repository password never reaches the logs');
    const lease = await kube.get<KubeObject & { spec: { holderIdentity?: string } }>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: 'lifeboat-system',
      name: LEASE_NAME,
    });
    assert.ok(!lease?.spec.holderIdentity, 'the Lease is released on a graceful stop');
  });
});

describe('operator (upstream VolSync)', () => {
  it('refuses a kopia configuration with a message naming the fix, and runs a restic one', async () => {
    const cp = await startControlPlane({ crds: 'upstream' });
    const kube = new KubeClient(cp.kubeConfig);
    try {
      await setup(kube, 'up', []);
      const kopia = new Operator({
        kube,
        config: loadConfig('namespace: lifeboat-system\nrepository: { backend: kopia }'),
        identity: 'x',
        registry: new Registry(),
      });
      await assert.rejects(kopia.run(), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.match(error.message, /upstream VolSync .* has no kopia mover: install the perfectra1n\/volsync fork/);
        return true;
      });
      const restic = new Operator({
        kube,
        config: loadConfig(
          'namespace: lifeboat-system\nrepository: { backend: restic, url: "s3:http://127.0.0.1:9/volsync/{namespace}/{pvc}" }',
        ),
        identity: 'y',
        registry: new Registry(),
        lease: FAST_LEASE,
      });
      const term = restic.run();
      await eventually('restic operator leads', async () => (restic.controller ? true : undefined));
      await restic.stop();
      assert.equal(await term, 'stopped');
    } finally {
      kube.close();
      await cp.stop();
    }
  });
});
