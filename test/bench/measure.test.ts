import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alternated } from '../../bench/support/measure.ts';

describe('alternated samples', () => {
  it('alternates which contender runs first and keeps each side’s samples in round order', async () => {
    const calls: string[] = [];
    let a = 0;
    let b = 100;
    const result = await alternated(
      3,
      async () => {
        calls.push('a');
        return ++a;
      },
      async () => {
        calls.push('b');
        return ++b;
      },
    );
    assert.deepEqual(calls, ['a', 'b', 'b', 'a', 'a', 'b']);
    assert.deepEqual(result, { first: [1, 2, 3], second: [101, 102, 103] });
  });

  it('stops at the first failure', async () => {
    let runs = 0;
    await assert.rejects(
      alternated(
        3,
        async () => ++runs,
        async () => {
          throw new Error('baseline failed');
        },
      ),
      /baseline failed/,
    );
    assert.equal(runs, 1);
  });
});
