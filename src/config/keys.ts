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
/** Annotation on kopia sources and destinations with the full snapshot source, `user@host:/data`. */
export const KOPIA_IDENTITY_ANNOTATION = `${LIFEBOAT_PREFIX}kopia-identity`;
/** Annotation on copy-mode Secrets naming the source Secret (`namespace/name`) their credentials come from. */
export const CREDENTIALS_FROM_ANNOTATION = `${LIFEBOAT_PREFIX}credentials-from`;

/** The namespace annotation VolSync reads to run movers privileged (as root with a few capabilities). */
export const VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION = 'volsync.backube/privileged-movers';

/** The exempt-reason key of the seed design's cluster; recognised only to tell users to rename it (lessons F23). */
export const LEGACY_EXEMPT_REASON_ANNOTATION = 'storage.vanillax.dev/backup-exempt-reason';
