/**
 * Whether a standby's completed sync restored the snapshot lifeboat armed it with: the standby's state
 * (plan/standby.ts) says "current" from the trigger token alone, and the token alone cannot prove it. Pure.
 *
 * Why the token is not enough (docs/design.md#standby-evidence): VolSync copies the trigger it finds in the spec into
 * `status.lastManualSync` when *any* sync ends, so the token proves only that a sync ended after lifeboat wrote it —
 * not that the sync ran with the `restoreAsOf` lifeboat wrote beside it. And a mover restores the newest snapshot at
 * or before `restoreAsOf` that exists when it runs: an armed snapshot removed meanwhile (the source's retention,
 * maintenance, a manual forget) is silently replaced by an older one, or by nothing, and VolSync still reports a
 * successful sync. The same evidence as for restore points settles it (./restore-verdict.ts): the snapshot the mover's
 * report names, or — when the report names none (kopia without VolSync's debug log filter, or a cache that dropped
 * the log) — a repository read made after the mover finished that still holds the armed snapshot.
 */

import {
  type DestinationView,
  moverOf,
  type StandbyRecord,
  type StandbyState,
  standbyRecordOf,
} from '../plan/standby.ts';
import type { Decision } from './decide.ts';
import { type EvidenceRead, type RestoreVerdict, restoreVerdict } from './restore-verdict.ts';

/** The standby's status fields the evidence reads, beyond those the state reads. */
export interface StandbyWithReport extends DestinationView {
  status?: DestinationView['status'] & {
    latestMoverStatus?: { result?: string; logs?: string };
    kopia?: { requestedIdentity?: string };
  };
}

/**
 * The catalog's decision as a repository read: the complete snapshots it found, as of when that read started. Only an
 * authoritative `restore` counts (an `unknown` decision's snapshots are the last known ones, not a read).
 */
export function readOfDecision(decision: Decision | undefined, nowMs: number): EvidenceRead | undefined {
  if (decision?.decision !== 'restore' || decision.factsAgeMs === undefined) return undefined;
  return {
    state: 'read',
    startedAtMs: nowMs - decision.factsAgeMs,
    snapshotIds: decision.snapshots.map((s) => s.id),
  };
}

/**
 * The verdict on the standby's last sync against `record`; undefined when VolSync reported no mover result at all
 * (a VolSync that does not fill `latestMoverStatus`: nothing to check, the token is all there is).
 */
export function standbyEvidence(
  rd: StandbyWithReport,
  record: StandbyRecord,
  read: EvidenceRead | undefined,
): RestoreVerdict | undefined {
  const report = rd.status?.latestMoverStatus;
  if (!report?.result) return undefined;
  const syncedAt = Date.parse(rd.status?.lastSyncTime ?? '');
  const identity = rd.status?.kopia?.requestedIdentity;
  return restoreVerdict({
    pinned: { snapshotId: record.snapshotId, snapshotTime: record.snapshotTime },
    mover: moverOf(rd) ?? 'kopia',
    status: {
      result: report.result,
      ...(report.logs ? { logs: report.logs } : {}),
      ...(identity ? { requestedIdentity: identity } : {}),
    },
    // lastSyncTime has whole seconds and is written once the mover is done: the end of its second is after it.
    ...(Number.isNaN(syncedAt) ? {} : { moverDoneByMs: syncedAt + 1000 }),
    ...(read ? { readAfter: read } : {}),
  });
}

/**
 * The standby's state with its evidence: a `current` state whose sync restored another snapshot (or nothing) is
 * `behind` (re-armed, so it ends up holding the newest snapshot); one that cannot be confirmed yet is `syncing` until
 * a repository read after the mover settles it (never re-armed meanwhile). Every other state is returned as it is.
 */
export function confirmStandby(
  state: StandbyState,
  rd: StandbyWithReport,
  decision: Decision | undefined,
  nowMs: number,
): StandbyState {
  if (state.kind !== 'current') return state;
  const record = standbyRecordOf(rd) ?? state.record;
  const verdict = standbyEvidence(rd, record, readOfDecision(decision, nowMs));
  if (!verdict || verdict.outcome === 'verified') return state;
  if (verdict.outcome === 'pending') {
    const syncedAt = Date.parse(rd.status?.lastSyncTime ?? '');
    return {
      kind: 'syncing',
      token: record.token,
      sinceMs: Number.isNaN(syncedAt) ? nowMs : syncedAt,
      record,
      confirming: verdict.message,
    };
  }
  return {
    kind: 'behind',
    why: `sync ${record.token} did not restore what it was armed with: ${verdict.message}`,
    record,
    misrestored: true,
  };
}
