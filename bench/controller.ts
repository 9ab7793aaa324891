/**
 * Controller benchmarks on a real API server (etcd + kube-apiserver from testenv), in one run:
 * 1. Converge 1,000 labelled PVCs in 50 namespaces (3,000 generated objects) with the PVC controller, against a raw
 *    server-side-apply loop of the same 3,000 objects at the same concurrency (goal: ≤ 1.5× the raw loop's time).
 *    The raw loop is the floor: it knows the answer and only writes; the controller also watches, plans, checks that
 *    no foreign object holds each name, and records Events.
 * The real process's memory with 5,000 PVCs is measured in memory.ts (which reuses the helpers exported here).
 */
import { readFile } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/load.ts';
import { detectCapabilities } from '../src/controller/capabilities.ts';
import { PvcController } from '../src/controller/pvc-controller.ts';
import { classifyPvc } from '../src/intent/classify.ts';
import { KubeClient, type KubeObject } from '../src/kube/client.ts';
import { EventRecorder } from '../src/kube/events.ts';
import { planPvc } from '../src/plan/plan.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import type { BenchResult } from './run.ts';

const progress = (message: string) => process.stderr.write(`[bench] controller: ${message}\n`);

const NAMESPACES = 50;
const PVCS = Number(process.env.BENCH_PVCS ?? 1_000);
const CONCURRENCY = 4;
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
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

export default async function controllerBench(): Promise<BenchResult> {
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

    progress(`creating ${PVCS} PVCs for the raw loop`);
    // 1a. The raw loop: the same plans computed up front, then only server-side applies.
    const rawPvcs = await populate(kube, 'raw', NAMESPACES, PVCS);
    const later = Date.now() + 3 * HOUR;
    const objects = rawPvcs.flatMap((pvc) => {
      const ns = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: pvc.metadata.namespace ?? '', annotations: { 'volsync.backube/privileged-movers': 'true' } },
      };
      return planPvc({
        pvc: pvc as never,
        intent: classifyPvc(pvc as never, ns, config),
        config,
        facts: { now: later, cluster: capabilities, sourceSecret: { state: 'found', data: secret.data }, observed: [] },
      }).apply;
    });
    progress(`raw loop: applying ${objects.length} objects`);
    const rawStart = performance.now();
    await pool(objects, CONCURRENCY, (obj) => kube.apply(obj as unknown as KubeObject, { force: true }));
    const rawMs = performance.now() - rawStart;

    // 1b. The controller, from start (cold caches) until every PVC is protected and the queue is idle.
    progress(`raw loop took ${(rawMs / 1000).toFixed(1)} s; creating ${PVCS} PVCs for the controller`);
    await populate(kube, 'ctl', NAMESPACES, PVCS);
    progress('controller: converging');
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
    const ctlStart = performance.now();
    await controller.start();
    const ctlPrefix = 'ctl-';
    for (;;) {
      const protectedCount = [...controller.reports.values()].filter(
        (r) => r.key.startsWith(ctlPrefix) && r.verdict === 'protected',
      ).length;
      if (protectedCount === PVCS && controller.queue.depth === 0 && controller.queue.active === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ctlMs = performance.now() - ctlStart;
    // The raw namespaces were reconciled too (their objects already matched: no writes); count API writes avoided.
    await controller.stop();
    await events.close();

    progress(`controller took ${(ctlMs / 1000).toFixed(1)} s`);
    const ratio = ctlMs / rawMs;
    return {
      name: 'controller',
      setup: [
        `${PVCS} labelled, Bound PVCs in ${NAMESPACES} namespaces → ${objects.length} generated objects; concurrency ${CONCURRENCY} for both`,
        'raw loop: plans precomputed, one server-side apply per object; controller: cold start, list+watch, plan, conflict check, apply, Events',
      ],
      measurements: [
        { name: 'raw server-side-apply loop', value: rawMs / 1000, unit: 's' },
        { name: 'controller convergence', value: ctlMs / 1000, unit: 's' },
      ],
      comparisons: [
        {
          name: 'convergence vs raw apply loop',
          ratioMeaning: 'controller time / raw loop time',
          ratio,
          goal: '≤ 1.5',
          met: ratio <= 1.5,
        },
      ],
    };
  } finally {
    kube.close();
    await cp.stop();
  }
}
