/**
 * lifeboat's webhook server in a process of its own, as in its pod, for bench/admission.ts (bench/run.ts runs only the
 * top-level files of bench/): the load generator must not share the webhook's event loop and heap, or its own work and
 * garbage collections show up as webhook latency. It runs as the image runs lifeboat (bench/support/image-process.ts:
 * the image's V8 flags and ENV, lifeboat's code bundled as the image's is).
 *
 * Argument: a JSON setup (`mode`, TLS pair, and for `storm` a kubeconfig). It builds the catalog the mode asks for,
 * answers namespaces the way `lifeboat run` does (a short-lived cache over the API server in `storm`), prints
 * `{"port":N}` once listening, and serves `GET /durations`: the server-side handling time (ms) of every review so far.
 */
import { Registry } from 'prom-client';
import type { Namespace } from '../../src/intent/resources.ts';
import type { CatalogSource, RepositoryRead } from '../../src/repository/source.ts';
import type { Snapshot } from '../../src/repository/types.ts';

export interface WebhookSetup {
  mode: 'latency' | 'storm';
  certPem: string;
  keyPem: string;
  /** storm: where the API server is (namespace lookups). */
  kubeconfig?: string;
  pvcs: number;
  snapshotsPerPvc: number;
}

/** `latency`: PVCs `ns-<i % 50>/data-<i>`, each with its snapshots an hour apart. */
function latencyCatalog(pvcs: number, perPvc: number): Record<string, Snapshot[]> {
  const out: Record<string, Snapshot[]> = {};
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < pvcs; i++) {
    out[`ns-${i % 50}/data-${i}`] = Array.from({ length: perPvc }, (_, j) => {
      const timeMs = base + j * 3_600_000 + i;
      return {
        id: `${i.toString(16).padStart(8, '0')}${j.toString(16).padStart(24, '0')}`,
        time: new Date(timeMs).toISOString(),
        timeMs,
      };
    }).reverse();
  }
  return out;
}

/** `storm`: every second PVC `dr/app-<i>` has one snapshot (half restore, half fresh). */
function stormCatalog(pvcs: number): Record<string, Snapshot[]> {
  const out: Record<string, Snapshot[]> = {};
  for (let i = 0; i < pvcs; i += 2) {
    const t = Date.parse('2026-11-20T02:00:00Z') + i;
    out[`dr/app-${i}`] = [{ id: `snap${i}`, time: new Date(t).toISOString(), timeMs: t }];
  }
  return out;
}

/** One kopia-like repository holding `snapshots` (PVC key → its snapshots), read from memory. */
function memorySource(snapshots: Record<string, Snapshot[]>): CatalogSource {
  return {
    kind: 'kopia',
    backend: 'kopia-fs',
    description: 'in memory',
    perPvcRepositories: false,
    locate: (ref) => ({ repository: { key: '/repo' }, source: `${ref.pvc}-backup@${ref.namespace}:/data` }),
    discover: async () => [{ key: '/repo' }],
    async read(): Promise<RepositoryRead> {
      const pvcs = new Map(Object.entries(snapshots));
      let snapshotCount = 0;
      for (const list of pvcs.values()) snapshotCount += list.length;
      return { exists: true, pvcs, snapshotCount, unmatchedSources: [] };
    },
    close() {},
  };
}

const { CatalogDecisions } = await import('../../src/admission/catalog-decisions.ts');
const { cachedNamespaces } = await import('../../src/admission/namespace-cache.ts');
const { createAdmissionServer } = await import('../../src/admission/server.ts');
const { Catalog } = await import('../../src/catalog/catalog.ts');
const { loadConfig } = await import('../../src/config/load.ts');
const { KubeClient, loadKubeConfig } = await import('../../src/kube/client.ts');

if (!process.argv[2]) throw new Error('usage: node bench/support/admission-webhook.ts <WebhookSetup as JSON>');
const setup = JSON.parse(process.argv[2]) as WebhookSetup;
const config = loadConfig('namespace: lifeboat-system');
const source = memorySource(
  setup.mode === 'storm' ? stormCatalog(setup.pvcs) : latencyCatalog(setup.pvcs, setup.snapshotsPerPvc),
);
const catalog = new Catalog({ source });
await catalog.refresh();

const kube = setup.kubeconfig ? new KubeClient(loadKubeConfig(setup.kubeconfig)) : undefined;
const namespaces = kube
  ? cachedNamespaces(async (name) => (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name })) as Namespace)
  : (name: string) => ({ metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } } });

const durations: number[] = [];
const server = createAdmissionServer({
  config,
  decisions: new CatalogDecisions({ catalog, config, destinations: { get: () => undefined } }),
  namespaces: namespaces as never,
  tls: { certPem: setup.certPem, keyPem: setup.keyPem },
  registry: new Registry(),
  onRequest: (entry) => void durations.push(entry.durationMs ?? Number.NaN),
  fallback: (req, res) => {
    if (req.method !== 'GET' || req.url !== '/durations') return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(durations));
    return true;
  },
});
const { port } = await server.listen('127.0.0.1', 0);
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.once('SIGTERM', () => {
  void server.close(1_000).then(async () => {
    await catalog.stop();
    kube?.close();
    process.exit(0);
  });
});
