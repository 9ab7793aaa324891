/**
 * Restore evidence: which snapshot a restore actually used, checked against the one admission pinned. Pure: facts in
 * (the pinned snapshot, the restore point's status, a repository read), verdict out; the controller reads the facts
 * and records the verdict (controller/restore-evidence.ts).
 *
 * Why this is needed although restore points are pinned: `restoreAsOf` pins by time, and both movers restore the
 * newest snapshot at or before it that exists *when the mover runs*. If the pinned snapshot is gone by then (the
 * source's own retention, maintenance, a manual forget), the mover silently restores an older snapshot — or, when
 * nothing older exists, restores nothing and still exits 0. VolSync reports both as a successful sync.
 *
 * Two checks:
 * - before the restore point is created (`armingCheck`): the pinned snapshot must still be in a read of its
 *   repository made now; if it is gone, the restore point is never created and the PVC stays Pending;
 * - after the mover ran (`restoreVerdict`): the mover's own report names the snapshot it restored (restic always;
 *   kopia only with VolSync's debug log filter); when it does not, a repository read started after the mover finished
 *   that still holds the pinned snapshot proves the mover saw it too (snapshots are never resurrected), so the newest
 *   snapshot at or before `restoreAsOf` was the pinned one.
 */

import { type MoverKind, parseMoverReport, sameSnapshot } from './mover-report.ts';

export interface PinnedSnapshot {
  /** `lifeboat.dev/restore-snapshot` on the PVC. */
  snapshotId: string;
  /** `lifeboat.dev/restore-snapshot-time` on the PVC (RFC 3339). */
  snapshotTime: string;
}

/** A read of the PVC's source made for this check, or why there is none. */
export type EvidenceRead =
  | {
      state: 'read';
      /** When the read started (ms). */
      startedAtMs: number;
      /** Complete snapshots of the PVC that the read found. */
      snapshotIds: readonly string[];
    }
  | { state: 'failed'; message: string };

export type ArmingCheck =
  | { action: 'arm' }
  /** The pinned snapshot is gone: never create the restore point (it would restore an older snapshot or nothing). */
  | { action: 'refuse'; message: string; remedy: string }
  /** The repository could not be read: try again later, the PVC waits. */
  | { action: 'hold'; message: string };

export const RECREATE_REMEDY =
  'The PVC stays Pending, so the application does not start on the wrong data. Scale its workload to 0, delete the ' +
  'PVC and let it be created again: admission then pins a snapshot that exists (lifeboat status shows the newest), ' +
  'or set lifeboat.dev/restore-as-of on the new PVC to choose one.';

export function armingCheck(pinned: PinnedSnapshot, read: EvidenceRead): ArmingCheck {
  if (read.state === 'failed') {
    return {
      action: 'hold',
      message: `cannot confirm that snapshot ${pinned.snapshotId} still exists (${read.message}); the restore point waits`,
    };
  }
  if (read.snapshotIds.includes(pinned.snapshotId)) return { action: 'arm' };
  return {
    action: 'refuse',
    message:
      `snapshot ${pinned.snapshotId} (${pinned.snapshotTime}), which admission pinned, is no longer in the repository ` +
      '(retention, maintenance or a manual forget removed it); restoring it now would restore an older snapshot or ' +
      'nothing, so the restore point was not created',
    remedy: RECREATE_REMEDY,
  };
}

/** The fields of the restore point's status the verdict reads. */
export interface RestorePointStatus {
  /** `status.latestMoverStatus.result`: `Successful` or `Failed`. */
  result?: string;
  /** `status.latestMoverStatus.logs`: the mover's log after VolSync's filter. */
  logs?: string;
  /** `status.kopia.requestedIdentity`: set by the kopia fork when a restore found no snapshots for its identity. */
  requestedIdentity?: string;
}

export interface RestoreEvidenceInput {
  pinned: PinnedSnapshot;
  mover: MoverKind;
  status: RestorePointStatus;
  /** The kopia identity (`user@host`) the restore point asks for, to name a mismatch with `requestedIdentity`. */
  expectedIdentity?: string;
  /** When the mover was known to have finished (ms): `lastSyncTime`, or when its result was first seen. */
  moverDoneByMs?: number;
  /** A read of the PVC's source; used only when it started after `moverDoneByMs`. */
  readAfter?: EvidenceRead;
}

export type RestoreOutcome = 'verified' | 'mismatch' | 'empty' | 'unverified' | 'failed' | 'pending';

export interface RestoreVerdict {
  outcome: RestoreOutcome;
  /** What was restored, as far as it is known (mismatch: the mover's choice; verified: the pinned snapshot). */
  restored?: { id: string; time?: string };
  /** How it is known: the mover named it, or the repository still held the pinned snapshot after the mover ran. */
  evidence?: 'mover-report' | 'repository';
  message: string;
  remedy?: string;
}

/** Outcomes that must stop a restore that has not been handed over yet, and alert when it has. */
export function isBadRestore(outcome: RestoreOutcome | string): boolean {
  return outcome === 'mismatch' || outcome === 'empty' || outcome === 'unverified' || outcome === 'refused';
}

/** A recorded `lifeboat.dev/restore-verdict` value, `<outcome>: <why>`, split; undefined when absent. */
export function parseRecordedVerdict(value: string | undefined): { outcome: string; message: string } | undefined {
  if (!value) return undefined;
  const colon = value.indexOf(':');
  return colon < 0
    ? { outcome: value.trim(), message: '' }
    : { outcome: value.slice(0, colon).trim(), message: value.slice(colon + 1).trim() };
}

export function restoreVerdict(input: RestoreEvidenceInput): RestoreVerdict {
  const { pinned, status } = input;
  const expected = `snapshot ${pinned.snapshotId} (${pinned.snapshotTime})`;
  if (status.result === undefined || status.result === '') {
    return { outcome: 'pending', message: `the mover has not reported on restoring ${expected} yet` };
  }
  const report = parseMoverReport(input.mover, status.logs ?? '');
  if (status.result !== 'Successful') {
    const identity =
      status.requestedIdentity && input.expectedIdentity && status.requestedIdentity !== input.expectedIdentity
        ? `; the mover looked for identity ${status.requestedIdentity}, the restore point asks for ${input.expectedIdentity}`
        : '';
    return {
      outcome: 'failed',
      message: `the mover failed restoring ${expected} (result ${status.result})${identity}: ${lastLines(status.logs)}`,
      remedy:
        'VolSync retries the mover and the PVC stays Pending meanwhile; see kubectl describe replicationdestination ' +
        'and the mover Job in the PVC namespace.',
    };
  }
  if (report.empty) {
    return {
      outcome: 'empty',
      message:
        `the mover found no snapshot at or before ${expected} and restored nothing: the volume is empty although ` +
        'admission found a backup (the pinned snapshot was removed before the mover ran)',
      remedy: RECREATE_REMEDY,
    };
  }
  if (report.selected) {
    if (sameSnapshot(report.selected.id, pinned.snapshotId)) {
      return {
        outcome: 'verified',
        restored: { id: pinned.snapshotId, time: pinned.snapshotTime },
        evidence: 'mover-report',
        message: `restored ${expected}, as the mover reports`,
      };
    }
    const at = report.selected.time ? ` from ${report.selected.time}` : '';
    return {
      outcome: 'mismatch',
      restored: report.selected,
      evidence: 'mover-report',
      message:
        `the mover restored snapshot ${report.selected.id}${at} instead of ${expected}: the pinned snapshot was ` +
        'removed before the mover ran, and restoreAsOf fell back to an older one',
      remedy: RECREATE_REMEDY,
    };
  }
  const read = input.readAfter;
  const fresh =
    read?.state === 'read' && input.moverDoneByMs !== undefined && read.startedAtMs >= input.moverDoneByMs
      ? read
      : undefined;
  if (read?.state === 'failed') {
    return {
      outcome: 'unverified',
      message:
        `the mover's report does not name the snapshot it restored and the repository could not be read to confirm ` +
        `${expected} (${read.message})`,
      remedy: RECREATE_REMEDY,
    };
  }
  if (!fresh) {
    return {
      outcome: 'pending',
      message: `the mover's report does not name the snapshot it restored; waiting for a repository read to confirm ${expected}`,
    };
  }
  if (fresh.snapshotIds.includes(pinned.snapshotId)) {
    return {
      outcome: 'verified',
      restored: { id: pinned.snapshotId, time: pinned.snapshotTime },
      evidence: 'repository',
      message:
        `restored ${expected}: the repository still held it after the mover finished, so it was the newest ` +
        'snapshot at or before restoreAsOf when the mover chose',
    };
  }
  return {
    outcome: 'unverified',
    message:
      `${expected} is gone from the repository and the mover's report does not name the snapshot it restored: it ` +
      'may have restored an older snapshot (VolSync keeps the kopia selection in the status only with MOVER_LOG_DEBUG)',
    remedy: RECREATE_REMEDY,
  };
}

/** The end of the mover's log, for a message (VolSync already cut it to its last kilobyte). */
function lastLines(logs: string | undefined): string {
  const lines = (logs ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length === 0 ? 'no log' : lines.slice(-3).join(' | ');
}
