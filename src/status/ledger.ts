/**
 * The protection ledger, built from facts (PVCs, Namespaces, lifeboat's VolSync objects with their status, the
 * catalog's decisions) and "now". Pure. The verdict of every PVC is the planner's own (`classifyPvc` + `planPvc`),
 * never re-derived here; this module only adds what the cluster and the repository say about it: the newest snapshot,
 * the last backup, whether that is late for the tier, and whether the restore point is ready.
 */

import { confirmRepositoryCommand } from '../catalog/pins.ts';
import { formatDuration } from '../config/formats.ts';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PVC_LABEL,
  PVC_NAME_ANNOTATION,
  RESTORE_DRILL_ANNOTATION,
  RESTORE_POINT_LABEL,
  RESTORE_PROVEN_ANNOTATION,
  RESTORE_REQUEST_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../config/keys.ts';
import type { Decision } from '../decision/decide.ts';
import { parseRecordedVerdict } from '../decision/restore-verdict.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import type { IntentResult } from '../intent/types.ts';
import { parseDrillRecord, parseProof } from '../plan/drill.ts';
import { belongsTo } from '../plan/metadata.ts';
import { generatedNames } from '../plan/names.ts';
import type { ObservedObject } from '../plan/observed.ts';
import { planPvc } from '../plan/plan.ts';
import { parseRestoreRequest } from '../plan/restore-request.ts';
import { standbyRecordOf } from '../plan/standby.ts';
import type { Verdict } from '../plan/verdict.ts';
import { summarizeRows } from './filter.ts';
import { restoreReadiness } from './readiness.ts';
import { repositoryReport } from './repository-report.ts';
import { schedulePeriodMs } from './schedule-period.ts';
import type { Ledger, LedgerInput, LedgerRow, LedgerVerdict, ReplicationObject } from './types.ts';

export function buildLedger(input: LedgerInput): Ledger {
  const namespaces = new Map(input.namespaces.map((n) => [n.metadata.name, n]));
  const managed = input.replication.filter(
    (o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && !o.metadata.labels?.[RESTORE_POINT_LABEL],
  );
  const existing = new Set(input.pvcs.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  const rows: LedgerRow[] = [];
  for (const pvc of input.pvcs) {
    const row = pvcRow(input, pvc, namespaces.get(pvc.metadata.namespace ?? ''), managed);
    if (row) rows.push(row);
  }
  for (const rd of managed) {
    if (rd.kind !== 'ReplicationDestination' || rd.metadata.deletionTimestamp) continue;
    const pvc = rd.metadata.annotations?.[PVC_NAME_ANNOTATION] ?? rd.metadata.labels?.[PVC_LABEL];
    const namespace = rd.metadata.namespace;
    if (!pvc || !namespace || existing.has(`${namespace}/${pvc}`)) continue;
    if (generatedNames(pvc, input.config.naming).replicationDestination !== rd.metadata.name) continue;
    rows.push(orphanRow(input, namespace, pvc, rd));
  }
  rows.sort((a, b) => (a.namespace === b.namespace ? cmp(a.pvc, b.pvc) : cmp(a.namespace, b.namespace)));
  const ledger: Ledger = {
    generatedAt: new Date(input.now).toISOString(),
    summary: summarizeRows(rows),
    rows,
    ...(input.maintenance ? { maintenance: input.maintenance } : {}),
  };
  if (input.repository) {
    const namespace = input.config.namespace;
    ledger.repository = repositoryReport(input.repository, rows, (id) => confirmRepositoryCommand(namespace, id));
  }
  return ledger;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which PVCs have a row: anything labelled or exempt, and unlabelled PVCs of opted-in namespaces (someone must decide
 * whether they need backups, docs/design.md#near-miss-keys; for a database operator's claim, the row says its native
 * backup is expected). Unlabelled PVCs elsewhere and system namespaces' own PVCs
 * are not lifeboat's.
 */
function wanted(
  input: LedgerInput,
  pvc: PersistentVolumeClaim,
  ns: Namespace | undefined,
  intent: IntentResult,
): boolean {
  const keys = input.config.keys;
  const labels = pvc.metadata.labels ?? {};
  switch (intent.intent.kind) {
    case 'unlabelled':
    case 'database':
      return ns?.metadata.annotations?.[keys.namespaceOptInAnnotation] === 'true';
    case 'excluded':
      return labels[keys.backupLabel] !== undefined || labels[keys.exemptLabel] !== undefined;
    default:
      return true;
  }
}

function pvcRow(
  input: LedgerInput,
  pvc: PersistentVolumeClaim,
  ns: Namespace | undefined,
  managed: readonly ReplicationObject[],
): LedgerRow | undefined {
  const { config } = input;
  const namespace = pvc.metadata.namespace ?? '';
  const name = pvc.metadata.name;
  const key = `${namespace}/${name}`;
  const intent = classifyPvc(pvc, ns, config);
  if (!wanted(input, pvc, ns, intent)) return undefined;
  const mine = managed.filter((o) => (o.metadata.namespace ?? namespace) === namespace && belongsTo(o.metadata, name));
  const plan = planPvc({
    pvc,
    intent,
    config,
    facts: {
      now: input.now,
      cluster: input.cluster,
      sourceSecret: input.sourceSecret,
      observed: mine as unknown as ObservedObject[],
    },
  });
  const names = generatedNames(name, config.naming);
  const rs = mine.find((o) => o.kind === 'ReplicationSource' && o.metadata.name === names.replicationSource);
  const rd = mine.find((o) => o.kind === 'ReplicationDestination' && o.metadata.name === names.replicationDestination);
  const decision = input.decisions?.get(key);
  const tier = pvc.metadata.labels?.[config.keys.backupLabel] ?? null;
  const verdict = ledgerVerdict(input, key, plan.verdict, config.keys);
  const deleting = (pvc.metadata as { deletionTimestamp?: string }).deletionTimestamp !== undefined;
  const stale = verdict.verdict === 'protected' ? staleness(input, plan.verdict, rs, decision) : undefined;
  const restores = tier !== null || verdict.verdict === 'waiting' || verdict.verdict === 'protected';
  return {
    namespace,
    pvc: name,
    tier,
    ...verdict,
    phase: deleting ? 'Terminating' : (pvc.status?.phase ?? null),
    snapshots: snapshotsOf(decision),
    backup: backupOf(rs),
    stale: stale !== undefined,
    staleReason: stale ?? null,
    restorePoint: restorePointOf(input.now, rd),
    restored: restoredOf(pvc),
    proven: provenOf(input, rd),
    database: intent.database ?? null,
    restoreReady: restores ? restoreReadiness(rd, decision, input.volumeSnapshots, input.now) : null,
  };
}

function orphanRow(input: LedgerInput, namespace: string, pvc: string, rd: ReplicationObject): LedgerRow {
  const decision = input.decisions?.get(`${namespace}/${pvc}`);
  return {
    namespace,
    pvc,
    tier: null,
    verdict: 'restore-point-only',
    reason: 'PvcDeleted',
    message: 'the PVC is gone; its restore point and repository data are kept, so it restores when the app returns',
    phase: null,
    snapshots: snapshotsOf(decision),
    backup: null,
    stale: false,
    staleReason: null,
    restorePoint: restorePointOf(input.now, rd),
    restored: null,
    proven: provenOf(input, rd),
    database: null,
    restoreReady: restoreReadiness(rd, decision, input.volumeSnapshots, input.now),
  };
}

/** What the restore drills recorded on the persistent RD (controller/drill-controller.ts). */
function provenOf(input: LedgerInput, rd: ReplicationObject | undefined): LedgerRow['proven'] {
  if (!rd) return null;
  const annotations = rd.metadata.annotations ?? {};
  const proof = parseProof(annotations[RESTORE_PROVEN_ANNOTATION]);
  const ageSeconds = proof ? Math.max(0, Math.round((input.now - proof.atMs) / 1000)) : null;
  return {
    at: proof ? new Date(proof.atMs).toISOString() : null,
    snapshotId: proof?.snapshotId ?? null,
    ageSeconds,
    overdue: ageSeconds === null || ageSeconds * 1000 > input.config.verify.maxAge,
    lastDrill: parseDrillRecord(annotations[RESTORE_DRILL_ANNOTATION]) ?? null,
  };
}

/** The restore evidence the controller recorded on the PVC (controller/restore-evidence.ts). */
function restoredOf(pvc: PersistentVolumeClaim): LedgerRow['restored'] {
  const annotations = pvc.metadata.annotations ?? {};
  const recorded = parseRecordedVerdict(annotations[RESTORE_VERDICT_ANNOTATION]);
  return recorded ? { ...recorded, from: annotations[RESTORED_FROM_ANNOTATION] ?? null } : null;
}

/** The planner's verdict in ledger terms; a conflict the controller (or the CLI) found wins. */
function ledgerVerdict(
  input: LedgerInput,
  key: string,
  v: Verdict,
  keys: LedgerInput['config']['keys'],
): { verdict: LedgerVerdict; reason: string; message: string } {
  const conflict = input.conflicts?.get(key);
  if (conflict) return { verdict: 'conflict', reason: 'NameConflict', message: conflict };
  const of = (verdict: LedgerVerdict) => ({ verdict, reason: v.event.reason, message: v.event.message });
  switch (v.kind) {
    case 'protected':
      return of('protected');
    case 'waiting':
      return of(v.cause === 'credentials' ? 'needs-attention' : 'waiting');
    case 'exempt':
      return { verdict: 'exempt', reason: v.event.reason, message: v.exemptReason };
    case 'database':
      return of('database');
    case 'unlabelled':
      return {
        verdict: 'needs-attention',
        reason: 'Unlabelled',
        message:
          `neither a backup label (${keys.backupLabel}: <tier>) nor an exemption (${keys.exemptLabel}: "true" with ` +
          `${keys.exemptReasonAnnotation}) in an opted-in namespace: this PVC is not backed up`,
      };
    case 'excluded':
    case 'not-opted-in':
    case 'invalid':
    case 'unsupported':
      return of('needs-attention');
  }
}

/** Why a protected PVC is late, or undefined when it is not (or its schedule cannot tell). */
function staleness(
  input: LedgerInput,
  verdict: Verdict,
  rs: ReplicationObject | undefined,
  decision: Decision | undefined,
): string | undefined {
  if (verdict.kind !== 'protected' || !('schedule' in verdict.trigger)) return undefined;
  const period = schedulePeriodMs(verdict.trigger.schedule);
  if (period === undefined) return undefined;
  if (!rs) return 'no ReplicationSource exists although the PVC is protected: is the lifeboat controller running?';
  const bound = period + input.graceMs;
  const allowed = `${formatDuration(period)} schedule period + ${formatDuration(input.graceMs)} grace`;
  const synced = rs.status?.lastSyncTime ? Date.parse(rs.status.lastSyncTime) : Number.NaN;
  const snapshot = decision?.decision === 'restore' ? (decision.newest?.timeMs ?? Number.NaN) : Number.NaN;
  const last = Math.max(Number.isNaN(synced) ? -1 : synced, Number.isNaN(snapshot) ? -1 : snapshot);
  if (last >= 0) {
    if (input.now - last <= bound) return undefined;
    const ago = formatDuration(Math.floor((input.now - last) / 60_000) * 60_000);
    return `last successful backup ${new Date(last).toISOString()}, ${ago} ago (allowed: ${allowed})`;
  }
  const created = rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : Number.NaN;
  if (Number.isNaN(created) || input.now - created <= bound) return undefined;
  return `no successful backup since the ReplicationSource was created ${rs.metadata.creationTimestamp} (allowed: ${allowed})`;
}

function snapshotsOf(decision: Decision | undefined): LedgerRow['snapshots'] {
  if (!decision) return null;
  const newest = decision.newest ?? decision.snapshots[0];
  return {
    decision: decision.decision,
    cause: decision.cause,
    count: decision.snapshots.length,
    newestId: newest?.id ?? null,
    newestTime: newest?.time ?? null,
  };
}

function backupOf(rs: ReplicationObject | undefined): LedgerRow['backup'] {
  if (!rs) return null;
  return {
    source: rs.metadata.name,
    lastSyncTime: rs.status?.lastSyncTime ?? null,
    lastResult: rs.status?.latestMoverStatus?.result ?? null,
  };
}

function restorePointOf(now: number, rd: ReplicationObject | undefined): LedgerRow['restorePoint'] {
  if (!rd) return null;
  const record = standbyRecordOf(rd as Parameters<typeof standbyRecordOf>[0]);
  const syncedAt = rd.status?.lastSyncTime ?? null;
  const from = record?.snapshotTime ?? syncedAt;
  let restoreInProgress: string | null = null;
  try {
    restoreInProgress = parseRestoreRequest(rd.metadata.annotations?.[RESTORE_REQUEST_ANNOTATION])?.step ?? null;
  } catch {
    restoreInProgress = 'unreadable request';
  }
  return {
    destination: rd.metadata.name,
    snapshotId: record?.snapshotId ?? null,
    snapshotTime: record?.snapshotTime ?? null,
    syncedAt,
    ageSeconds: from ? Math.max(0, Math.round((now - Date.parse(from)) / 1000)) : null,
    restoreInProgress,
  };
}
