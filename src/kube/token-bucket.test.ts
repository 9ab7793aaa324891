import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    assert.deepEqual(
      [bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()],
      [true, true, true, false],
    );
    now = 499;
    assert.equal(bucket.tryTake(), false);
    now = 500;
    assert.equal(bucket.tryTake(), true, 'one token after 1/2 s at 2 per second');
    now = 100_000;
    assert.equal([1, 2, 3, 4].filter(() => bucket.tryTake()).length, 3, 'never more than the burst');
  });

  it('reserve books future tokens and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(1, 1, () => now);
    assert.equal(bucket.reserve(), 0);
    assert.equal(bucket.reserve(), 1000);
    assert.equal(bucket.reserve(), 2000);
    now = 2000;
    assert.equal(bucket.reserve(), 1000, 'the two booked tokens were used by then');
  });

  it('rejects nonsense rates', () => {
    assert.throws(() => new TokenBucket(0, 1));
    assert.throws(() => new TokenBucket(1, 0));
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, plus jitter', () => {
    const opts = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts, () => 0)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(
      backoffDelay(2, opts, () => 1),
      300,
    );
    assert.equal(
      backoffDelay(10, opts, () => 1),
      1000,
      'jitter never exceeds the cap',
    );
  });
});
