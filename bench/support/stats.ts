/**
 * Summaries of repeated measurements. Every number in the report comes with how many samples it stands for and
 * their range, so one lucky run cannot pass for the typical one.
 */

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
}

function checked(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new Error(`${what}: no samples (measure at least once)`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`${what}: sample ${bad} is not a finite number`);
  return [...values].sort((a, b) => a - b);
}

/** The middle value; for an even count the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = checked(values, 'median');
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = checked(values, 'summary');
  return {
    n: sorted.length,
    median: median(sorted),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Ratios of samples taken in pairs (round i of one side against round i of the other), so that a slow moment of a
 * shared machine falls on both sides of the same ratio instead of on one side of a ratio of medians.
 */
export function pairedRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  if (numerators.length !== denominators.length) {
    throw new Error(
      `paired ratios need as many numerators (${numerators.length}) as denominators (${denominators.length})`,
    );
  }
  return numerators.map((n, i) => {
    const d = denominators[i] as number;
    if (!(d > 0)) throw new Error(`paired ratios: denominator ${d} of round ${i + 1} is not positive`);
    return n / d;
  });
}

/**
 * Which side goes first in round `round` (0-based) when two contenders alternate: even rounds the first named, odd
 * rounds the second, so neither always profits from (or pays for) what the other left behind (page cache, a busy
 * neighbour, a JIT already warm).
 */
export function roundOrder<T>(round: number, first: T, second: T): [T, T] {
  return round % 2 === 0 ? [first, second] : [second, first];
}
