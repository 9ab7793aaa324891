/**
 * Which names of the kinds lifeboat generates are held by objects lifeboat does not manage, so that creating a PVC's
 * objects needs no read before the write.
 *
 * lifeboat never takes over an object of the same name that is not its own (converge.ts). It used to GET every name
 * its cache lacked before applying it: three reads for each new PVC, as many requests as the writes themselves. Now
 * each generated kind has a second, metadata-only watch of the objects *not* labelled as lifeboat's
 * (`app.kubernetes.io/managed-by!=lifeboat`, which also matches objects without the label). A name that is in
 * neither cache is free, and the first apply goes out at once.
 *
 * The answer must be as fresh as the GET's, give or take one watch delivery, so a name is called free only when:
 * - the kind's foreign watch is current (Reflector.isCurrent: synced, no failure since the last list or watch that
 *   worked, and the server spoke within 90 s; each foreign watch times out after 60 s, so a quiet but healthy one
 *   ends normally and reopens at least that often);
 * - the name is not unsettled: it did not leave lifeboat's own cache, and lifeboat did not write it, within the last
 *   minute without its own watch showing it since. An object whose managed-by label is removed leaves lifeboat's
 *   watch and enters the foreign one as two events on two streams, in either order: the foreign event may not have
 *   arrived when the reconcile runs. And an object lifeboat has just created is in neither cache until its own watch
 *   delivers it: a second reconcile before that must find it with the GET (and write nothing), not create it again.
 * Anything else (a kind without a foreign watch, a watch that is down or silent, an unsettled name) falls back to
 * the GET. A watch that resumes after an outage replays what it missed in one burst; its first event makes it
 * current, so for the milliseconds the rest of the burst takes, a name created during the outage can look free.
 *
 * Memory: the foreign watches keep name, namespace and resourceVersion of each object (`nameOnly`), about 300 bytes
 * with their key per Secret, ReplicationSource or ReplicationDestination of other tools in the cluster. They run
 * until the process's cache stops, as every informer of the shared cache does.
 */
import type { KubeObject } from '../kube/client.ts';

/** The part of a foreign watch this reads (a Reflector). */
export interface ForeignView {
  isCurrent(): boolean;
  get(key: string): unknown;
}

/** How long a name lifeboat wrote or saw leave its cache is not trusted as free, unless its own watch shows it. */
export const UNSETTLED_WINDOW_MS = 60_000;

/** The foreign watch's transform: only what tells that the name is taken. */
export function nameOnly(obj: KubeObject): KubeObject {
  const { name, namespace, resourceVersion } = obj.metadata;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name, ...(namespace ? { namespace } : {}), ...(resourceVersion ? { resourceVersion } : {}) },
  };
}

export class ForeignNames {
  readonly #byKind: ReadonlyMap<string, ForeignView>;
  readonly #now: () => number;
  /** `kind/namespace/name` → when lifeboat wrote it or saw it leave its cache, oldest first. */
  readonly #unsettled = new Map<string, number>();

  constructor(byKind: ReadonlyMap<string, ForeignView>, opts: { now?: () => number } = {}) {
    this.#byKind = byKind;
    this.#now = opts.now ?? Date.now;
  }

  /** One of lifeboat's objects left its cache: deleted, or its managed-by label removed. */
  departed(kind: string, namespace: string, name: string): void {
    this.#mark(kind, namespace, name);
  }

  /** lifeboat wrote the object; its own watch may not have shown it yet. */
  written(kind: string, namespace: string, name: string): void {
    this.#mark(kind, namespace, name);
  }

  /** lifeboat's own watch shows the object: its cache answers for the name from now on. */
  arrived(kind: string, namespace: string, name: string): void {
    if (this.#unsettled.size === 0) return;
    this.#unsettled.delete(`${kind}/${namespace}/${name}`);
    this.#forget(this.#now());
  }

  /** True only when no object holds the name (see the top of this file); false means "read it first". */
  free(kind: string, namespace: string, name: string): boolean {
    const view = this.#byKind.get(kind);
    if (!view?.isCurrent()) return false;
    if (view.get(namespace ? `${namespace}/${name}` : name) !== undefined) return false;
    this.#forget(this.#now());
    return !this.#unsettled.has(`${kind}/${namespace}/${name}`);
  }

  #mark(kind: string, namespace: string, name: string): void {
    const now = this.#now();
    const id = `${kind}/${namespace}/${name}`;
    // Re-inserted, so the map stays in time order and forgetting stops at the first recent entry.
    this.#unsettled.delete(id);
    this.#unsettled.set(id, now);
    this.#forget(now);
  }

  #forget(now: number): void {
    for (const [id, at] of this.#unsettled) {
      if (now - at < UNSETTLED_WINDOW_MS) break;
      this.#unsettled.delete(id);
    }
  }
}
