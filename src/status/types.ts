/**
 * The protection ledger: one row per PVC that matters to lifeboat, as `lifeboat status`, `/audit` and scripts see it.
 * The JSON form is a contract (field names stay); the table is derived from it.
 */

import type { LifeboatConfig } from '../config/types.ts';
import type { Decision } from '../decision/decide.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';
import type { SourceSecretFact } from '../plan/credentials.ts';
import type { MaintenanceStatus } from './maintenance.ts';
import type { RepositoryFacts, RepositoryReport } from './repository-report.ts';

export type LedgerVerdict =
  /** Backups scheduled: the planner's `protected`. */
  | 'protected'
  /** Protected, but the ReplicationSource waits for the claim to bind or for its minimum age. */
  | 'waiting'
  /** Deliberately unprotected, with a reason. */
  | 'exempt'
  /** No backup label on a database operator's claim: its native backup is expected, lifeboat makes no copy. */
  | 'database'
  /** A generated object's name is taken by an object lifeboat does not own. */
  | 'conflict'
  /** A person must act: unknown tier, missing reason, namespace not opted in, unlabelled, no credentials, … */
  | 'needs-attention'
  /** The PVC is gone; its restore point (and repository data) is kept for when the app returns. */
  | 'restore-point-only';

export const LEDGER_VERDICTS: readonly LedgerVerdict[] = [
  'protected',
  'waiting',
  'exempt',
  'database',
  'conflict',
  'needs-attention',
  'restore-point-only',
];

export interface LedgerRow {
  namespace: string;
  pvc: string;
  /** The tier the label names (also for invalid or waiting PVCs), else null. */
  tier: string | null;
  verdict: LedgerVerdict;
  /** CamelCase code: the planner's Event reason (`BackupConfigured`, `WaitingForBind`, `UnknownTier`, …). */
  reason: string;
  message: string;
  /** `Bound`, `Pending`, …; null for a restore point whose PVC is gone. */
  phase: string | null;
  /** What the repository holds (the catalog), or null when it was not consulted. */
  snapshots: {
    decision: Decision['decision'];
    cause: string;
    /** Complete snapshots. */
    count: number;
    newestId: string | null;
    newestTime: string | null;
  } | null;
  /** The ReplicationSource, or null when there is none. */
  backup: {
    source: string;
    /** End of the last successful sync (`status.lastSyncTime`). */
    lastSyncTime: string | null;
    /** `status.latestMoverStatus.result`: `Successful`, `Failed`, or null before any sync. */
    lastResult: string | null;
  } | null;
  /** No successful backup within the tier's schedule period plus the grace (protected PVCs only). */
  stale: boolean;
  /** Why it is stale; null when it is not. */
  staleReason: string | null;
  /** The persistent ReplicationDestination, or null when there is none. */
  restorePoint: {
    destination: string;
    /** The snapshot lifeboat's last recorded sync asked for (`lifeboat.dev/restore-point`), if any. */
    snapshotId: string | null;
    snapshotTime: string | null;
    /** End of the RD's last successful sync. */
    syncedAt: string | null;
    /** now − snapshotTime (else − syncedAt: the data is at least that old); null when neither is known. */
    ageSeconds: number | null;
    /** A `lifeboat restore` in progress, by its step. */
    restoreInProgress: string | null;
  } | null;
  /**
   * What the last restore of this PVC restored, from the evidence the controller recorded on it
   * (`lifeboat.dev/restore-verdict`, `lifeboat.dev/restored-from`); null when it was not restored by lifeboat.
   */
  restored: {
    /** `verified`, `mismatch`, `empty`, `unverified` or `refused`. */
    outcome: string;
    /** `<snapshot id> <time>` of what the volume holds, `nothing`, or null when unknown. */
    from: string | null;
    message: string;
  } | null;
  /**
   * Restore drills (from the persistent ReplicationDestination's `lifeboat.dev/restore-proven` and
   * `lifeboat.dev/restore-drill`); null where there is no persistent ReplicationDestination.
   */
  proven: {
    /** When the last drill that passed ended, and the snapshot it restored; null when none passed. */
    at: string | null;
    snapshotId: string | null;
    ageSeconds: number | null;
    /** No proof, or one older than `verify.maxAge`. */
    overdue: boolean;
    /** The last drill, whatever its outcome; null before the first. */
    lastDrill: { id?: string; outcome: string; at: string; snapshotId: string; message: string } | null;
  } | null;
  /**
   * The database operator that made the claim (config `databases`) and what gave it away; null for other claims. On
   * a protected or waiting row it means a file-level copy of a running database (the `DatabaseFileCopy` warning).
   */
  database: { operator: string; evidence: string } | null;
  /** docs/design.md#status restore readiness of the restore point; null where a restore does not apply (exempt, unlabelled). */
  restoreReady: { ready: boolean; why: string } | null;
}

export interface LedgerSummary {
  total: number;
  byVerdict: Record<LedgerVerdict, number>;
  /** Protected PVCs without a successful backup within their tier's period plus grace. */
  stale: number;
  /** Rows whose restore point is not ready. */
  restoreNotReady: number;
  /** Rows whose last restore restored another snapshot than admission pinned, nothing, or nothing provable. */
  restoreNotVerified: number;
  /** Protected or waiting rows of database operators' claims: backed up as file-level copies, as their label asks. */
  databaseFileCopies: number;
  /** Protected rows whose backups were not proven restorable within `verify.maxAge` (or never). */
  notProven: number;
  /** Rows whose last restore drill failed. */
  drillsFailing: number;
}

export interface Ledger {
  generatedAt: string;
  summary: LedgerSummary;
  rows: LedgerRow[];
  /** The kopia repository's maintenance (status/maintenance.ts); absent when it was not looked at. */
  maintenance?: MaintenanceStatus;
  /** The repository lifeboat reads: its ID, pins, changes awaiting confirmation, unmatched sources. */
  repository?: RepositoryReport;
}

/** A ReplicationSource or ReplicationDestination as the API returns it (status included). */
export interface VolumeSnapshotFact {
  ready: boolean;
  createdAt?: string;
}

export interface ReplicationObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string }[];
  };
  spec?: {
    trigger?: { manual?: string; schedule?: string };
    kopia?: Record<string, unknown>;
    restic?: Record<string, unknown>;
  };
  status?: {
    lastSyncTime?: string;
    lastManualSync?: string;
    latestMoverStatus?: { result?: string; logs?: string };
    latestImage?: { kind?: string; name?: string } | null;
    kopia?: { snapshotsFound?: number; requestedIdentity?: string };
  };
}

export interface LedgerInput {
  config: LifeboatConfig;
  /** Milliseconds since the epoch. */
  now: number;
  cluster: ClusterCapabilities;
  sourceSecret: SourceSecretFact;
  /** PVCs with `metadata.namespace` set. */
  pvcs: readonly PersistentVolumeClaim[];
  namespaces: readonly Namespace[];
  /** lifeboat's ReplicationSources and ReplicationDestinations (others are ignored). */
  replication: readonly ReplicationObject[];
  /** `namespace/pvc` → why a generated name is taken (the controller's conflict verdicts, or the CLI's lookups). */
  conflicts?: ReadonlyMap<string, string>;
  /** `namespace/pvc` → the catalog's decision; PVCs without one show no snapshot facts. */
  decisions?: ReadonlyMap<string, Decision>;
  /**
   * `namespace/name` → `readyToUse` and creationTimestamp of VolumeSnapshots; when given, an image whose snapshot is
   * absent, not ready, or older than lifeboat's last arm of the standby makes the restore point not ready. Omitted:
   * the check is skipped (e.g. no permission to read snapshots).
   */
  volumeSnapshots?: ReadonlyMap<string, VolumeSnapshotFact>;
  /** Tolerance past the schedule period before a protected PVC counts as stale. */
  graceMs: number;
  /** The kopia repository's maintenance, carried into the ledger as it is. */
  maintenance?: MaintenanceStatus;
  /** The catalog's repository facts, for the ledger's repository report. */
  repository?: RepositoryFacts;
}
