/**
 * Admission benchmarks, in one run:
 * 1. Latency of lifeboat's webhook (HTTPS, AdmissionReview v1, mutate + validate) at 200 requests/s, answering from a
 *    catalog of 5,000 PVCs and 100,000 snapshots (goal p99 ≤ 5 ms), against the alternative the seeds used: one
 *    `kopia snapshot list <source> --json` per request (PVC Plumber shelling out), measured on a real repository.
 * 2. A disaster-recovery storm through the real API server: 500 labelled PVC CREATEs within 60 s, each going through
 *    lifeboat's registered webhooks (goal: 0 timeouts, p99 of the CREATE ≤ 20 ms as lifeboat sees it; the API
 *    server's own end-to-end time is reported too).
 */
import { Agent, request } from 'node:https';
import { Registry } from 'prom-client';
import { CatalogDecisions } from '../src/admission/catalog-decisions.ts';
import { createAuthority, issueCertificate } from '../src/admission/pki.ts';
import { applyWebhookConfigurations, deleteWebhookConfigurations } from '../src/admission/registration.ts';
import { createAdmissionServer } from '../src/admission/server.ts';
import { Catalog } from '../src/catalog/catalog.ts';
import type { Snapshot } from '../src/catalog/types.ts';
import { loadConfig } from '../src/config/load.ts';
import { KubeClient } from '../src/kube/client.ts';
import { startControlPlane } from '../test/support/controlplane.ts';
import { createKopiaRepository, makeSourceDir } from '../test/support/kopia.ts';
import { ScriptedSource } from '../test/support/scripted-source.ts';
import type { BenchResult } from './run.ts';

const PVCS = 5_000;
const SNAPSHOTS_PER_PVC = 20;
const RATE = 200;
const SECONDS = 15;
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

async function latencyAtRate(): Promise<{ p50: number; p99: number; count: number; kopiaMs: number }> {
  const config = loadConfig('namespace: lifeboat-system');
  const source = new ScriptedSource('kopia');
  const pvcs: Record<string, Snapshot[]> = {};
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < PVCS; i++) {
    pvcs[`ns-${i % 50}/data-${i}`] = Array.from({ length: SNAPSHOTS_PER_PVC }, (_, j) => {
      const timeMs = base + j * 3_600_000 + i;
      return {
        id: `${i.toString(16).padStart(8, '0')}${j.toString(16).padStart(24, '0')}`,
        time: new Date(timeMs).toISOString(),
        timeMs,
      };
    }).reverse();
  }
  source.scripts.set('/repo', { pvcs });
  source.discoverScript = ['/repo'];
  const catalog = new Catalog({ source });
  await catalog.refresh();
  const decisions = new CatalogDecisions({ catalog, config, destinations: { get: () => undefined } });
  const ca = await createAuthority('bench-ca', 3_600_000);
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 3_600_000,
  });
  const namespaces = (name: string) => ({
    metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } },
  });
  const server = createAdmissionServer({
    config,
    decisions,
    namespaces,
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem },
    registry: new Registry(),
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const latencies: number[] = [];
  try {
    // Warm up TLS sessions and JIT, then a steady 200/s (every 5 ms a mutate and its validate, as the API server does).
    for (let i = 0; i < 200; i++) await post(agent, port, '/mutate-pvc', review('ns-1', 'data-1', `w${i}`), ca.certPem);
    const total = RATE * SECONDS;
    const inflight: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = i % PVCS;
      const path = i % 2 === 0 ? '/mutate-pvc' : '/validate-pvc';
      inflight.push(
        post(agent, port, path, review(`ns-${n % 50}`, `data-${n}`, `u${i}`), ca.certPem).then(
          (ms) => void latencies.push(ms),
        ),
      );
    }
    await Promise.all(inflight);
  } finally {
    agent.destroy();
    await server.close();
    await catalog.stop();
  }

  // The alternative: one kopia CLI listing per decision (PVC Plumber v1), on a real repository.
  const repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
  let kopiaMs = Number.NaN;
  try {
    const dir = await makeSourceDir(repo.root, 'd', { f: 'x' });
    await repo.snapshot({ source: 'data-1-backup@ns-1:/data', dir });
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await repo.run(['snapshot', 'list', 'data-1-backup@ns-1:/data', '--json']);
      runs.push(performance.now() - t);
    }
    kopiaMs = percentile(runs, 50);
  } finally {
    await repo.cleanup();
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length, kopiaMs };
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
  const source = new ScriptedSource('kopia');
  const pvcs: Record<string, Snapshot[]> = {};
  for (let i = 0; i < STORM; i += 2) {
    const t = Date.parse('2026-11-20T02:00:00Z') + i;
    pvcs[`dr/app-${i}`] = [{ id: `snap${i}`, time: new Date(t).toISOString(), timeMs: t }];
  }
  source.scripts.set('/repo', { pvcs });
  source.discoverScript = ['/repo'];
  const catalog = new Catalog({ source });
  await catalog.refresh();
  const ca = await createAuthority('storm-ca', 3_600_000);
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 3_600_000,
  });
  const webhook: number[] = [];
  const server = createAdmissionServer({
    config,
    decisions: new CatalogDecisions({ catalog, config, destinations: { get: () => undefined } }),
    namespaces: async (name) => (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name })) as never,
    tls: { certPem: leaf.certPem, keyPem: leaf.keyPem },
    registry: new Registry(),
    onRequest: (e) => void webhook.push(e.durationMs ?? Number.NaN),
  });
  const { port } = await server.listen('127.0.0.1', 0);
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
  } finally {
    await deleteWebhookConfigurations(kube).catch(() => {});
    await server.close();
    await catalog.stop();
    kube.close();
    await cp.stop();
  }
  return {
    p50: percentile(durations, 50),
    p99: percentile(durations, 99),
    webhookP99: percentile(webhook.filter(Number.isFinite), 99),
    failures,
    timeouts,
  };
}

export default async function admissionBench(): Promise<BenchResult> {
  progress(`latency at ${RATE}/s for ${SECONDS}s with ${PVCS} PVCs × ${SNAPSHOTS_PER_PVC} snapshots`);
  const lat = await latencyAtRate();
  progress(`DR storm: ${STORM} labelled PVC CREATEs through the real API server`);
  const storm = await drStorm();
  return {
    name: 'admission',
    setup: [
      `catalog: ${PVCS} PVCs × ${SNAPSHOTS_PER_PVC} snapshots = ${PVCS * SNAPSHOTS_PER_PVC} snapshots in memory`,
      `latency: ${lat.count} AdmissionReviews (mutate and validate alternating) over HTTPS keep-alive at ${RATE}/s`,
      `DR storm: ${STORM} labelled PVC CREATEs in ${STORM_SECONDS / 4}s through kube-apiserver with lifeboat's webhooks registered (half restore, half fresh)`,
      'alternative: one `kopia snapshot list <source> --json` per decision on a real repository (what PVC Plumber v1 did)',
    ],
    measurements: [
      { name: 'webhook latency p50', value: lat.p50, unit: 'ms' },
      { name: 'webhook latency p99', value: lat.p99, unit: 'ms' },
      { name: 'kopia snapshot list per decision (median)', value: lat.kopiaMs, unit: 'ms' },
      { name: 'DR storm CREATE p50 (API server end to end)', value: storm.p50, unit: 'ms' },
      { name: 'DR storm CREATE p99 (API server end to end)', value: storm.p99, unit: 'ms' },
      { name: 'DR storm webhook p99 (lifeboat)', value: storm.webhookP99, unit: 'ms' },
      { name: 'DR storm failed CREATEs', value: storm.failures, unit: 'count' },
      { name: 'DR storm timeouts', value: storm.timeouts, unit: 'count' },
    ],
    comparisons: [
      { name: 'webhook p99 vs goal', ratioMeaning: 'p99 / 5 ms', ratio: lat.p99 / 5, goal: '≤ 1', met: lat.p99 <= 5 },
      {
        name: 'decision vs kopia CLI per request',
        ratioMeaning: 'kopia CLI time / lifeboat webhook p50',
        ratio: lat.kopiaMs / lat.p50,
        goal: '≥ 100',
        met: lat.kopiaMs / lat.p50 >= 100,
      },
      {
        name: 'DR storm webhook p99 vs goal',
        ratioMeaning: 'p99 / 20 ms',
        ratio: storm.webhookP99 / 20,
        goal: '≤ 1 and 0 timeouts',
        met: storm.webhookP99 <= 20 && storm.timeouts === 0 && storm.failures === 0,
      },
    ],
  };
}
