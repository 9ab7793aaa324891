/**
 * The objects lifeboat generates (ReplicationSource, ReplicationDestination, Secret, ExternalSecret) indexed by the
 * PVC they belong to, so a reconcile finds its children in O(1) instead of scanning every child in the cluster.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PVC_LABEL, PVC_NAME_ANNOTATION } from '../config/keys.ts';
import type { KubeObject } from '../kube/client.ts';
import type { ObservedObject } from '../plan/observed.ts';

/** Label selector for every object lifeboat generated. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${PVC_LABEL}`;

/** The `namespace/pvc` key of the PVC a generated object belongs to (full name from the annotation when present). */
export function parentKey(obj: KubeObject): string | undefined {
  const namespace = obj.metadata.namespace;
  const name = obj.metadata.annotations?.[PVC_NAME_ANNOTATION] ?? obj.metadata.labels?.[PVC_LABEL];
  return namespace && name ? `${namespace}/${name}` : undefined;
}

/**
 * A PVC has a handful of children (source, restore point, credentials, a few per-snapshot restore points), so each
 * PVC's are a small array searched by kind and name rather than a Map of their own: with thousands of PVCs a Map per
 * PVC and its keys cost about 4 MiB of heap more (bench/memory.ts).
 */
export class ChildIndex {
  readonly #byParent = new Map<string, KubeObject[]>();

  upsert(obj: KubeObject): void {
    const parent = parentKey(obj);
    if (!parent) return;
    const children = this.#byParent.get(parent);
    if (!children) {
      this.#byParent.set(parent, [obj]);
      return;
    }
    const at = position(children, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
    if (at === -1) children.push(obj);
    else children[at] = obj;
  }

  remove(obj: KubeObject): void {
    const parent = parentKey(obj);
    const children = parent ? this.#byParent.get(parent) : undefined;
    if (!children || !parent) return;
    const at = position(children, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
    if (at !== -1) children.splice(at, 1);
    if (children.length === 0) this.#byParent.delete(parent);
  }

  of(parent: string): ObservedObject[] {
    return [...(this.#byParent.get(parent) ?? [])] as unknown as ObservedObject[];
  }

  /** A child of `parent` by kind and name. */
  get(parent: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    const children = this.#byParent.get(parent);
    if (!children) return undefined;
    const at = position(children, kind, namespace, name);
    return at === -1 ? undefined : children[at];
  }

  parents(): string[] {
    return [...this.#byParent.keys()];
  }
}

function position(children: KubeObject[], kind: string, namespace: string, name: string): number {
  return children.findIndex(
    (c) => c.kind === kind && c.metadata.name === name && (c.metadata.namespace ?? '') === namespace,
  );
}
