/**
 * What a VolSync mover says it restored, read from a ReplicationDestination's `status.latestMoverStatus.logs`: pure.
 *
 * VolSync does not record the snapshot a restore used anywhere but in the mover's log, and it keeps only the lines
 * its per-mover filter lets through (and only the last `MOVER_LOG_MAX_BYTES`, default 1024 bytes):
 * - restic: restic's own `restoring snapshot <short id> of [/data] at <time> by <user>@<host> to .` passes the
 *   filter (it starts with "restoring"), so the selection is in the status after every restore;
 * - kopia: the fork's destination filter keeps errors, discovery output and "No eligible snapshots", but not the
 *   script's `Selected snapshot with id: <id>`; that line reaches the status only with `MOVER_LOG_DEBUG=true` on the
 *   VolSync controller. Without it a kopia report says *that* it restored, not *what*.
 * Both scripts print "No eligible snapshots found" / "=== No data will be restored ===" and exit 0 when no snapshot is
 * at or before `restoreAsOf`: an empty volume reported as a successful sync.
 */
import type { Backend } from '../config/types.ts';
import { MOVERS } from '../mover/index.ts';
import type { MoverSelection } from '../mover/mover.ts';

export type MoverKind = Backend;

export type { MoverSelection } from '../mover/mover.ts';

export interface MoverReport {
  /** The snapshot the mover says it restored; undefined when its report does not name one. */
  selected?: MoverSelection;
  /** The mover found no snapshot to restore and left the volume as it was (empty, for a new volume). */
  empty: boolean;
}

// Both scripts' own lines (mover-restic/entry.sh, mover-kopia/entry.sh do_restore).
const NOTHING_RESTORED = /^\s*(No eligible snapshots found|=== No data will be restored ===)/m;

/** What the mover's log says: the selection in its own words (src/mover/<name>/), and whether it restored nothing. */
export function parseMoverReport(mover: MoverKind, logs: string): MoverReport {
  const empty = NOTHING_RESTORED.test(logs);
  const selected = MOVERS[mover].reportedSelection(logs);
  return selected ? { selected, empty } : { empty };
}

/**
 * Whether a mover's id names `snapshotId`: equal, or its prefix of at least 8 characters (restic prints short ids;
 * a short id is ambiguous only between snapshots of one repository whose ids share 32 bits).
 */
export function sameSnapshot(printed: string, snapshotId: string): boolean {
  return printed === snapshotId || (printed.length >= 8 && snapshotId.startsWith(printed));
}
