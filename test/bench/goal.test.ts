import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atLeast, atMost, type Goal, goalText, meets, worst } from '../../bench/support/goal.ts';

describe('bench goals are judged by the worst sample', () => {
  const cases: { goal: Goal; samples: number[]; worst: number; met: boolean }[] = [
    { goal: atMost(0.5), samples: [0.3, 0.4, 0.45], worst: 0.45, met: true },
    { goal: atMost(0.5), samples: [0.3, 0.5], worst: 0.5, met: true },
    // The median (0.3) meets it; one round does not: not met.
    { goal: atMost(0.5), samples: [0.2, 0.3, 0.51], worst: 0.51, met: false },
    { goal: atLeast(1000), samples: [4000, 1200, 999], worst: 999, met: false },
    { goal: atLeast(1000), samples: [4000, 1000], worst: 1000, met: true },
    { goal: atMost(1.5), samples: [1.2], worst: 1.2, met: true },
  ];
  for (const c of cases) {
    it(`${goalText(c.goal)} with [${c.samples}]: worst ${c.worst}, ${c.met ? 'met' : 'not met'}`, () => {
      assert.equal(worst(c.goal, c.samples), c.worst);
      assert.equal(meets(c.goal, c.samples), c.met);
    });
  }

  it('is not met without samples or with a sample that is not a number', () => {
    assert.equal(meets(atMost(1), []), false);
    assert.ok(Number.isNaN(worst(atMost(1), [])));
    assert.equal(meets(atMost(1), [0.5, Number.NaN]), false);
    assert.equal(meets(atLeast(1), [5, Number.POSITIVE_INFINITY]), false);
  });

  it('names the goal as the report shows it', () => {
    assert.equal(goalText(atMost(0.2)), '≤ 0.2');
    assert.equal(goalText(atLeast(1000)), '≥ 1000');
  });
});
