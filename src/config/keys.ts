/**
 * Fixed keys lifeboat writes on the objects it generates. Unlike the user-facing keys in `KeysConfig` these are not
 * configurable: changing them would make lifeboat lose track of the objects it already owns.
 */

/** lifeboat's own label and annotation prefix; every key lifeboat invents lives under it. */
export const LIFEBOAT_PREFIX = 'lifeboat.dev/';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'lifeboat';

/** Label on generated objects naming their PVC; long names are hashed (label values stop at 63 characters). */
export const PVC_LABEL = `${LIFEBOAT_PREFIX}pvc`;
/** Annotation on generated objects with the PVC's full name, whatever its length. */
export const PVC_NAME_ANNOTATION = `${LIFEBOAT_PREFIX}pvc-name`;
/** Label on generated ReplicationSources naming the tier, for `kubectl get -l`. */
export const TIER_LABEL = `${LIFEBOAT_PREFIX}tier`;
/** Annotation on kopia sources and destinations with the full snapshot source, `user@host:/data` (the mover's own). */
export { KOPIA_IDENTITY_ANNOTATION } from '../mover/index.ts';
/** Annotation on copy-mode Secrets naming the source Secret (`namespace/name`) their credentials come from. */
export const CREDENTIALS_FROM_ANNOTATION = `${LIFEBOAT_PREFIX}credentials-from`;

/** The namespace annotation VolSync reads to run movers privileged (as root with a few capabilities). */
export const VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION = 'volsync.backube/privileged-movers';

/** The exempt-reason key of the seed design's cluster; recognised only to tell users to rename it (docs/design.md#near-miss-keys). */
export const LEGACY_EXEMPT_REASON_ANNOTATION = 'storage.vanillax.dev/backup-exempt-reason';

/**
 * Restore points (admission → controller contract). The mutating webhook points a restored PVC's `dataSourceRef` at
 * a ReplicationDestination made for exactly one snapshot, and records that snapshot on the PVC; the controller
 * creates that destination pinned with `restoreAsOf`, and deletes it once the PVC is populated. So a restore always
 * uses the snapshot chosen at admission, never whatever image an older destination still holds
 * (docs/design.md#stale-restore).
 */
export const RESTORE_SNAPSHOT_ANNOTATION = `${LIFEBOAT_PREFIX}restore-snapshot`;
export const RESTORE_SNAPSHOT_TIME_ANNOTATION = `${LIFEBOAT_PREFIX}restore-snapshot-time`;
/** Set by a user (or `lifeboat restore`) on a PVC to restore the newest snapshot at or before this RFC 3339 time. */
export const RESTORE_AS_OF_ANNOTATION = `${LIFEBOAT_PREFIX}restore-as-of`;
/**
 * Restore evidence, written by the controller on a restored PVC once it knows what the restore used:
 * `restored-from` is `<snapshot id> <RFC 3339 time>` of the snapshot the volume holds (the mover's short id when the
 * mover restored another snapshot than the pinned one); `restore-verdict` is `<outcome>: <why>` with outcome
 * `verified`, `mismatch`, `empty`, `unverified` or `refused`. A PVC still Pending with a bad verdict is never
 * populated: its restore point is withheld (see decision/restore-verdict.ts).
 */
export const RESTORED_FROM_ANNOTATION = `${LIFEBOAT_PREFIX}restored-from`;
export const RESTORE_VERDICT_ANNOTATION = `${LIFEBOAT_PREFIX}restore-verdict`;
/** Label on restore-point destinations (temporary, one per restored PVC), to tell them from the persistent one. */
export const RESTORE_POINT_LABEL = `${LIFEBOAT_PREFIX}restore-point`;
/**
 * The expected-history ledger (docs/design.md#authoritative-no-over-existing-data), kept on the persistent
 * ReplicationDestination: once lifeboat has seen
 * snapshots of a PVC, "no snapshot" for it is no longer a believable answer.
 */
export const BACKUP_HISTORY_ANNOTATION = `${LIFEBOAT_PREFIX}backup-history`;
/**
 * A point-in-time restore in progress (`lifeboat restore`), on the persistent ReplicationDestination, as JSON
 * `{"snapshotId","snapshotTime","requestedAt","step", ...}`. It lives outside the PVC because the PVC is deleted and
 * recreated during the restore (often by GitOps, from a manifest that knows nothing of it): when a PVC is created while
 * a request is pending, admission restores the requested snapshot instead of the newest one.
 */
export const RESTORE_REQUEST_ANNOTATION = `${LIFEBOAT_PREFIX}restore-request`;

/**
 * Restore drills (controller/drill-controller.ts). Every object a drill creates (restore point, scratch PVC,
 * verification Job and its Pod) carries `lifeboat.dev/drill: <drill id>` and `app.kubernetes.io/managed-by:
 * lifeboat`, and no PVC label: the PVC controller never adopts it, and a restarted lifeboat finds it by the label to
 * resume or delete it. `drill-of` names the drilled PVC (`namespace/pvc`).
 */
export const DRILL_LABEL = `${LIFEBOAT_PREFIX}drill`;
export const DRILL_OF_ANNOTATION = `${LIFEBOAT_PREFIX}drill-of`;
/** The drill's facts on its objects, as JSON: snapshot, expected counts, sentinel, start (plan/drill.ts). */
export const DRILL_SPEC_ANNOTATION = `${LIFEBOAT_PREFIX}drill-spec`;
/**
 * On the persistent ReplicationDestination: `restore-proven` is `<RFC 3339 time> <snapshot id>` of the last drill
 * that passed; `restore-drill` is the last drill's result as JSON (`{"outcome","at","snapshotId","message"}`);
 * `verify-requested` is an RFC 3339 time written by `lifeboat verify`: a drill is due when it is newer than the last.
 */
export const RESTORE_PROVEN_ANNOTATION = `${LIFEBOAT_PREFIX}restore-proven`;
export const RESTORE_DRILL_ANNOTATION = `${LIFEBOAT_PREFIX}restore-drill`;
export const VERIFY_REQUESTED_ANNOTATION = `${LIFEBOAT_PREFIX}verify-requested`;
/** On a PVC: the sentinel file its drill checks (overrides `verify.sentinel`), relative to the volume root. */
export const VERIFY_SENTINEL_ANNOTATION = `${LIFEBOAT_PREFIX}verify-sentinel`;
