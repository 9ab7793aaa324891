/**
 * A NamespaceSource in front of a slower one (an API GET): answers are kept for `ttlMs` and concurrent lookups of one
 * namespace share a single call, so a burst of PVC CREATEs in one namespace (a GitOps sync, a cluster rebuild) costs
 * the API server one request instead of one per PVC (docs/design.md#api-server-overload). Only found namespaces are
 * kept: a namespace that
 * does not exist yet may be created the next moment, and a failed lookup is retried by the next request.
 *
 * `namespacesFrom` puts the process's shared informer cache in front of it: where a component already watches
 * Namespaces (the leader's PVC controller), admission reads them from there and asks the API server only for a
 * namespace the cache does not hold (yet).
 */
import type { Namespace } from '../intent/resources.ts';
import type { NamespaceSource } from './facts.ts';

export interface NamespaceCacheOptions {
  /** How long a found namespace is reused: bounds how late an opt-in or break-glass label change is seen. Default 5 s. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export function cachedNamespaces(source: NamespaceSource, options: NamespaceCacheOptions = {}): NamespaceSource {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 5_000;
  const now = options.now ?? Date.now;
  const found = new Map<string, { atMs: number; namespace: Namespace }>();
  const inFlight = new Map<string, Promise<Namespace | undefined>>();

  return (name) => {
    const hit = found.get(name);
    if (hit && now() - hit.atMs <= ttlMs) return hit.namespace;
    const pending = inFlight.get(name);
    if (pending) return pending;
    const lookup = Promise.resolve()
      .then(() => source(name))
      .then((namespace) => {
        if (namespace) {
          found.delete(name);
          found.set(name, { atMs: now(), namespace });
          if (found.size > maxEntries) found.delete(found.keys().next().value as string);
        }
        return namespace;
      })
      .finally(() => inFlight.delete(name));
    inFlight.set(name, lookup);
    return lookup;
  };
}

/** What admission reads of a shared Namespace informer: whether its first list finished, and a Namespace by name. */
export interface NamespaceStore {
  hasSynced(): boolean;
  get(name: string): Namespace | undefined;
}

/**
 * Namespaces from `store` when there is one (a component asked the shared cache for Namespaces) and its first list
 * finished, else from `fallback`. A namespace a synced store lacks is asked of `fallback` too: it may have been
 * created after the watch's last event, and only the API server may say it does not exist before a PVC is denied for
 * it. An unsynced store is never read: a partial list would turn existing namespaces into "unknown".
 */
export function namespacesFrom(store: () => NamespaceStore | undefined, fallback: NamespaceSource): NamespaceSource {
  return (name) => {
    const cache = store();
    return (cache?.hasSynced() ? cache.get(name) : undefined) ?? fallback(name);
  };
}
