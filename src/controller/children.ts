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

export function childRef(obj: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

export class ChildIndex {
  readonly #byParent = new Map<string, Map<string, KubeObject>>();

  upsert(obj: KubeObject): void {
    const parent = parentKey(obj);
    if (!parent) return;
    let children = this.#byParent.get(parent);
    if (!children) {
      children = new Map();
      this.#byParent.set(parent, children);
    }
    children.set(childRef(obj), obj);
  }

  remove(obj: KubeObject): void {
    const parent = parentKey(obj);
    const children = parent ? this.#byParent.get(parent) : undefined;
    if (!children || !parent) return;
    children.delete(childRef(obj));
    if (children.size === 0) this.#byParent.delete(parent);
  }

  of(parent: string): ObservedObject[] {
    return [...(this.#byParent.get(parent)?.values() ?? [])] as unknown as ObservedObject[];
  }

  /** A child of `parent` by kind and name. */
  get(parent: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.#byParent.get(parent)?.get(`${kind}/${namespace}/${name}`);
  }

  parents(): string[] {
    return [...this.#byParent.keys()];
  }
}
