/**
 * Restore points: a ReplicationDestination made for exactly one snapshot of one PVC, pinned with `restoreAsOf`.
 *
 * Why not let a recreated PVC restore from the persistent `{pvc}-restore` destination? VolSync's populator copies
 * whatever `status.latestImage` that destination holds at that moment, and a destination that restored once keeps its
 * image forever (docs/design.md#stale-restore: 13-day-old data). A destination named after the snapshot admission
 * chose cannot hold
 * anything else: it either has not restored yet (the PVC waits, Pending) or holds exactly that snapshot.
 *
 * Admission picks the snapshot and names the destination; the controller creates it and deletes it once the PVC is
 * populated (Bound); a PVC still Pending keeps it (docs/design.md#dangling-data-source).
 */
import { RESTORE_POINT_LABEL, RESTORE_SNAPSHOT_ANNOTATION, RESTORE_SNAPSHOT_TIME_ANNOTATION } from '../config/keys.ts';
import type { NamingConfig } from '../config/types.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { Snapshot } from '../repository/types.ts';
import { fitName, generatedNames, MAX_VOLSYNC_NAME, sha256Hex } from './names.ts';
import type { ReplicationDestinationObject } from './objects.ts';
import { buildDestination, type ReplicationInput } from './replication.ts';

/** The destination for `snapshotId` of this PVC: the persistent destination's name plus a hash of the snapshot. */
export function restorePointName(pvcName: string, snapshotId: string, naming: NamingConfig): string {
  const base = generatedNames(pvcName, naming).replicationDestination;
  return fitName(`${base}-${sha256Hex(snapshotId).slice(0, 10)}`, MAX_VOLSYNC_NAME);
}

/**
 * The snapshot to restore: the newest complete one, or the newest at or before `asOfMs` when a point in time was
 * asked for, or exactly `snapshotId`. `undefined` when no snapshot fits (the caller says why).
 */
export function chooseSnapshot(
  snapshots: readonly Snapshot[],
  want: { asOfMs?: number; snapshotId?: string } = {},
): Snapshot | undefined {
  const complete = snapshots.filter((s) => !s.incomplete).sort((a, b) => b.timeMs - a.timeMs);
  if (want.snapshotId !== undefined) return complete.find((s) => s.id === want.snapshotId);
  if (want.asOfMs !== undefined) return complete.find((s) => s.timeMs <= (want.asOfMs as number));
  return complete[0];
}

/**
 * `restoreAsOf` that selects a snapshot started at `timeMs`: the movers pick the newest snapshot at or before it,
 * and repositories keep nanoseconds while the field is read with whole seconds, so the end of the snapshot's second
 * is used (a snapshot's own millisecond-rounded time could fall just before its real start and select the previous
 * one). Two snapshots of one PVC started within the same second are not told apart; backups are minutes apart.
 */
export function restoreAsOfFor(timeMs: number): string {
  const end = Math.floor(timeMs / 1000) * 1000 + 1000;
  return new Date(end).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The snapshot a PVC's admission recorded on it, when its dataSourceRef names that snapshot's restore point. */
export function requestedRestorePoint(
  pvc: PersistentVolumeClaim,
  naming: NamingConfig,
): { name: string; snapshotId: string; snapshotTime: string } | undefined {
  const annotations = pvc.metadata.annotations ?? {};
  const snapshotId = annotations[RESTORE_SNAPSHOT_ANNOTATION];
  const snapshotTime = annotations[RESTORE_SNAPSHOT_TIME_ANNOTATION];
  const ref = pvc.spec?.dataSourceRef;
  if (!snapshotId || !snapshotTime || Number.isNaN(Date.parse(snapshotTime))) return undefined;
  if (ref?.kind !== 'ReplicationDestination' || ref.apiGroup !== 'volsync.backube') return undefined;
  const name = restorePointName(pvc.metadata.name, snapshotId, naming);
  return ref.name === name ? { name, snapshotId, snapshotTime } : undefined;
}

/**
 * The restore-point destination: the persistent destination's spec (same mover, identity, classes, security
 * context, capacity), named after the snapshot, pinned to its time and triggered once.
 */
export function buildRestorePoint(
  input: ReplicationInput,
  point: { name: string; snapshotId: string; snapshotTime: string },
  volume: { capacity: string; accessModes: string[] },
): ReplicationDestinationObject {
  const rd = buildDestination(
    { ...input, names: { ...input.names, replicationDestination: point.name } },
    `restore-${sha256Hex(point.snapshotId).slice(0, 10)}`,
    volume,
  );
  rd.metadata.labels = { ...rd.metadata.labels, [RESTORE_POINT_LABEL]: 'true' };
  rd.metadata.annotations = {
    ...rd.metadata.annotations,
    [RESTORE_SNAPSHOT_ANNOTATION]: point.snapshotId,
    [RESTORE_SNAPSHOT_TIME_ANNOTATION]: point.snapshotTime,
  };
  const asOf = restoreAsOfFor(Date.parse(point.snapshotTime));
  if (rd.spec.kopia) rd.spec.kopia = { ...rd.spec.kopia, restoreAsOf: asOf };
  else rd.spec.restic = { ...rd.spec.restic, restoreAsOf: asOf };
  return rd;
}
