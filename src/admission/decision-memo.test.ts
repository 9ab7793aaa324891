import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionMemo } from './decision-memo.ts';
import type { AdmissionFacts } from './facts.ts';

const facts = (cause: string): AdmissionFacts => ({
  decision: { decision: 'fresh', authoritative: true, cause, message: cause },
});

describe('DecisionMemo', () => {
  it('mutate asks afresh; validate reuses the answer within the TTL; after it, asks again', async () => {
    let now = 0;
    let asked = 0;
    const memo = new DecisionMemo({ ttlMs: 1000, now: () => now });
    const ask = async () => facts(`answer-${++asked}`);
    assert.equal((await memo.get('ns/a', false, ask)).decision.cause, 'answer-1');
    now = 500;
    assert.equal((await memo.get('ns/a', true, ask)).decision.cause, 'answer-1', 'validate reuses');
    assert.equal((await memo.get('ns/a', false, ask)).decision.cause, 'answer-2', 'a new mutate asks again');
    now = 1600;
    assert.equal((await memo.get('ns/a', true, ask)).decision.cause, 'answer-3', 'expired');
    assert.equal((await memo.get('ns/b', true, ask)).decision.cause, 'answer-4', 'other key');
  });

  it('joins a question in flight even when a fresh answer is wanted (singleflight)', async () => {
    let asked = 0;
    let release: (f: AdmissionFacts) => void = () => {};
    const memo = new DecisionMemo();
    const ask = () => {
      asked++;
      return new Promise<AdmissionFacts>((resolve) => {
        release = resolve;
      });
    };
    const calls = [memo.get('k', false, ask), memo.get('k', false, ask), memo.get('k', true, ask)];
    release(facts('one'));
    const answers = await Promise.all(calls);
    assert.equal(asked, 1);
    assert.deepEqual(
      answers.map((a) => a.decision.cause),
      ['one', 'one', 'one'],
    );
  });

  it('forgets rejected questions', async () => {
    const memo = new DecisionMemo();
    await assert.rejects(memo.get('k', false, async () => Promise.reject(new Error('boom'))));
    await new Promise((r) => setImmediate(r));
    assert.equal(memo.size, 0);
    assert.equal((await memo.get('k', true, async () => facts('ok'))).decision.cause, 'ok');
  });

  it('stays bounded, dropping the oldest', async () => {
    const memo = new DecisionMemo({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) await memo.get(`k${i}`, false, async () => facts(`f${i}`));
    assert.equal(memo.size, 3);
    let asked = false;
    await memo.get('k0', true, async () => {
      asked = true;
      return facts('again');
    });
    assert.ok(asked, 'k0 was evicted');
  });
});
