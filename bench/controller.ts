/**
 * Controller benchmarks on a real API server (etcd + kube-apiserver from testenv), in one run:
 * 1. Converge 1,000 labelled PVCs in 50 namespaces (3,000 generated objects) with the PVC controller, against a raw
 *    server-side-apply loop of the same 3,000 objects at the same concurrency (goal: ≤ 1.5× the raw loop's time in
 *    every round). Three rounds of each, every sample on a fresh API server, the order alternating, so neither side
 *    always meets a server the other has already filled or warmed.
 *    The raw loop is the floor: it knows the answer and only writes; the controller also watches, plans, checks that
 *    no foreign object holds each name, and records Events.
 * 2. Resident memory of the real `lifeboat run` process watching 5,000 labelled PVCs (and their 15,000 objects)
 *    after convergence (goal: ≤ 150 MiB).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/load.ts';
import { detectCapabilities } from '../src/controller/capabilities.ts';
import { PvcController } from '../src/controller/pvc-controller.ts';
import { classifyPvc } from '../src/intent/classify.ts';
import { KubeClient, type KubeObject } from '../src/kube/client.ts';
import { EventRecorder } from '../src/kube/events.ts';
import { planPvc } from '../src/plan/plan.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import { spawnLifeboatRun } from '../test/support/lifeboat-run.ts';
import { freePort } from '../test/support/processes.ts';
import { REPO_ROOT } from '../test/support/testenv.ts';
import type { BenchResult } from './run.ts';
import { atMost } from './support/goal.ts';
import { IMAGE_NODE_FLAGS } from './support/image-flags.ts';
import { alternated } from './support/measure.ts';
import { compared, measured } from './support/report.ts';
import { pairedRatios } from './support/stats.ts';

const progress = (message: string) => process.stderr.write(`[bench] controller: ${message}\n`);

const NAMESPACES = 50;
const PVCS = Number(process.env.BENCH_PVCS ?? 1_000);
const MEMORY_PVCS = Number(process.env.BENCH_MEMORY_PVCS ?? 5_000);
const CONCURRENCY = 4;
/** Samples of each contender in the convergence comparison. */
const CONVERGENCE_ROUNDS = Number(process.env.BENCH_CONVERGENCE_ROUNDS ?? 3);
const HOUR = 3_600_000;
const CONFIG = 'namespace: lifeboat-system\n';
const NODE_FLAGS = IMAGE_NODE_FLAGS;

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

function pvcObject(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, labels: { backup: 'daily' } },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'longhorn', resources: { requests: { storage: '1Gi' } } },
  };
}

/** Namespaces opted in, PVCs created and bound (the test plays the PV controller). */
async function populate(kube: KubeClient, prefix: string, namespaces: number, pvcs: number): Promise<KubeObject[]> {
  const created: KubeObject[] = [];
  await pool(
    Array.from({ length: namespaces }, (_, i) => `${prefix}-${i}`),
    8,
    (name) =>
      kube.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } },
      }),
  );
  await pool(
    Array.from({ length: pvcs }, (_, i) => i),
    8,
    async (i) => {
      const ns = `${prefix}-${i % namespaces}`;
      const pvc = await kube.apply(pvcObject(ns, `data-${i}`));
      const path = await kube.resources.objectPath('v1', 'PersistentVolumeClaim', `data-${i}`, ns);
      await kube.http.request('PATCH', `${path}/status`, {
        contentType: 'application/merge-patch+json',
        body: { status: { phase: 'Bound' } },
      });
      created.push({ ...pvc, status: { phase: 'Bound' } });
    },
  );
  return created;
}

/** `/proc/<pid>/status` figures in MiB. */
async function procMemory(pid: number): Promise<{ rss: number; anon: number; file: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** lifeboat's namespace and the copy-mode source Secret the generated Secrets are copied from. */
async function installSourceSecret(kube: KubeClient): Promise<void> {
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lifeboat-system' } });
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'lifeboat-repository', namespace: 'lifeboat-system' },
    data: {
      KOPIA_PASSWORD: Buffer.from('bench').toString('base64'),
      KOPIA_REPOSITORY: Buffer.from('filesystem:///repository').toString('base64'),
    },
  });
}

/**
 * The real process in the steady state of an established cluster: every PVC Bound and past minPvcAge (`1s` here, as
 * no test waits two hours), so it watches the PVCs and all three generated objects of each.
 */
async function memoryRun() {
  const cp = await startControlPlane({ crds: 'kopia-fork' });
  const kube = new KubeClient(cp.kubeConfig);
  try {
    await installSourceSecret(kube);
    progress(`memory: creating ${MEMORY_PVCS} PVCs`);
    await populate(kube, 'mem', NAMESPACES, MEMORY_PVCS);
    const cfg = join(cp.dir, 'bench-config.yaml');
    await writeFile(cfg, `${CONFIG}minPvcAge: 1s\n`);
    const port = await freePort();
    const child = spawnLifeboatRun({
      config: cfg,
      kubeconfig: cp.kubeconfigPath,
      ports: { ops: port, webhook: await freePort() },
      entry: join(REPO_ROOT, 'dist/cli/main.js'),
      nodeFlags: NODE_FLAGS,
      logLevel: 'warn',
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      progress('memory: lifeboat run converging');
      const started = performance.now();
      for (;;) {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        const depth = Number(/^workqueue_depth\{name="pvc"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
        const sources = await kube.list('volsync.backube/v1alpha1', 'ReplicationSource');
        const destinations = await kube.list('volsync.backube/v1alpha1', 'ReplicationDestination');
        if (sources.length >= MEMORY_PVCS && destinations.length >= MEMORY_PVCS && depth === 0) break;
        if (performance.now() - started > 20 * 60_000) {
          throw new Error(`no convergence: ${sources.length} RSs and ${destinations.length} RDs of ${MEMORY_PVCS}`);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      const convergedMs = performance.now() - started;
      // Let the heap settle after the burst, then read the kernel's view of the process a few times.
      await new Promise((r) => setTimeout(r, 5000));
      const samples: Awaited<ReturnType<typeof procMemory>>[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(await procMemory(child.pid ?? 0));
        await new Promise((r) => setTimeout(r, 2000));
      }
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN) / 1048576;
      return {
        convergedMs,
        rss: median(samples.map((x) => x.rss)),
        anon: median(samples.map((x) => x.anon)),
        file: median(samples.map((x) => x.file)),
        peak: Math.max(...samples.map((x) => x.peak)),
        heap,
      };
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    kube.close();
    await cp.stop();
  }
}

/** One convergence sample on a fresh API server (etcd + kube-apiserver), with `PVCS` freshly created PVCs. */
async function convergeOnce(contender: 'raw loop' | 'controller'): Promise<number> {
  const cp = await startControlPlane({ crds: 'kopia-fork' });
  const kube = new KubeClient(cp.kubeConfig);
  try {
    const config = loadConfig(CONFIG);
    await installSourceSecret(kube);
    const secret = (await kube.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'lifeboat-system',
      name: 'lifeboat-repository',
    })) as KubeObject & { data: Record<string, string> };
    const capabilities = await detectCapabilities(kube);
    progress(`${contender}: creating ${PVCS} PVCs on a fresh API server`);
    const pvcs = await populate(kube, 'bench', NAMESPACES, PVCS);

    if (contender === 'raw loop') {
      // The same plans computed up front, then only server-side applies.
      const later = Date.now() + 3 * HOUR;
      const objects = pvcs.flatMap((pvc) => {
        const ns = {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: pvc.metadata.namespace ?? '',
            annotations: { 'volsync.backube/privileged-movers': 'true' },
          },
        };
        return planPvc({
          pvc: pvc as never,
          intent: classifyPvc(pvc as never, ns, config),
          config,
          facts: {
            now: later,
            cluster: capabilities,
            sourceSecret: { state: 'found', data: secret.data },
            observed: [],
          },
        }).apply;
      });
      if (objects.length !== 3 * PVCS) throw new Error(`expected ${3 * PVCS} planned objects, got ${objects.length}`);
      const started = performance.now();
      await pool(objects, CONCURRENCY, (obj) => kube.apply(obj as unknown as KubeObject, { force: true }));
      const ms = performance.now() - started;
      progress(`raw loop: ${objects.length} objects in ${(ms / 1000).toFixed(1)} s`);
      return ms;
    }

    // The controller, from start (cold caches) until every PVC is protected and the queue is idle.
    const registry = new Registry();
    const events = new EventRecorder(kube, { reportingInstance: 'bench', registry });
    const controller = new PvcController({
      kube,
      config,
      capabilities,
      events,
      registry,
      concurrency: CONCURRENCY,
      now: () => Date.now() + 3 * HOUR,
    });
    const started = performance.now();
    await controller.start();
    for (;;) {
      const protectedCount = [...controller.reports.values()].filter((r) => r.verdict === 'protected').length;
      if (protectedCount === PVCS && controller.queue.depth === 0 && controller.queue.active === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - started;
    await controller.stop();
    await events.close();
    progress(`controller: converged in ${(ms / 1000).toFixed(1)} s`);
    return ms;
  } finally {
    kube.close();
    await cp.stop();
  }
}

export default async function controllerBench(): Promise<BenchResult> {
  // Each sample on its own fresh API server, the order alternating every round (see alternated).
  const convergence = await alternated(
    CONVERGENCE_ROUNDS,
    () => convergeOnce('raw loop'),
    () => convergeOnce('controller'),
  );
  const rawS = convergence.first.map((ms) => ms / 1000);
  const ctlS = convergence.second.map((ms) => ms / 1000);
  const convergenceMethod = `${CONVERGENCE_ROUNDS} rounds, order alternating, each sample on a fresh API server with ${PVCS} new PVCs; concurrency ${CONCURRENCY}`;

  progress('memory run on a fresh control plane');
  const memory = await memoryRun();
  const memoryMethod = 'one run of the real process; median of 5 samples 2 s apart, 5 s after convergence';
  return {
    name: 'controller',
    setup: [
      `${PVCS} labelled, Bound PVCs in ${NAMESPACES} namespaces → ${3 * PVCS} generated objects; concurrency ${CONCURRENCY} for both`,
      'raw loop: plans precomputed, one server-side apply per object; controller: cold start, list+watch, plan, conflict check, apply, Events',
      `convergence: ${CONVERGENCE_ROUNDS} rounds of each, every sample on a fresh API server, raw loop first in odd rounds and the controller first in even ones; the ratio pairs the two samples of each round`,
      `memory: the real \`lifeboat run\` process (compiled, the image's V8 flags ${NODE_FLAGS.join(' ')}) on a fresh control plane watching ${MEMORY_PVCS} labelled, Bound PVCs past minPvcAge and their ${3 * MEMORY_PVCS} objects; RSS is the median of 5 samples 2 s apart, 5 s after convergence`,
    ],
    measurements: [
      measured('raw server-side-apply loop', 's', rawS, convergenceMethod),
      measured('controller convergence', 's', ctlS, convergenceMethod),
      {
        name: `controller convergence, ${MEMORY_PVCS} PVCs (real process)`,
        value: memory.convergedMs / 1000,
        unit: 's',
        method: 'one run of the real process, polled every second',
      },
      { name: `resident memory, ${MEMORY_PVCS} PVCs watched`, value: memory.rss, unit: 'MiB', method: memoryMethod },
      { name: '… of it anonymous (RssAnon)', value: memory.anon, unit: 'MiB', method: memoryMethod },
      {
        name: '… of it file-backed (RssFile: the node binary and libraries, shared)',
        value: memory.file,
        unit: 'MiB',
        method: memoryMethod,
      },
      {
        name: 'peak resident memory (VmHWM)',
        value: memory.peak,
        unit: 'MiB',
        method: 'one run of the real process; the largest VmHWM of the 5 samples',
      },
      {
        name: `V8 heap used, ${MEMORY_PVCS} PVCs watched`,
        value: memory.heap,
        unit: 'MiB',
        method: 'one sample from /metrics after the RSS samples',
      },
    ],
    comparisons: [
      compared({
        name: 'convergence vs raw apply loop',
        meaning: 'controller time / raw loop time',
        goal: atMost(1.5),
        samples: pairedRatios(ctlS, rawS),
        method: convergenceMethod,
      }),
      compared({
        name: 'resident memory vs goal',
        meaning: 'RSS / 150 MiB',
        goal: atMost(1),
        samples: [memory.rss / 150],
        method: memoryMethod,
      }),
    ],
  };
}
