/**
 * The write half every controller of lifeboat shares: server-side apply of what drifted, never taking over an object
 * of the same name that lifeboat does not own (docs/design.md#api-server-overload: write only when desired and actual differ).
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { firstDifference, isSubset } from './drift.ts';

export interface DesiredObject {
  obj: { apiVersion: string; kind: string; metadata: { name: string } };
  namespace: string;
  /** The live object from lifeboat's cache, undefined when the cache has none. */
  live: KubeObject | undefined;
  /** The caller knows that no object holds the name (foreign-names.ts): it is created without being read first. */
  free?: boolean;
}

/** One write: a new object, or a repaired one with the first path that had drifted. */
export interface Written {
  obj: DesiredObject['obj'];
  namespace: string;
  reason: 'Created' | 'Repaired';
  diff?: string;
}

/**
 * Applies, in order, the desired objects missing from or different in the cache. Returns a conflict message when an
 * object's name is taken by something not lifeboat's (and stops there: later objects reference earlier ones).
 */
export async function applyDrifted(
  kube: KubeClient,
  desired: readonly DesiredObject[],
  written: (w: Written) => void,
): Promise<string | undefined> {
  const work = desired.filter(({ obj, live }) => !(live && isSubset(obj, live)));
  // Not in lifeboat's cache and not known to be free: either absent, or someone else's object with the same name
  // (never touched). The reads go out together: a PVC's three objects cost one round trip of reads, not three.
  const existing = await Promise.all(
    work.map(({ obj, namespace, live, free }) =>
      live || free
        ? undefined
        : kube.get({ apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace }),
    ),
  );
  for (const [i, { obj, namespace, live }] of work.entries()) {
    const found = existing[i];
    if (found && found.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
      return (
        `${obj.kind} ${namespace}/${obj.metadata.name} already exists and is not managed by lifeboat; ` +
        'it is left untouched. Rename or delete it (or label it app.kubernetes.io/managed-by=lifeboat to hand it over).'
      );
    }
    // Ours, and the cache has not caught up with our own earlier write yet: nothing to do if it already says it all.
    const current = live ?? found;
    if (!live && found && isSubset(obj, found)) continue;
    await kube.apply(obj as unknown as KubeObject, { force: true });
    written(
      current
        ? { obj, namespace, reason: 'Repaired', diff: firstDifference(obj, current) ?? '' }
        : { obj, namespace, reason: 'Created' },
    );
  }
  return undefined;
}
