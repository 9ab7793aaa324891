import { RESTORE_POINT_LABEL } from '../config/keys.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { belongsTo } from './metadata.ts';
import { type ObjectRef, refOf } from './objects.ts';
import { byCodeUnit } from './order.ts';

/**
 * An object as the controller saw it in the cluster (any of the generated kinds). Only what planning needs: identity,
 * ownership metadata, and the manual trigger token, which lifeboat must carry over rather than reset.
 */
export interface ObservedObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec?: { trigger?: { manual?: string; schedule?: string } };
}

/**
 * Deletion order: stop what reads the repository first (maintenance, backups), then the restore point, then the
 * credentials they used.
 */
const DELETE_ORDER = ['KopiaMaintenance', 'ReplicationSource', 'ReplicationDestination', 'ExternalSecret', 'Secret'];

/**
 * A Secret the External Secrets Operator wrote for one of lifeboat's ExternalSecrets. The operator copies the
 * ExternalSecret's labels onto it, so it looks like lifeboat's; it is the operator's, and goes with its ExternalSecret.
 */
export function writtenForExternalSecret(o: ObservedObject): boolean {
  return o.kind === 'Secret' && (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'ExternalSecret');
}

/** The observed objects lifeboat generated for this PVC; anything else is never planned for deletion. */
export function ownedObjects(
  observed: readonly ObservedObject[],
  namespace: string,
  pvcName: string,
): ObservedObject[] {
  return observed.filter(
    (o) =>
      (o.metadata.namespace ?? namespace) === namespace &&
      belongsTo(o.metadata, pvcName) &&
      DELETE_ORDER.includes(o.kind) &&
      !writtenForExternalSecret(o),
  );
}

export function sortForDeletion(refs: ObjectRef[]): ObjectRef[] {
  return refs.sort((a, b) => DELETE_ORDER.indexOf(a.kind) - DELETE_ORDER.indexOf(b.kind) || byCodeUnit(a.name, b.name));
}

/** The live `trigger.manual` token of an observed object, which a restore-point refresh or "back up now" wrote. */
export function liveManualToken(object: ObservedObject | undefined): string | undefined {
  const token = object?.spec?.trigger?.manual;
  return token === '' ? undefined : token;
}

/**
 * Whether an observed ReplicationSource was made for an earlier PVC of the same name (its owner reference names
 * another uid): it must go before a source for the new PVC is created, or it would back up the new volume under
 * the old schedule before the minimum age.
 */
export function isStaleSource(source: ObservedObject, pvc: PersistentVolumeClaim): boolean {
  const uid = pvc.metadata.uid;
  const owner = source.metadata.ownerReferences?.find((r) => r.kind === 'PersistentVolumeClaim');
  return uid !== undefined && owner !== undefined && owner.uid !== uid;
}

/**
 * Whether a destination must be kept because the PVC is waiting to be populated from it
 * (docs/design.md#dangling-data-source: a PVC whose
 * `dataSourceRef` names a missing destination stays Pending forever).
 */
export function isPendingRestoreSource(destination: ObservedObject, pvc: PersistentVolumeClaim | undefined): boolean {
  const ref = pvc?.spec?.dataSourceRef;
  return (
    destination.kind === 'ReplicationDestination' &&
    pvc?.status?.phase !== 'Bound' &&
    ref?.kind === 'ReplicationDestination' &&
    ref.apiGroup === 'volsync.backube' &&
    ref.name === destination.metadata.name
  );
}

/**
 * Cleanup when a protected PVC is deleted: its ReplicationSource goes, and so does any restore point made for it (no
 * PVC references it any more). The persistent destination and the Secret stay, so that a PVC recreated under the
 * same name can be restored from them (the persistent destination outlives its PVC by design:
 * docs/design.md#stale-restore).
 */
export function planPvcDeleted(namespace: string, pvcName: string, observed: readonly ObservedObject[]): ObjectRef[] {
  return sortForDeletion(
    ownedObjects(observed, namespace, pvcName)
      .filter((o) => o.kind === 'ReplicationSource' || isRestorePoint(o))
      .map((o) => refOf(o, namespace)),
  );
}

/** A destination made for one restore (see restore-point.ts), as opposed to the persistent one. */
export function isRestorePoint(o: ObservedObject): boolean {
  return o.kind === 'ReplicationDestination' && o.metadata.labels?.[RESTORE_POINT_LABEL] === 'true';
}
