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
 *
 * And the report is not enough either: when an earlier run's mover had already finished and VolSync had made that
 * run's VolumeSnapshot before the arm landed, VolSync reruns the mover with the new `restoreAsOf` (its report names
 * the armed snapshot) but publishes the VolumeSnapshot it already made, which holds the earlier run's data. So the
 * image itself must have been made after the arm (imageAfterArm).
 */

import {
  armedAtMs,
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

/** What the edge found of the VolumeSnapshot `status.latestImage` names. */
export type ImageFact =
  /** The image is not a VolumeSnapshot (copyMethod Direct: the volume itself), so it is not made once per run. */
  | { state: 'not-a-snapshot' }
  | { state: 'created'; createdAt: string }
  /** The API server answered that it does not exist. */
  | { state: 'missing' }
  /** It could not be read (RBAC, the API server, the network): nothing is known about it. */
  | { state: 'unreadable'; error: string };

/**
 * Whether the standby's image is a VolumeSnapshot made per run. Only VolSync's copyMethod Direct publishes the volume
 * itself (kind PersistentVolumeClaim); any other image, a missing kind included, is checked as a snapshot.
 */
export function imageIsSnapshot(rd: DestinationView): boolean {
  return rd.status?.latestImage?.kind !== 'PersistentVolumeClaim';
}

export interface ImageCheck {
  outcome: 'verified' | 'pending' | 'mismatch';
  message: string;
}

/**
 * Whether the standby's image was made by a run started by lifeboat's last arm: its VolumeSnapshot was created at or
 * after the arm, both times from the API server's clock (metadata.creationTimestamp, and the managedFields time of the
 * arm: plan/standby.ts armedAtMs), so lifeboat's own clock and its skew play no part. Both have whole seconds; a
 * snapshot created in the arm's own second counts as after it (a mover cannot restore and be snapshotted within the
 * second it was armed, so this only matters for the window itself landing within one second).
 *
 * Fails towards not current, never towards current: an image older than the arm or gone, or an arm time lifeboat
 * cannot see, is a mismatch (re-armed: the next run makes a new image and records a new arm time, so this cannot
 * repeat on a healthy standby); an image that cannot be read is pending (confirming, never re-armed: re-arming would
 * not make it readable, and a re-arm loop on a standby that may well be healthy is worse than waiting).
 */
export function imageAfterArm(rd: DestinationView, record: StandbyRecord, image: ImageFact): ImageCheck {
  const name = rd.status?.latestImage?.name ?? '';
  if (image.state === 'not-a-snapshot') return { outcome: 'verified', message: `image ${name} is not a snapshot` };
  if (image.state === 'unreadable') {
    return {
      outcome: 'pending',
      message:
        `cannot read VolumeSnapshot ${name} to check it was made after sync ${record.token} was armed: ${image.error}` +
        ' (lifeboat needs get on volumesnapshots.snapshot.storage.k8s.io)',
    };
  }
  if (image.state === 'missing') {
    return { outcome: 'mismatch', message: `its image, VolumeSnapshot ${name}, does not exist` };
  }
  const armed = armedAtMs(rd);
  if (armed === undefined) {
    return {
      outcome: 'mismatch',
      message: `when sync ${record.token} was armed is not recorded (no managedFields entry of lifeboat-sync), so image ${name} cannot be shown to come from it`,
    };
  }
  const created = Date.parse(image.createdAt);
  if (Number.isNaN(created) || created < armed) {
    return {
      outcome: 'mismatch',
      message: `its image, VolumeSnapshot ${name}, was created ${image.createdAt}, before sync ${record.token} was armed at ${new Date(armed).toISOString()}: it holds an earlier run's data`,
    };
  }
  return { outcome: 'verified', message: `image ${name} created ${image.createdAt}, after the arm` };
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
 * The standby's state with its evidence: a `current` state whose image predates the arm, or whose sync restored
 * another snapshot (or nothing), is `behind` (re-armed, so it ends up holding the newest snapshot); one that cannot be
 * confirmed yet is `syncing` until a repository read after the mover (or a readable image) settles it (never re-armed
 * meanwhile). Every other state is returned as it is.
 */
export function confirmStandby(
  state: StandbyState,
  rd: StandbyWithReport,
  decision: Decision | undefined,
  image: ImageFact,
  nowMs: number,
): StandbyState {
  if (state.kind !== 'current') return state;
  const record = standbyRecordOf(rd) ?? state.record;
  const imageCheck = imageAfterArm(rd, record, image);
  const report = standbyEvidence(rd, record, readOfDecision(decision, nowMs));
  // A mismatch of either kind decides; then anything still pending; the report alone may be absent (nothing to check).
  const verdict =
    imageCheck.outcome === 'mismatch'
      ? imageCheck
      : report?.outcome !== undefined && report.outcome !== 'verified' && report.outcome !== 'pending'
        ? report
        : imageCheck.outcome === 'pending'
          ? imageCheck
          : report;
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
