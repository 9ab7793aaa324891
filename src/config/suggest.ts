/**
 * "Did you mean …?" support: config keys, tier names and near-miss label keys are all checked against a short list
 * of expected strings, and a message that names the likely intended one is worth more than "unknown".
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring characters (optimal
 * string alignment), case-sensitive. Swaps count once because `weekyl` for `weekly` is the most common typo.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(rows, i - 1, j) + 1, (row[j - 1] ?? 0) + 1, at(rows, i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(rows, i - 2, j - 2) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return at(rows, a.length, b.length);
}

function at(rows: number[][], i: number, j: number): number {
  return rows[i]?.[j] ?? 0;
}

/**
 * How many edits still count as a typo of `expected`: one for short words, two from ten characters on. Kept small so
 * that unrelated keys are not flagged.
 */
export function typoBudget(expected: string): number {
  return expected.length >= 10 ? 2 : 1;
}

/** The candidate closest to `input` within its typo budget (case-insensitive), or undefined. */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance <= typoBudget(candidate) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
