/**
 * Event filters for reconcilers (docs/design.md#api-server-overload: status updates of generated objects must not
 * trigger work). VolSync
 * rewrites a ReplicationSource's status on every sync; none of that is lifeboat's desired state, so such updates are
 * dropped before they reach the work queue. Resync events still reach it and repair real drift.
 */
import type { KubeObject } from './client.ts';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * True when an update changed something a reconciler of this object may care about: the spec (seen through
 * `metadata.generation`, which the API server bumps on spec changes of kinds with a status subresource, or compared
 * directly when there is no generation), labels, annotations, owners, finalizers, or deletion.
 */
export function changedBeyondStatus(old: KubeObject, current: KubeObject): boolean {
  const a = old.metadata;
  const b = current.metadata;
  if (a.generation !== undefined && b.generation !== undefined) {
    if (a.generation !== b.generation) return true;
  } else if (!same(old.spec, current.spec) || !same(old.data, current.data)) {
    return true;
  }
  return (
    !same(a.labels, b.labels) ||
    !same(a.annotations, b.annotations) ||
    !same(a.ownerReferences, b.ownerReferences) ||
    !same(a.finalizers, b.finalizers) ||
    a.deletionTimestamp !== b.deletionTimestamp
  );
}
