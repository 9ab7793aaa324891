import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, pairedRatios, roundOrder, summarize } from '../../bench/support/stats.ts';

describe('bench statistics', () => {
  const medians: { values: number[]; want: number }[] = [
    { values: [7], want: 7 },
    { values: [3, 1, 2], want: 2 },
    { values: [4, 1, 3, 2], want: 2.5 },
    { values: [10, 10, 1000], want: 10 },
    { values: [-1, 5], want: 2 },
  ];
  for (const c of medians) {
    it(`median of [${c.values}] is ${c.want}`, () => assert.equal(median(c.values), c.want));
  }

  it('does not reorder the caller’s samples', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    median(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });

  it('summarises count, median and range', () => {
    assert.deepEqual(summarize([5, 1, 9, 3]), { n: 4, median: 4, min: 1, max: 9 });
    assert.deepEqual(summarize([2]), { n: 1, median: 2, min: 2, max: 2 });
  });

  const refused: { values: number[]; error: RegExp }[] = [
    { values: [], error: /no samples/ },
    { values: [1, Number.NaN], error: /NaN is not a finite number/ },
    { values: [Number.POSITIVE_INFINITY], error: /Infinity is not a finite number/ },
  ];
  for (const c of refused) {
    it(`refuses [${c.values}]`, () => {
      assert.throws(() => summarize(c.values), c.error);
      assert.throws(() => median(c.values), c.error);
    });
  }

  it('pairs ratios round by round', () => {
    assert.deepEqual(pairedRatios([2, 9, 4], [4, 3, 8]), [0.5, 3, 0.5]);
  });

  it('refuses unpaired or non-positive denominators', () => {
    assert.throws(() => pairedRatios([1, 2], [1]), /2\) as denominators \(1/);
    assert.throws(() => pairedRatios([1, 2], [1, 0]), /denominator 0 of round 2 is not positive/);
    assert.throws(() => pairedRatios([1], [Number.NaN]), /denominator NaN of round 1/);
  });

  it('alternates which side goes first', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => roundOrder(r, 'a', 'b')),
      [
        ['a', 'b'],
        ['b', 'a'],
        ['a', 'b'],
        ['b', 'a'],
      ],
    );
  });
});
