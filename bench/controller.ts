/**
 * Controller benchmarks on a real API server (etcd + kube-apiserver from testenv), in one run:
 * 1. Converge 1,000 labelled PVCs in 50 namespaces (3,000 generated objects) with the PVC controller, against a raw
 *    server-side-apply loop of the same 3,000 objects at the same concurrency (goal: ≤ 1.5× the raw loop's time in
 *    every round). Three rounds of each, every sample on a fresh API server, the order alternating, so neither side
 *    always meets a server the other has already filled or warmed.
 *    The raw loop is the floor: it knows the answer and only writes; the controller also watches, plans, checks that
 *    no foreign object holds each name, and records Events.
 * The real process's memory with 5,000 PVCs is measured in memory.ts (which reuses the helpers exported here).
 */
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../src/config/load.ts';
import { detectCapabilities } from '../src/controller/capabilities.ts';
import { classifyPvc } from '../src/intent/classify.ts';
import { KubeClient, type KubeObject } from '../src/kube/client.ts';
import { planPvc } from '../src/plan/plan.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import type { BenchResult } from './run.ts';
import type { ControllerRun } from './support/controller-process.ts';
import { atMost } from './support/goal.ts';
import { IMAGE_PROCESS_METHOD, imageProcess, removeImageProcessFiles } from './support/image-process.ts';
import { alternated, run } from './support/measure.ts';
import { compared, measured } from './support/report.ts';
import { pairedRatios } from './support/stats.ts';

const progress = (message: string) => process.stderr.write(`[bench] controller: ${message}\n`);

const NAMESPACES = 50;
const PVCS = Number(process.env.BENCH_PVCS ?? 1_000);
const CONCURRENCY = 4;
/** Samples of each contender in the convergence comparison. */
const CONVERGENCE_ROUNDS = Number(process.env.BENCH_CONVERGENCE_ROUNDS ?? 3);
const HOUR = 3_600_000;
const CONFIG = 'namespace: lifeboat-system\n';

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
export async function populate(
  kube: KubeClient,
  prefix: string,
  namespaces: number,
  pvcs: number,
): Promise<KubeObject[]> {
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
export async function procMemory(pid: number): Promise<{ rss: number; anon: number; file: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), peak: kib('VmHWM') };
}

/** lifeboat's namespace and the copy-mode source Secret the generated Secrets are copied from. */
export async function installSourceSecret(kube: KubeClient): Promise<void> {
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

/** One convergence sample on a fresh API server (etcd + kube-apiserver), with `PVCS` freshly created PVCs. */
async function convergeOnce(contender: 'raw loop' | 'controller'): Promise<number> {
  const cp = await startControlPlane({ crds: 'kopia-fork' });
  const kube = new KubeClient(cp.kubeConfig);
  try {
    const config = loadConfig(CONFIG);
    // Both contenders make these requests before their PVCs exist (the controller process repeats them for itself),
    // so each meets an API server warmed the same way.
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

    // The controller, from start (cold caches) until every PVC is protected and the queue is idle, timed inside a
    // process of its own that runs as the image does.
    const controllerRun: ControllerRun = {
      kubeconfig: cp.kubeconfigPath,
      config: CONFIG,
      pvcs: PVCS,
      concurrency: CONCURRENCY,
      clockOffsetMs: 3 * HOUR,
    };
    const { command, args, env } = await imageProcess('controller-process', [JSON.stringify(controllerRun)]);
    const { ms } = JSON.parse(await run(command, args, env)) as { ms: number };
    progress(`controller: converged in ${(ms / 1000).toFixed(1)} s`);
    return ms;
  } finally {
    kube.close();
    await cp.stop();
  }
}

export default async function controllerBench(): Promise<BenchResult> {
  // Each sample on its own fresh API server, the order alternating every round (see alternated).
  let convergence: { first: number[]; second: number[] };
  try {
    convergence = await alternated(
      CONVERGENCE_ROUNDS,
      () => convergeOnce('raw loop'),
      () => convergeOnce('controller'),
    );
  } finally {
    await removeImageProcessFiles();
  }
  const rawS = convergence.first.map((ms) => ms / 1000);
  const ctlS = convergence.second.map((ms) => ms / 1000);
  const convergenceMethod = `${CONVERGENCE_ROUNDS} rounds, order alternating, each sample on a fresh API server with ${PVCS} new PVCs; concurrency ${CONCURRENCY}`;

  return {
    name: 'controller',
    setup: [
      `${PVCS} labelled, Bound PVCs in ${NAMESPACES} namespaces → ${3 * PVCS} generated objects; concurrency ${CONCURRENCY} for both`,
      'raw loop: plans precomputed, one server-side apply per object, in the benchmark process; controller: cold start, list+watch, plan, conflict check, apply, Events',
      `the controller runs in ${IMAGE_PROCESS_METHOD} (bench/support/controller-process.ts), timed inside it from its start; the raw loop in the benchmark process`,
      `convergence: ${CONVERGENCE_ROUNDS} rounds of each, every sample on a fresh API server, raw loop first in odd rounds and the controller first in even ones; the ratio pairs the two samples of each round`,
    ],
    measurements: [
      measured('raw server-side-apply loop', 's', rawS, convergenceMethod),
      measured('controller convergence', 's', ctlS, convergenceMethod),
    ],
    comparisons: [
      compared({
        name: 'convergence vs raw apply loop',
        meaning: 'controller time / raw loop time',
        goal: atMost(1.5),
        samples: pairedRatios(ctlS, rawS),
        method: convergenceMethod,
      }),
    ],
  };
}
