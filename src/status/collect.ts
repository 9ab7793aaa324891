/**
 * Gathers the ledger's facts from the API server and the catalog (the I/O half of `lifeboat status`; ledger.ts is
 * the pure half). Read-only. Optional facts degrade instead of failing: without permission to read VolumeSnapshots
 * the snapshot check is skipped, without the source Secret the credentials are "not read", without a catalog no
 * snapshot facts are shown.
 */
import type { PvcFacts } from '../catalog/view.ts';
import { BACKUP_HISTORY_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, PVC_NAME_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { type Decision, decide } from '../decision/decide.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';
import type { SourceSecretFact } from '../plan/credentials.ts';
import { parseHistory } from '../plan/history.ts';
import { MAINTENANCE_NAME, planMaintenance } from '../plan/maintenance.ts';
import { generatedNames } from '../plan/names.ts';
import { VOLSYNC_API_VERSION, VOLUME_SNAPSHOT_API_VERSION } from '../plan/objects.ts';
import type { PvcRef } from '../repository/source.ts';
import { type LiveKopiaMaintenance, type MaintenanceStatus, maintenanceStatus } from '../status/maintenance.ts';
import type { RepositoryFacts } from '../status/repository-report.ts';
import type { LedgerInput, ReplicationObject } from '../status/types.ts';

/** What the ledger needs of the catalog. */
export interface LedgerCatalog {
  lookup(ref: PvcRef): Promise<PvcFacts>;
  readonly staleAfterMs: number;
  /** The repository report's facts (identity, IDs, unmatched sources); absent: the ledger has no report. */
  repositoryFacts?(): RepositoryFacts;
}

export interface CollectOptions {
  /** Only this namespace. */
  namespace?: string;
  graceMs: number;
  catalog?: LedgerCatalog;
  now?: number;
  /** Reads which VolSync (and External Secrets) the cluster runs: controller/capabilities.ts's detectCapabilities. */
  capabilities: (kube: KubeClient) => Promise<ClusterCapabilities>;
}

/**
 * The catalog's decision for each PVC key, with the expected-history ledger of its RD (so a PVC whose history
 * vanished reads `unknown`, as admission would answer).
 */
export async function ledgerDecisions(
  catalog: LedgerCatalog,
  keys: Iterable<string>,
  destinations: readonly ReplicationObject[],
  nowMs: number,
): Promise<Map<string, Decision>> {
  const history = new Map<string, string>();
  for (const rd of destinations) {
    const value = rd.metadata.annotations?.[BACKUP_HISTORY_ANNOTATION];
    const pvc = rd.metadata.annotations?.[PVC_NAME_ANNOTATION];
    if (value && pvc) history.set(`${rd.metadata.namespace}/${pvc}`, value);
  }
  const decisions = new Map<string, Decision>();
  for (const key of new Set(keys)) {
    const slash = key.indexOf('/');
    const facts = await catalog.lookup({ namespace: key.slice(0, slash), pvc: key.slice(slash + 1) });
    const h = parseHistory(history.get(key));
    decisions.set(
      key,
      decide({
        facts,
        nowMs,
        staleAfterMs: catalog.staleAfterMs,
        ...(h
          ? {
              expected: {
                hadSnapshots: true,
                ...(h.lastSnapshotId ? { lastSnapshotId: h.lastSnapshotId } : {}),
                ...(h.lastSnapshotTime ? { lastSnapshotTime: h.lastSnapshotTime } : {}),
              },
            }
          : {}),
      }),
    );
  }
  return decisions;
}

async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

export async function collectLedgerInput(
  kube: KubeClient,
  config: LifeboatConfig,
  opts: CollectOptions,
): Promise<LedgerInput> {
  const now = opts.now ?? Date.now();
  const scope = opts.namespace !== undefined ? { namespace: opts.namespace } : {};
  const [pvcs, namespaces, sources, destinations, cluster] = await Promise.all([
    kube.list<KubeObject & PersistentVolumeClaim>('v1', 'PersistentVolumeClaim', scope),
    kube.list<KubeObject & Namespace>('v1', 'Namespace'),
    kube.list<KubeObject & ReplicationObject>(VOLSYNC_API_VERSION, 'ReplicationSource', scope),
    kube.list<KubeObject & ReplicationObject>(VOLSYNC_API_VERSION, 'ReplicationDestination', scope),
    opts.capabilities(kube),
  ]);
  const replication = [...sources, ...destinations];
  const managed = replication.filter((o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE);
  const snapshots = await optional(() =>
    kube.list<KubeObject & { status?: { readyToUse?: boolean } }>(VOLUME_SNAPSHOT_API_VERSION, 'VolumeSnapshot', scope),
  );
  const labelled = pvcs.filter((p) => {
    const labels = p.metadata.labels ?? {};
    return labels[config.keys.backupLabel] !== undefined || labels[config.keys.exemptLabel] !== undefined;
  });
  const sourceSecret = await sourceSecretFact(kube, config);
  const input: LedgerInput = {
    config,
    now,
    cluster,
    sourceSecret,
    maintenance: await maintenanceOf(kube, config, cluster, sourceSecret, now),
    pvcs,
    namespaces,
    replication: managed,
    conflicts: await conflicts(kube, config, labelled, replication),
    graceMs: opts.graceMs,
  };
  if (snapshots) {
    input.volumeSnapshots = new Map(
      snapshots.map((s) => [
        `${s.metadata.namespace}/${s.metadata.name}`,
        {
          ready: s.status?.readyToUse === true,
          ...(s.metadata.creationTimestamp ? { createdAt: s.metadata.creationTimestamp } : {}),
        },
      ]),
    );
  }
  if (opts.catalog) {
    const rdKeys = managed
      .filter((o) => o.kind === 'ReplicationDestination')
      .map((o) => `${o.metadata.namespace}/${o.metadata.annotations?.[PVC_NAME_ANNOTATION] ?? ''}`)
      .filter((k) => !k.endsWith('/'));
    const keys = [...labelled.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ...rdKeys];
    input.decisions = await ledgerDecisions(opts.catalog, keys, managed, now);
    const repository = opts.catalog.repositoryFacts?.();
    if (repository) input.repository = repository;
  }
  return input;
}

/**
 * The kopia repository's maintenance: lifeboat's plan (is one wanted, can it be made) and the live KopiaMaintenance
 * the fork reports on. A KopiaMaintenance that cannot be read shows as `missing`.
 */
async function maintenanceOf(
  kube: KubeClient,
  config: LifeboatConfig,
  cluster: ClusterCapabilities,
  sourceSecret: SourceSecretFact,
  now: number,
): Promise<MaintenanceStatus> {
  const plan = planMaintenance({ config, cluster, sourceSecret, observed: [] });
  const live =
    plan.state === 'maintained'
      ? await optional(() =>
          kube.get<KubeObject & LiveKopiaMaintenance>({
            apiVersion: VOLSYNC_API_VERSION,
            kind: 'KopiaMaintenance',
            namespace: config.namespace,
            name: MAINTENANCE_NAME,
          }),
        )
      : undefined;
  return maintenanceStatus(plan, live, now);
}

/** The copy-mode source Secret as the planner sees it; `not-read` when it may not be read here. */
async function sourceSecretFact(kube: KubeClient, config: LifeboatConfig): Promise<SourceSecretFact> {
  if (config.credentials.mode !== 'copy') return { state: 'not-read' };
  const { namespace, name } = config.credentials.secretRef;
  try {
    const secret = await kube.get<KubeObject & { data?: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name,
    });
    return secret ? { state: 'found', data: secret.data ?? {} } : { state: 'not-found' };
  } catch {
    return { state: 'not-read' };
  }
}

/**
 * Labelled PVCs whose generated object names are taken by objects lifeboat does not own (the controller reports the
 * same as `conflict`). VolSync objects come from the lists; the Secret is looked up by name.
 */
async function conflicts(
  kube: KubeClient,
  config: LifeboatConfig,
  pvcs: readonly PersistentVolumeClaim[],
  replication: readonly ReplicationObject[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const foreign = (o: { metadata: { labels?: Record<string, string> } } | undefined) =>
    o !== undefined && o.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE;
  const message = (kind: string, ns: string, name: string) =>
    `${kind} ${ns}/${name} already exists and is not managed by lifeboat; it is left untouched. Rename or delete it ` +
    '(or label it app.kubernetes.io/managed-by=lifeboat to hand it over).';
  // In external-secret mode lifeboat generates the ExternalSecret; the Secret itself is the operator's (not labelled).
  const credentialsKind =
    config.credentials.mode === 'copy'
      ? { apiVersion: 'v1', kind: 'Secret' }
      : { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' };
  for (const pvc of pvcs) {
    if (pvc.metadata.labels?.[config.keys.backupLabel] === undefined) continue;
    const ns = pvc.metadata.namespace ?? '';
    const names = generatedNames(pvc.metadata.name, config.naming);
    const key = `${ns}/${pvc.metadata.name}`;
    const secret = await optional(async () => {
      try {
        return await kube.get({ ...credentialsKind, namespace: ns, name: names.secret });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
    const taken = [
      ['Secret', names.secret, secret] as const,
      ...(['ReplicationSource', 'ReplicationDestination'] as const).map((kind) => {
        const name = kind === 'ReplicationSource' ? names.replicationSource : names.replicationDestination;
        return [
          kind,
          name,
          replication.find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name),
        ] as const;
      }),
    ].find(([, , o]) => foreign(o));
    if (taken) found.set(key, message(taken[0] === 'Secret' ? credentialsKind.kind : taken[0], ns, taken[1]));
  }
  return found;
}
