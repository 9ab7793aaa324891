import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Namespace } from '../intent/resources.ts';
import { cachedNamespaces } from './namespace-cache.ts';

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
