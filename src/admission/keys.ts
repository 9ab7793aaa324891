/**
 * The keys and fixed values the admission webhook reads and writes. Kept apart from config/keys.ts because they are
 * admission's contract with users (annotations they write on PVCs, a label they write on Namespaces) and with VolSync's
 * volume populator (the reference it follows).
 */
import { LIFEBOAT_PREFIX } from '../config/keys.ts';

/**
 * "Start this PVC empty even if backups exist", value `"true"`. Both spellings are read: the seed design's key
 * (docs/design.md#compatibility-kept-on-purpose), so existing manifests keep working, and lifeboat's own. Either one
 * needs a reason (below).
 */
export const SKIP_RESTORE_ANNOTATIONS = [`${LIFEBOAT_PREFIX}skip-restore`, 'volsync.backup/skip-restore'] as const;

/** The mandatory, non-empty reason of a skip-restore; either key counts, whichever skip key was used. */
export const SKIP_RESTORE_REASON_ANNOTATIONS = [
  `${LIFEBOAT_PREFIX}skip-restore-reason`,
  'volsync.backup/skip-restore-reason',
] as const;

/**
 * Namespace label that takes a namespace out of lifeboat's admission entirely, value `"true"`. The generated webhook
 * configurations exclude such namespaces in their namespaceSelector, so the API server stops calling lifeboat for
 * them: it works while lifeboat is down, which is when it is needed (docs/design.md#webhook-outage,
 * #credentials-that-crash-the-process).
 */
export const BREAK_GLASS_LABEL = `${LIFEBOAT_PREFIX}break-glass`;

/** The label every Namespace carries with its own name (set by the API server), used to exclude namespaces. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** What `spec.dataSourceRef` must name for VolSync's volume populator (docs/design.md#the-volume-populator). */
export const RESTORE_API_GROUP = 'volsync.backube';
export const RESTORE_KIND = 'ReplicationDestination';

/** The HTTP paths the webhook configurations point at. */
export const MUTATE_PATH = '/mutate-pvc';
export const VALIDATE_PATH = '/validate-pvc';
