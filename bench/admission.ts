/**
 * Admission benchmarks, in one run:
 * 1. Latency of lifeboat's webhook (HTTPS, AdmissionReview v1, mutate + validate) at 200 requests/s, answering from a
 *    catalog of 5,000 PVCs and 100,000 snapshots (goal p99 ≤ 5 ms), against the alternative it replaces: one
 *    `kopia snapshot list <source> --json` per request (PVC Plumber shelling out), measured on a real repository.
 * 2. A disaster-recovery storm through the real API server: 500 labelled PVC CREATEs within 60 s, each going through
 *    lifeboat's registered webhooks (goal: 0 timeouts, p99 of the CREATE ≤ 20 ms as lifeboat sees it; the API
 *    server's own end-to-end time is reported too).
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:https';
import { createAuthority, issueCertificate } from '../src/admission/pki.ts';
import { applyWebhookConfigurations, deleteWebhookConfigurations } from '../src/admission/registration.ts';
import { loadConfig } from '../src/config/load.ts';
import { KubeClient } from '../src/kube/client.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import { createKopiaRepository, makeSourceDir } from '../test/support/kopia.ts';
import type { BenchResult } from './run.ts';
import type { WebhookSetup } from './support/admission-webhook.ts';
import { atLeast, atMost } from './support/goal.ts';
import { IMAGE_PROCESS_METHOD, imageProcess, removeImageProcessFiles } from './support/image-process.ts';
import { compared, measured } from './support/report.ts';

const PVCS = 5_000;
const SNAPSHOTS_PER_PVC = 20;
const RATE = 200;
const SECONDS = 15;
const WARMUP_SECONDS = 5;
const STORM = 500;
const STORM_SECONDS = 60;
const progress = (m: string) => process.stderr.write(`[bench] admission: ${m}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function review(namespace: string, name: string, uid: string) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
      resource: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
      namespace,
      name,
      operation: 'CREATE',
      object: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace, labels: { backup: 'daily' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    },
  });
}

function post(agent: Agent, port: number, path: string, body: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The webhook in its own process (bench/support/admission-webhook.ts), run as the image runs lifeboat. */
async function startWebhook(setup: WebhookSetup): Promise<{
  port: number;
  durations(): Promise<number[]>;
  stop(): Promise<void>;
}> {
  const { command, args, env } = await imageProcess('admission-webhook', [JSON.stringify(setup)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const exited = new Promise((r) => child.once('exit', r));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the webhook process exited (${code}) before listening`)));
  });
  return {
    port,
    async durations() {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/durations', rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      return (JSON.parse(body) as number[]).filter(Number.isFinite);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function latencyAtRate(): Promise<{
  p50: number;
  p99: number;
  serverP99: number;
  count: number;
  kopiaRuns: number[];
}> {
  const ca = await createAuthority('bench-ca', 3_600_000);
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 3_600_000,
  });
  const webhook = await startWebhook({
    mode: 'latency',
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    pvcs: PVCS,
    snapshotsPerPvc: SNAPSHOTS_PER_PVC,
  });
  const port = webhook.port;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  let serverSide: number[] = [];
  try {
    // A steady 200/s (every 5 ms a mutate or a validate, as the API server sends them). The first WARMUP_SECONDS are
    // not counted: TLS sessions, JIT and the garbage of building the 100,000-snapshot catalog settle there, as they
    // have long settled in a webhook that has been running.
    const warmup = RATE * WARMUP_SECONDS;
    const total = warmup + RATE * SECONDS;
    const inflight: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = i % PVCS;
      const path = i % 2 === 0 ? '/mutate-pvc' : '/validate-pvc';
      inflight.push(
        post(agent, port, path, review(`ns-${n % 50}`, `data-${n}`, `u${i}`), ca.certPem).then((ms) => {
          if (i >= warmup) latencies.push(ms);
        }),
      );
    }
    await Promise.all(inflight);
    // The server logs reviews in the order it answered them; the warm-up's are the first `warmup` (within a few).
    serverSide = (await webhook.durations()).slice(warmup);
  } finally {
    agent.destroy();
    await webhook.stop();
  }

  // The alternative: one kopia CLI listing per decision (PVC Plumber v1), on a real repository.
  const repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
  const runs: number[] = [];
  try {
    const dir = await makeSourceDir(repo.root, 'd', { f: 'x' });
    await repo.snapshot({ source: 'data-1-backup@ns-1:/data', dir });
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await repo.run(['snapshot', 'list', 'data-1-backup@ns-1:/data', '--json']);
      runs.push(performance.now() - t);
    }
  } finally {
    await repo.cleanup();
  }
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverP99: percentile(serverSide, 99),
    count: latencies.length,
    kopiaRuns: runs,
  };
}

async function drStorm(): Promise<{
  p50: number;
  p99: number;
  webhookP99: number;
  failures: number;
  timeouts: number;
}> {
  const cp = await startControlPlane({ crds: 'kopia-fork' });
  const kube = new KubeClient(cp.kubeConfig);
  const config = loadConfig('namespace: lifeboat-system');
  const ca = await createAuthority('storm-ca', 3_600_000);
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 3_600_000,
  });
  const server = await startWebhook({
    mode: 'storm',
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    kubeconfig: cp.kubeconfigPath,
    pvcs: STORM,
    snapshotsPerPvc: 1,
  });
  const port = server.port;
  let webhook: number[] = [];
  const durations: number[] = [];
  let failures = 0;
  let timeouts = 0;
  try {
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'dr', annotations: { 'volsync.backube/privileged-movers': 'true' } },
    });
    await applyWebhookConfigurations(kube, {
      config,
      endpoint: { url: `https://127.0.0.1:${port}` },
      caBundlePem: ca.certPem,
    });
    await new Promise((r) => setTimeout(r, 1000)); // the API server picks up webhook configurations asynchronously
    const path = await kube.resources.collectionPath('v1', 'PersistentVolumeClaim', 'dr');
    const started = performance.now();
    await Promise.all(
      Array.from({ length: STORM }, async (_, i) => {
        const due = started + (i * STORM_SECONDS * 1000) / STORM / 4; // the first quarter of the minute: a burst
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t = performance.now();
        try {
          await kube.http.request('POST', path, {
            body: {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: `app-${i}`, namespace: 'dr', labels: { backup: 'daily' } },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          });
          durations.push(performance.now() - t);
        } catch (error) {
          failures++;
          if (/timeout|deadline/i.test(String(error))) timeouts++;
        }
      }),
    );
    webhook = await server.durations();
  } finally {
    await deleteWebhookConfigurations(kube).catch(() => {});
    await server.stop();
    kube.close();
    await cp.stop();
  }
  return {
    p50: percentile(durations, 50),
    p99: percentile(durations, 99),
    webhookP99: percentile(webhook, 99),
    failures,
    timeouts,
  };
}

export default async function admissionBench(): Promise<BenchResult> {
  progress(`latency at ${RATE}/s for ${SECONDS}s with ${PVCS} PVCs × ${SNAPSHOTS_PER_PVC} snapshots`);
  let lat: Awaited<ReturnType<typeof latencyAtRate>>;
  let storm: Awaited<ReturnType<typeof drStorm>>;
  try {
    lat = await latencyAtRate();
    progress(`DR storm: ${STORM} labelled PVC CREATEs through the real API server`);
    storm = await drStorm();
  } finally {
    await removeImageProcessFiles();
  }
  // One run each: a percentile is already a statement over every request of the run, so the report names the run.
  const client = `one run: ${lat.count} requests at ${RATE}/s, client side (HTTPS keep-alive), warm webhook process`;
  const server = `one run: the same requests, timed inside the webhook process`;
  const stormRun = `one run: ${STORM} CREATEs in ${STORM_SECONDS / 4} s on a fresh API server`;
  return {
    name: 'admission',
    setup: [
      `catalog: ${PVCS} PVCs × ${SNAPSHOTS_PER_PVC} snapshots = ${PVCS * SNAPSHOTS_PER_PVC} snapshots in memory`,
      `the webhook runs in ${IMAGE_PROCESS_METHOD}; latency is measured by the client, round trip over HTTPS`,
      `latency: ${lat.count} AdmissionReviews (mutate and validate alternating) over HTTPS keep-alive at ${RATE}/s, after ${WARMUP_SECONDS} s of the same not counted`,
      `DR storm: ${STORM} labelled PVC CREATEs in ${STORM_SECONDS / 4}s through kube-apiserver with lifeboat's webhooks registered (half restore, half fresh)`,
      'alternative: one `kopia snapshot list <source> --json` per decision on a real repository (what PVC Plumber v1 did)',
    ],
    measurements: [
      { name: 'webhook latency p50', value: lat.p50, unit: 'ms', method: client },
      { name: 'webhook latency p99', value: lat.p99, unit: 'ms', method: client },
      { name: 'webhook handling p99 (server side)', value: lat.serverP99, unit: 'ms', method: server },
      measured(
        'kopia snapshot list per decision',
        'ms',
        lat.kopiaRuns,
        'a fresh `kopia` process per sample (spawn to exit), its on-disk cache warm, one after another',
      ),
      { name: 'DR storm CREATE p50 (API server end to end)', value: storm.p50, unit: 'ms', method: stormRun },
      { name: 'DR storm CREATE p99 (API server end to end)', value: storm.p99, unit: 'ms', method: stormRun },
      { name: 'DR storm webhook p99 (lifeboat)', value: storm.webhookP99, unit: 'ms', method: stormRun },
      { name: 'DR storm failed CREATEs', value: storm.failures, unit: 'count', method: stormRun },
      { name: 'DR storm timeouts', value: storm.timeouts, unit: 'count', method: stormRun },
    ],
    comparisons: [
      compared({
        name: 'webhook p99 vs goal',
        meaning: 'p99 / 5 ms',
        goal: atMost(1),
        samples: [lat.p99 / 5],
        method: client,
      }),
      compared({
        name: 'decision vs kopia CLI per request',
        meaning: 'kopia CLI time / lifeboat webhook p50',
        goal: atLeast(100),
        samples: lat.kopiaRuns.map((ms) => ms / lat.p50),
        method: `each of ${lat.kopiaRuns.length} kopia runs against the one webhook p50 (${lat.count} requests)`,
      }),
      {
        name: 'DR storm webhook p99 vs goal',
        ratioMeaning: 'p99 / 20 ms',
        ratio: storm.webhookP99 / 20,
        goal: '≤ 1 and 0 timeouts',
        met: storm.webhookP99 <= 20 && storm.timeouts === 0 && storm.failures === 0,
        method: stormRun,
      },
    ],
  };
}
