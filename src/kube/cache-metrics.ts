/**
 * The shared cache's metrics, read from its informers when scraped, labelled by informer (its kind, API version,
 * namespace and selectors, as informers.ts keys it).
 *
 * The process's memory grows with the objects the cache holds, so `lifeboat_cache_objects` says what a resident size
 * is made of. A list after the first is a relist: the watch's resourceVersion expired (410 Gone), and until the new
 * list replaces the old one the process holds both, so a step in `lifeboat_cache_lists_total` explains a memory peak
 * and a load spike at the API server alike.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { InformerCache } from './informers.ts';

export function registerCacheMetrics(registry: Registry, cache: InformerCache): void {
  const registers = [registry];
  const labelNames = ['informer'] as const;
  new Gauge({
    name: 'lifeboat_cache_objects',
    help: 'Objects the shared cache holds, by informer.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of cache.stats()) this.set({ informer: s.key }, s.objects);
    },
  });
  new Counter({
    name: 'lifeboat_cache_lists_total',
    help: 'Complete lists by informer: the first one, then one per relist after the watch expired.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of cache.stats()) this.inc({ informer: s.key }, s.lists);
    },
  });
  new Counter({
    name: 'lifeboat_cache_failures_total',
    help: 'Lists and watches that failed and were started again (410 Gone included), by informer.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of cache.stats()) this.inc({ informer: s.key }, s.expired + s.watchErrors);
    },
  });
}
