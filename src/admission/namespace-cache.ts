/**
 * A NamespaceSource in front of a slower one (an API GET): answers are kept for `ttlMs` and concurrent lookups of one
 * namespace share a single call, so a burst of PVC CREATEs in one namespace (a GitOps sync, a cluster rebuild) costs
 * the API server one request instead of one per PVC (docs/design.md#api-server-overload). Only found namespaces are
 * kept: a namespace that
 * does not exist yet may be created the next moment, and a failed lookup is retried by the next request.
 *
 * With an informer-fed store available, pass a store lookup directly instead; this is for when there is none.
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
