import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { raceAbort } from './abort.ts';

describe('raceAbort', () => {
  it('passes the work through without a signal, and while the signal does not abort', async () => {
    assert.equal(await raceAbort(Promise.resolve(1), undefined), 1);
    assert.equal(await raceAbort(Promise.resolve(2), new AbortController().signal), 2);
    await assert.rejects(raceAbort(Promise.reject(new Error('x')), new AbortController().signal), /x/);
  });

  it('rejects as soon as the signal aborts, with its reason or a chosen one, and releases the work', async () => {
    const c = new AbortController();
    let released = false;
    const never = new Promise<number>(() => {});
    const raced = raceAbort(never, c.signal, {
      onAbort: () => {
        released = true;
      },
    });
    c.abort(new Error('deadline'));
    await assert.rejects(raced, /deadline/);
    assert.equal(released, true);
    await assert.rejects(raceAbort(never, c.signal, { reason: () => new Error('timeout: scrypt') }), /timeout: scrypt/);
  });

  it('swallows a late failure of work that lost the race', async () => {
    const c = new AbortController();
    c.abort(new Error('gone'));
    let fail: (e: Error) => void = () => {};
    const late = new Promise<number>((_, reject) => {
      fail = reject;
    });
    await assert.rejects(raceAbort(late, c.signal), /gone/);
    fail(new Error('late')); // would be an unhandled rejection (and fail the test run) if not swallowed
    await new Promise((r) => setImmediate(r));
  });
});
