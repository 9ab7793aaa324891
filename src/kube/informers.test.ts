/**
 * The shared informer cache against a scripted loopback server (test/support/scripted-api.ts): one list and one watch
 * per selection however many consumers ask, a consumer that joins late sees what is already cached, and two
 * consumers that disagree on what to keep of a selection are refused.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { type ScriptedApi, scriptedApi } from '../../test/support/scripted-api.ts';
import { registerCacheMetrics } from './cache-metrics.ts';
import type { KubeObject } from './client.ts';
import { InformerCache } from './informers.ts';
import type { ReflectorEvent } from './reflector.ts';

let api: ScriptedApi;
let cache: InformerCache;
beforeEach(async () => {
  api = await scriptedApi();
  cache = new InformerCache(api.kube);
});
afterEach(async () => {
  await cache.stop();
  await api.close();
});

const maps = { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app=a' };
const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

describe('InformerCache', () => {
  it('lists and watches a selection once, however many consumers ask for it', async () => {
    api.names = ['one', 'two'];
    const first = cache.informer(maps);
    cache.start();
    const second = cache.informer({ ...maps });
    assert.equal(first, second, 'one reflector per selection');
    const other = cache.informer({ ...maps, labelSelector: 'app=b' });
    assert.notEqual(first, other, 'another selector is another selection');
    await Promise.all([first.waitForSync(), other.waitForSync()]);
    await until('both watches open', () => api.requests.filter((r) => r.startsWith('watch')).length === 2);
    assert.deepEqual([...api.requests].sort(), ['list app=a', 'list app=b', 'watch app=a', 'watch app=b']);
    const calls = { lists: 1, listPages: 1, watches: 1, expired: 0, watchErrors: 0 };
    assert.deepEqual(
      cache.stats().sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: 'ConfigMap.v1 [app=a]', objects: 2, ...calls },
        { key: 'ConfigMap.v1 [app=b]', objects: 2, ...calls },
      ],
    );
  });

  it('starts an informer asked for after the cache started, and replays what it holds to a late subscriber', async () => {
    api.names = ['one', 'two'];
    cache.start();
    const informer = cache.informer(maps);
    assert.equal(cache.hasSynced('ConfigMap.v1 [app=a]'), false);
    await informer.waitForSync();
    assert.equal(cache.hasSynced('ConfigMap.v1 [app=a]'), true);
    const seen: ReflectorEvent<KubeObject>[] = [];
    informer.on((e) => seen.push(e));
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.key}`),
      ['add ns/one', 'add ns/two'],
    );
  });

  it('refuses a second consumer that keeps other fields of the same selection', () => {
    cache.informer({ ...maps, transform: (o) => o });
    assert.throws(() => cache.informer(maps), /ConfigMap\.v1 \[app=a\] is already cached with a different transform/);
    assert.throws(() => cache.informer({ ...maps, resyncMs: 5 }), /different transform or resync/);
  });

  it('answers whether a selection is cached without starting one', async () => {
    api.names = ['one'];
    cache.start();
    assert.equal(cache.existing(maps), undefined, 'nothing asked for it: nothing is watched');
    assert.deepEqual(cache.keys(), []);
    const informer = cache.informer(maps);
    assert.equal(cache.existing({ ...maps }), informer);
    await informer.waitForSync();
    assert.deepEqual(
      [...api.requests].filter((r) => r.startsWith('list')),
      ['list app=a'],
    );
  });

  it('a stopped cache watches nothing new', async () => {
    await cache.stop();
    assert.throws(() => cache.informer(maps), /the informer cache is stopped: cannot watch ConfigMap\.v1 \[app=a\]/);
  });
});

describe('the cache metrics', () => {
  it('serve each informer’s objects, lists and failed watches under its key', async () => {
    api.names = ['one', 'two', 'three'];
    const registry = new Registry();
    registerCacheMetrics(registry, cache);
    cache.start();
    await cache.informer(maps).waitForSync();
    const text = await registry.metrics();
    assert.match(text, /^lifeboat_cache_objects\{informer="ConfigMap\.v1 \[app=a\]"\} 3$/m);
    assert.match(text, /^lifeboat_cache_lists_total\{informer="ConfigMap\.v1 \[app=a\]"\} 1$/m);
    assert.match(text, /^lifeboat_cache_failures_total\{informer="ConfigMap\.v1 \[app=a\]"\} 0$/m);
  });
});
