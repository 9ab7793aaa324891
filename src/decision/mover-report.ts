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

export type MoverKind = 'kopia' | 'restic';

export interface MoverSelection {
  /** As the mover printed it: restic's 8-hex short id (or a full id), kopia's manifest id. */
  id: string;
  /** RFC 3339 (UTC), when the mover printed the snapshot's time (restic does). */
  time?: string;
}

export interface MoverReport {
  /** The snapshot the mover says it restored; undefined when its report does not name one. */
  selected?: MoverSelection;
  /** The mover found no snapshot to restore and left the volume as it was (empty, for a new volume). */
  empty: boolean;
}

// restic ≥ 0.17 prints `restoring snapshot 1a2b3c4d of [/data] at 2026-01-02 03:04:05.123456789 +0000 UTC by
// root@host to .`; older versions wrapped the same text in `<Snapshot … >`.
const RESTIC_RESTORING =
  /^\s*restoring <?[Ss]napshot ([0-9a-f]{8,64}) of \[[^\]]*\] at (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})/m;
// The scripts' own lines (mover-restic/entry.sh, mover-kopia/entry.sh do_restore).
const RESTIC_SELECTED = /^\s*Selected restic snapshot with id: ([0-9a-f]{8,64})\s*$/m;
const KOPIA_SELECTED = /^\s*Selected snapshot with id: (\S+)\s*$/m;
const NOTHING_RESTORED = /^\s*(No eligible snapshots found|=== No data will be restored ===)/m;

export function parseMoverReport(mover: MoverKind, logs: string): MoverReport {
  const empty = NOTHING_RESTORED.test(logs);
  if (mover === 'restic') {
    const restoring = RESTIC_RESTORING.exec(logs);
    if (restoring) {
      const [, id = '', date, clock, fraction = '', offsetHours, offsetMinutes] = restoring;
      const ms = Date.parse(`${date}T${clock}${fraction.slice(0, 4)}${offsetHours}:${offsetMinutes}`);
      const time = Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
      return { selected: { id, ...(time ? { time } : {}) }, empty };
    }
    const selected = RESTIC_SELECTED.exec(logs)?.[1];
    return selected ? { selected: { id: selected }, empty } : { empty };
  }
  const selected = KOPIA_SELECTED.exec(logs)?.[1];
  return selected ? { selected: { id: selected }, empty } : { empty };
}

/**
 * Whether a mover's id names `snapshotId`: equal, or its prefix of at least 8 characters (restic prints short ids;
 * a short id is ambiguous only between snapshots of one repository whose ids share 32 bits).
 */
export function sameSnapshot(printed: string, snapshotId: string): boolean {
  return printed === snapshotId || (printed.length >= 8 && snapshotId.startsWith(printed));
}
