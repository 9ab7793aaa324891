import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Namespace } from '../intent/resources.ts';
import { cachedNamespaces, namespacesFrom } from './namespace-cache.ts';

describe('cachedNamespaces', () => {
  it('shares one lookup among concurrent callers and reuses the answer within the TTL', async () => {
    let now = 0;
    let calls = 0;
    const source = async (name: string): Promise<Namespace> => {
      calls++;
      return { metadata: { name, labels: { n: String(calls) } } };
    };
    const lookup = cachedNamespaces(source, { ttlMs: 100, now: () => now });
    const answers = await Promise.all(Array.from({ length: 50 }, () => lookup('apps')));
    assert.equal(calls, 1);
    assert.ok(answers.every((a) => a?.metadata.labels?.n === '1'));
    now = 100;
    assert.equal((await lookup('apps'))?.metadata.labels?.n, '1');
    now = 101;
    assert.equal((await lookup('apps'))?.metadata.labels?.n, '2', 'expired: looked up again');
  });

  it('does not keep missing namespaces or failures', async () => {
    let exists = false;
    let fail = true;
    const lookup = cachedNamespaces(async (name) => {
      if (fail) throw new Error('unreachable');
      return exists ? { metadata: { name } } : undefined;
    });
    await assert.rejects(async () => await lookup('apps'), /unreachable/);
    fail = false;
    assert.equal(await lookup('apps'), undefined);
    exists = true;
    assert.equal((await lookup('apps'))?.metadata.name, 'apps');
  });
});

describe('namespacesFrom', () => {
  const ns = (name: string, tag: string): Namespace => ({ metadata: { name, labels: { from: tag } } });
  const store = (synced: boolean, names: string[]) => ({
    hasSynced: () => synced,
    get: (name: string) => (names.includes(name) ? ns(name, 'cache') : undefined),
  });
  const cases: {
    name: string;
    cache: ReturnType<typeof store> | undefined;
    api: 'found' | 'missing' | 'fails';
    want: string | undefined | RegExp;
    gets: number;
  }[] = [
    { name: 'no informer (a follower): the API server', cache: undefined, api: 'found', want: 'api', gets: 1 },
    {
      name: 'informer still listing: the API server',
      cache: store(false, ['apps']),
      api: 'found',
      want: 'api',
      gets: 1,
    },
    {
      name: 'synced and held: the cache, no request',
      cache: store(true, ['apps']),
      api: 'fails',
      want: 'cache',
      gets: 0,
    },
    {
      name: 'synced but not held: confirmed by the API server',
      cache: store(true, []),
      api: 'found',
      want: 'api',
      gets: 1,
    },
    { name: 'synced, not held, absent: unknown', cache: store(true, []), api: 'missing', want: undefined, gets: 1 },
    {
      name: 'not synced and the API server fails: the failure',
      cache: store(false, []),
      api: 'fails',
      want: /down/,
      gets: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      let gets = 0;
      const lookup = namespacesFrom(
        () => c.cache,
        async (name) => {
          gets++;
          if (c.api === 'fails') throw new Error('API server down');
          return c.api === 'found' ? ns(name, 'api') : undefined;
        },
      );
      if (c.want instanceof RegExp) await assert.rejects(async () => await lookup('apps'), c.want);
      else assert.equal((await lookup('apps'))?.metadata.labels?.from, c.want);
      assert.equal(gets, c.gets);
    });
  }
});
