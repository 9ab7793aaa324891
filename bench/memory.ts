/**
 * Resident memory of the real `lifeboat run` process (bundled, the image's V8 flags and ENV), on fresh API servers:
 * 1. Idle: an operator with no PVC to protect, once it leads and every cache has synced (goal: peak ≤ 70 MiB). The
 *    same run counts, at the API server (`apiserver_request_total`), the LIST and WATCH requests the process made to
 *    get there: each watched resource should be listed and watched once.
 * 2. Loaded: 5,000 labelled, Bound PVCs past minPvcAge and their 15,000 generated objects, from a cold start through
 *    convergence (goal: peak ≤ 100 MiB).
 * A sample is one whole process, each on an API server of its own, at least five per scenario: the high-water mark
 * of one process only rises, so readings of the same process are not independent samples, while separate processes
 * spread by a few MiB (when the garbage collector happens to run). Each reports the peak (VmHWM, the kernel's
 * high-water mark of the process) and the resident size of every process, median and range; a goal is "met" only
 * when the worst process meets it.
 *
 * `BENCH_LIFEBOAT_ENTRY` measures another build (e.g. the previous commit's `dist/lifeboat.js`) under the same
 * conditions; `BENCH_EXTRA_NODE_FLAGS` adds V8 flags to the image's (to try a flag before the image ships it), and
 * `BENCH_DROP_NODE_FLAGS` leaves some of the image's out (to measure what they do).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeClient } from '../src/kube/client.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import { IMAGE_ENV, IMAGE_NODE_FLAGS } from '../test/support/image.ts';
import { spawnLifeboatRun } from '../test/support/lifeboat-run.ts';
import { freePort } from '../test/support/processes.ts';
import { REPO_ROOT } from '../test/support/testenv.ts';
import { installSourceSecret, populate, procMemory } from './controller.ts';
import type { BenchResult } from './run.ts';
import { atMost } from './support/goal.ts';
import { IMAGE_ENV_TEXT, NODE_FLAGS as IMAGE_RUN_FLAGS } from './support/image-process.ts';
import { compared, measured } from './support/report.ts';

const progress = (message: string) => process.stderr.write(`[bench] memory: ${message}\n`);

const NAMESPACES = 50;
const PVCS = Number(process.env.BENCH_MEMORY_PVCS ?? 5_000);
/** Processes per scenario (each one sample). */
const SAMPLES = Math.max(5, Number(process.env.BENCH_MEMORY_SAMPLES ?? 5));
const BUNDLE = join(REPO_ROOT, 'dist/lifeboat.js');
const ENTRY = process.env.BENCH_LIFEBOAT_ENTRY ?? BUNDLE;
const CONFIG = 'namespace: lifeboat-system\nminPvcAge: 1s\n';
/** The image's flags (less any BENCH_DROP_NODE_FLAGS, see image-process.ts), and any BENCH_EXTRA_NODE_FLAGS. */
const NODE_FLAGS = [...IMAGE_RUN_FLAGS, ...(process.env.BENCH_EXTRA_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
const IDLE_GOAL = 70;
const LOADED_GOAL = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metrics(port: number): Promise<string> {
  return await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
}

/**
 * What the API server has served, by `VERB resource`: LIST requests answered with 200 (a 429 while a new CRD's storage
 * initialises is retried and not counted) and WATCH requests open now (a watch is counted only when it ends).
 */
async function listWatchCounts(kube: KubeClient): Promise<Map<string, number>> {
  const text = await kube.http.request<string>('GET', '/metrics');
  const counts = new Map<string, number>();
  for (const line of String(text).split('\n')) {
    const list =
      line.startsWith('apiserver_request_total{') && /[{,]verb="LIST"/.test(line) && /[{,]code="200"/.test(line);
    const watch = line.startsWith('apiserver_longrunning_requests{') && /[{,]verb="WATCH"/.test(line);
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1];
    if ((!list && !watch) || !resource) continue;
    const key = `${list ? 'LIST' : 'WATCH'} ${resource}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

function difference(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    const d = n - (before.get(key) ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

interface MemoryRun {
  memory: Awaited<ReturnType<typeof procMemory>>;
  convergedMs: number;
  heap: number;
  /** Complete lists after each informer's first (a watch expired), and lists or watches that failed and were retried. */
  relists: number;
  failures: number;
  requests?: Record<string, number>;
}

/** The sum of a metric's series in a /metrics text, and how many series it has. */
function seriesSum(text: string, name: string): { sum: number; series: number } {
  let sum = 0;
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    series++;
  }
  return { sum, series };
}

/** One process on a fresh control plane with `pvcs` labelled PVCs; read once it has converged and settled. */
async function run(pvcs: number): Promise<MemoryRun> {
  const cp = await startControlPlane({ crds: 'kopia-fork' });
  const kube = new KubeClient(cp.kubeConfig);
  try {
    await installSourceSecret(kube);
    if (pvcs > 0) {
      progress(`creating ${pvcs} PVCs`);
      await populate(kube, 'mem', NAMESPACES, pvcs);
    }
    const cfg = join(cp.dir, 'bench-config.yaml');
    await writeFile(cfg, CONFIG);
    const port = await freePort();
    const before = pvcs === 0 ? await listWatchCounts(kube) : undefined;
    const child = spawnLifeboatRun({
      config: cfg,
      kubeconfig: cp.kubeconfigPath,
      ports: { ops: port, webhook: await freePort() },
      entry: ENTRY,
      nodeFlags: NODE_FLAGS,
      env: IMAGE_ENV,
      logLevel: 'warn',
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      progress(`lifeboat run (${pvcs} PVCs) starting`);
      const started = performance.now();
      for (;;) {
        const text = await metrics(port);
        const leading = /^lifeboat_leader 1$/m.test(text);
        const depth = Number(/^workqueue_depth\{name="pvc"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
        let done = leading && depth === 0;
        if (done && pvcs > 0) {
          const sources = await kube.list('volsync.backube/v1alpha1', 'ReplicationSource');
          const destinations = await kube.list('volsync.backube/v1alpha1', 'ReplicationDestination');
          done = sources.length >= pvcs && destinations.length >= pvcs;
        }
        if (done) break;
        if (child.exitCode !== null) throw new Error(`lifeboat run exited with ${child.exitCode}`);
        if (performance.now() - started > 20 * 60_000) throw new Error('lifeboat run did not converge in 20 min');
        await sleep(1000);
      }
      const convergedMs = performance.now() - started;
      // Let the heap settle after the burst, then read the kernel's view of the process.
      await sleep(SETTLE_MS);
      const requests = before ? difference(await listWatchCounts(kube), before) : undefined;
      const memory = await procMemory(child.pid ?? 0);
      const text = await metrics(port);
      const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
      const lists = seriesSum(text, 'lifeboat_cache_lists_total');
      const relists = lists.sum - lists.series;
      const failures = seriesSum(text, 'lifeboat_cache_failures_total').sum;
      return { memory, convergedMs, heap, relists, failures, ...(requests ? { requests } : {}) };
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

const SETTLE_MS = 5000;
const SAMPLE_METHOD = `${SAMPLES} processes, each on a fresh API server, /proc/<pid>/status read ${SETTLE_MS / 1000} s after convergence`;

function summary(label: string, runs: MemoryRun[]) {
  const peaks = runs.map((r) => r.memory.peak);
  return {
    peaks,
    measurements: [
      measured(
        `${label}: peak resident memory (VmHWM)`,
        'MiB',
        peaks,
        `${SAMPLE_METHOD}; the high-water mark only rises, so it covers convergence`,
      ),
      measured(
        `${label}: resident memory (VmRSS)`,
        'MiB',
        runs.map((r) => r.memory.rss),
        SAMPLE_METHOD,
      ),
      measured(
        `${label}: … of it anonymous (RssAnon)`,
        'MiB',
        runs.map((r) => r.memory.anon),
        SAMPLE_METHOD,
      ),
      measured(
        `${label}: … of it file-backed (RssFile: node binary, libraries)`,
        'MiB',
        runs.map((r) => r.memory.file),
        SAMPLE_METHOD,
      ),
      measured(
        `${label}: V8 heap used`,
        'MiB',
        runs.map((r) => r.heap),
        `${SAMPLE_METHOD}; /metrics read right after`,
      ),
      measured(
        `${label}: relists (complete lists after each informer's first)`,
        'lists',
        runs.map((r) => r.relists),
        `${SAMPLE_METHOD}; lifeboat_cache_lists_total read right after; a relist holds the old and the new list at once`,
      ),
      measured(
        `${label}: lists and watches that failed and were started again`,
        'retries',
        runs.map((r) => r.failures),
        `${SAMPLE_METHOD}; lifeboat_cache_failures_total read right after`,
      ),
    ],
  };
}

/** `SAMPLES` processes, one after another. */
async function runs(pvcs: number, label: string): Promise<MemoryRun[]> {
  const out: MemoryRun[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    progress(`${label} ${i + 1}/${SAMPLES}`);
    const r = await run(pvcs);
    progress(`${label} ${i + 1}/${SAMPLES}: ${JSON.stringify(r)}`);
    out.push(r);
  }
  return out;
}

export default async function memoryBench(): Promise<BenchResult> {
  const idle = await runs(0, 'idle');
  const loaded = await runs(PVCS, `${PVCS} PVCs`);
  const i = summary('idle', idle);
  const l = summary(`${PVCS} PVCs`, loaded);
  const requests = Object.entries(idle[0]?.requests ?? {});
  return {
    name: 'memory',
    setup: [
      `the real \`lifeboat run\` process (${ENTRY === BUNDLE ? 'the bundle dist/lifeboat.js' : ENTRY}, V8 flags ${NODE_FLAGS.join(' ')}: ${NODE_FLAGS.join(' ') === IMAGE_NODE_FLAGS.join(' ') ? 'the image’s' : `the image’s are ${IMAGE_NODE_FLAGS.join(' ')}`}; the image’s environment ${IMAGE_ENV_TEXT}), one per fresh control plane, ${SAMPLES} processes per scenario; /proc/<pid>/status read ${SETTLE_MS / 1000} s after it leads with an empty work queue`,
      `idle: no PVC to protect; loaded: ${PVCS} labelled, Bound PVCs past minPvcAge in ${NAMESPACES} namespaces, from a cold start until their ${3 * PVCS} objects exist`,
      'peak is the kernel high-water mark (VmHWM) of each process, so it covers convergence; "met" only when the worst process meets the goal',
      `API requests of the first idle process until it leads and its caches synced, counted by the API server: ${requests.map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    ],
    measurements: [
      ...i.measurements,
      ...l.measurements,
      measured(
        `controller convergence, ${PVCS} PVCs (real process)`,
        's',
        loaded.map((r) => r.convergedMs / 1000),
        `${SAMPLES} processes, polled every second`,
      ),
      { name: 'LIST requests until synced (idle)', value: sum(requests, 'LIST'), unit: 'requests' },
      { name: 'WATCH requests until synced (idle)', value: sum(requests, 'WATCH'), unit: 'requests' },
    ],
    comparisons: [
      compared({
        name: 'idle peak vs goal',
        meaning: `VmHWM / ${IDLE_GOAL} MiB`,
        goal: atMost(1),
        samples: i.peaks.map((p) => p / IDLE_GOAL),
        method: SAMPLE_METHOD,
      }),
      compared({
        name: `peak with ${PVCS} PVCs vs goal`,
        meaning: `VmHWM / ${LOADED_GOAL} MiB`,
        goal: atMost(1),
        samples: l.peaks.map((p) => p / LOADED_GOAL),
        method: SAMPLE_METHOD,
      }),
    ],
  };
}

function sum(requests: [string, number][], verb: string): number {
  return requests.filter(([k]) => k.startsWith(`${verb} `)).reduce((a, [, n]) => a + n, 0);
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await memoryBench(), null, 2)}\n`);
