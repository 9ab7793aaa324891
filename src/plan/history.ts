/**
 * The expected-history ledger of one PVC (docs/design.md#authoritative-no-over-existing-data): what lifeboat has seen
 * of its backups, kept durably in the
 * cluster on the persistent ReplicationDestination. It only ever grows: a repository that suddenly shows nothing for
 * a PVC does not erase it, which is exactly what lets admission answer "unknown" instead of "fresh" then.
 */
import type { Snapshot } from '../repository/types.ts';

export interface BackupHistory {
  /** When lifeboat first saw a snapshot of this PVC (RFC 3339). */
  firstSeen: string;
  /** The newest snapshot seen so far. */
  lastSnapshotId: string;
  lastSnapshotTime: string;
  /** The most snapshots seen at once. */
  maxCount: number;
}

/**
 * Parses the annotation. Anything unreadable still counts as "history expected" (someone or something wrote it; a
 * corrupt ledger must fail closed, not open), with the details unknown.
 */
export function parseHistory(value: string | undefined): BackupHistory | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const h = JSON.parse(value) as Partial<BackupHistory>;
    if (typeof h.lastSnapshotId === 'string' && typeof h.lastSnapshotTime === 'string') {
      return {
        firstSeen: typeof h.firstSeen === 'string' ? h.firstSeen : h.lastSnapshotTime,
        lastSnapshotId: h.lastSnapshotId,
        lastSnapshotTime: h.lastSnapshotTime,
        maxCount: typeof h.maxCount === 'number' && h.maxCount > 0 ? h.maxCount : 1,
      };
    }
  } catch {
    // fall through
  }
  return { firstSeen: '', lastSnapshotId: '', lastSnapshotTime: '', maxCount: 1 };
}

export function formatHistory(history: BackupHistory): string {
  return JSON.stringify(history);
}

/** The ledger after an authoritative read that found `snapshots` (newest first, complete ones only). */
export function mergeHistory(
  old: BackupHistory | undefined,
  snapshots: readonly Snapshot[],
  now: number,
): BackupHistory | undefined {
  const newest = snapshots[0];
  if (!newest) return old;
  if (!old) {
    return {
      firstSeen: new Date(now).toISOString(),
      lastSnapshotId: newest.id,
      lastSnapshotTime: newest.time,
      maxCount: snapshots.length,
    };
  }
  const newer = old.lastSnapshotTime === '' || Date.parse(newest.time) >= Date.parse(old.lastSnapshotTime);
  return {
    firstSeen: old.firstSeen || new Date(now).toISOString(),
    lastSnapshotId: newer ? newest.id : old.lastSnapshotId,
    lastSnapshotTime: newer ? newest.time : old.lastSnapshotTime,
    maxCount: Math.max(old.maxCount, snapshots.length),
  };
}
