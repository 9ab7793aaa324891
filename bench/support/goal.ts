/**
 * Goals of the benchmarks and their judgement. A goal is met only when the worst reported sample meets it: the
 * median hides the rounds a user would also see.
 */

export interface Goal {
  /** `≤`: smaller is better (times, ratios lifeboat / baseline); `≥`: larger is better (speed-ups). */
  op: '≤' | '≥';
  bound: number;
}

export const atMost = (bound: number): Goal => ({ op: '≤', bound });
export const atLeast = (bound: number): Goal => ({ op: '≥', bound });

export function goalText(goal: Goal): string {
  return `${goal.op} ${goal.bound}`;
}

/** The sample furthest from the goal's side: the largest for `≤`, the smallest for `≥`; NaN without samples. */
export function worst(goal: Goal, samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return goal.op === '≤' ? Math.max(...samples) : Math.min(...samples);
}

/** Met when there is at least one sample, every sample is a finite number, and the worst one meets the bound. */
export function meets(goal: Goal, samples: readonly number[]): boolean {
  if (samples.length === 0 || !samples.every(Number.isFinite)) return false;
  const w = worst(goal, samples);
  return goal.op === '≤' ? w <= goal.bound : w >= goal.bound;
}
