/**
 * The ledger from what the operator already holds in memory — the PVC controller's reflector caches and verdicts, and
 * the catalog — for `GET /audit`: no request lists the cluster or reads the repository (a restic PVC the catalog has
 * not read yet is the one documented exception of `Catalog.lookup`, bounded by its lookup timeout).
 */
import { PVC_NAME_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import type { KubeObject } from '../kube/client.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';
import { sourceSecretFactFrom } from '../plan/credentials.ts';
import { type LedgerCatalog, ledgerDecisions } from './collect.ts';
import { buildLedger } from './ledger.ts';
import type { MaintenanceStatus } from './maintenance.ts';
import type { Ledger, ReplicationObject } from './types.ts';

export interface CacheSnapshot {
  config: LifeboatConfig;
  now: number;
  cluster: ClusterCapabilities;
  /** The copy-mode source Secret reflector's objects (`controller.sourceSecret?.list()`); undefined: not watched. */
  sourceSecrets?: readonly KubeObject[];
  /** `controller.pvcs.list()`. */
  pvcs: readonly KubeObject[];
  /** `controller.namespaces.list()`. */
  namespaces: readonly KubeObject[];
  /** Every child reflector's objects (`controller.children.flatMap((r) => r.list())`); only RS and RD are read. */
  children: readonly KubeObject[];
  /** `controller.reports`: its `conflict` verdicts become ledger conflicts. */
  reports?: ReadonlyMap<string, { verdict: string; message: string }>;
  catalog?: LedgerCatalog;
  /** Default 1 h. */
  graceMs?: number;
  /** The maintenance controller's last status of the kopia repository's maintenance. */
  maintenance?: MaintenanceStatus;
}

export async function ledgerFromCaches(s: CacheSnapshot): Promise<Ledger> {
  const replication = s.children.filter(
    (o) => o.kind === 'ReplicationSource' || o.kind === 'ReplicationDestination',
  ) as unknown as ReplicationObject[];
  const conflicts = new Map<string, string>();
  for (const [key, report] of s.reports ?? []) if (report.verdict === 'conflict') conflicts.set(key, report.message);
  const keys = [
    ...s.pvcs.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
    ...replication
      .filter((o) => o.kind === 'ReplicationDestination')
      .map((o) => `${o.metadata.namespace}/${o.metadata.annotations?.[PVC_NAME_ANNOTATION] ?? ''}`)
      .filter((k) => !k.endsWith('/')),
  ];
  const labelled = new Set(
    s.pvcs
      .filter((p) => {
        const labels = p.metadata.labels ?? {};
        return labels[s.config.keys.backupLabel] !== undefined || labels[s.config.keys.exemptLabel] !== undefined;
      })
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
  );
  const pvcKeys = new Set(s.pvcs.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  // The catalog is asked about labelled PVCs and restore points whose PVC is gone, as `lifeboat status` does.
  const wanted = keys.filter((k) => labelled.has(k) || !pvcKeys.has(k));
  return buildLedger({
    config: s.config,
    now: s.now,
    cluster: s.cluster,
    sourceSecret: sourceSecretFactFrom(s.sourceSecrets),
    pvcs: s.pvcs as unknown as PersistentVolumeClaim[],
    namespaces: s.namespaces as unknown as Namespace[],
    replication,
    conflicts,
    ...(s.catalog ? { decisions: await ledgerDecisions(s.catalog, wanted, replication, s.now) } : {}),
    ...(s.catalog?.repositoryFacts ? { repository: s.catalog.repositoryFacts() } : {}),
    graceMs: s.graceMs ?? 3_600_000,
    ...(s.maintenance ? { maintenance: s.maintenance } : {}),
  });
}
