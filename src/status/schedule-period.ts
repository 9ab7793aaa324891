/**
 * The longest gap between two runs of a VolSync schedule: how long a PVC may go without a backup before it is late.
 * Pure. The grammar is VolSync's (config/formats.ts `scheduleProblem`): five fields of `*`, `*\/n`, `a`, `a,b,c`,
 * `a-b`, `a/n`, or one of the macros; `H` in the minute field (the PVC's own minute) counts as any one minute, which
 * does not change the gap.
 */

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const RANGES: readonly [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

const DAY = 86_400_000;
/** Long enough to see every pattern repeat (a yearly schedule, or the 29th of February's neighbours). */
const HORIZON_DAYS = 2 * 366 + 1;

/** The values a field allows, or undefined when it is not in the grammar. */
function expand(field: string, [min, max]: [number, number]): Set<number> | undefined {
  const values = new Set<number>();
  const step = /^(\*|\d+)\/(\d+)$/.exec(field);
  if (step) {
    const from = step[1] === '*' ? min : Number(step[1]);
    const by = Number(step[2]);
    if (by < 1) return undefined;
    for (let v = from; v <= max; v += by) values.add(v);
  } else if (field === '*') {
    for (let v = min; v <= max; v++) values.add(v);
  } else if (/^\d+-\d+$/.test(field)) {
    const [a = 0, b = 0] = field.split('-').map(Number);
    for (let v = a; v <= b; v++) values.add(v);
  } else if (/^\d+(,\d+)*$/.test(field)) {
    for (const v of field.split(',')) values.add(Number(v));
  } else {
    return undefined;
  }
  for (const v of values) if (v < min || v > max) return undefined;
  return values;
}

/**
 * Answers by schedule text. A cluster has a handful of distinct schedules but asks once per PVC (the status ledger
 * rebuilds for every protected PVC), and each answer walks two years of days: ~17,000 steps for an hourly schedule.
 * Schedules can come from PVC annotations, so the table is bounded; past the bound it starts over.
 */
const answers = new Map<string, number | undefined>();
const MAX_ANSWERS = 256;

/** Milliseconds of the longest gap between consecutive runs, or undefined for a schedule it cannot read. */
export function schedulePeriodMs(schedule: string): number | undefined {
  if (answers.has(schedule)) return answers.get(schedule);
  const period = longestGapMs(schedule);
  if (answers.size >= MAX_ANSWERS) answers.clear();
  answers.set(schedule, period);
  return period;
}

function longestGapMs(schedule: string): number | undefined {
  const expression = MACROS[schedule.trim()] ?? schedule.trim();
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) return undefined;
  if (fields[0] === 'H') fields[0] = '0';
  const sets = fields.map((f, i) => expand(f, RANGES[i] as [number, number]));
  const [minutes, hours, days, months, weekdays] = sets;
  if (!minutes || !hours || !days || !months || !weekdays) return undefined;
  if (weekdays.has(7)) weekdays.add(0);
  const domRestricted = fields[2] !== '*';
  const dowRestricted = fields[4] !== '*';
  const times = [...hours]
    .sort((a, b) => a - b)
    .flatMap((h) => [...minutes].sort((a, b) => a - b).map((m) => (h * 60 + m) * 60_000));
  if (times.length === 0) return undefined;

  // From 2027 the horizon spans 2028, a leap year: a yearly schedule's longest gap is 366 days.
  const start = Date.UTC(2027, 0, 1);
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < HORIZON_DAYS; d++) {
    const day = new Date(start + d * DAY);
    if (!months.has(day.getUTCMonth() + 1)) continue;
    const dom = days.has(day.getUTCDate());
    const dow = weekdays.has(day.getUTCDay());
    // Vixie cron: when both day fields are restricted, either one matching is enough.
    const matches = domRestricted && dowRestricted ? dom || dow : dom && dow;
    if (!matches) continue;
    for (const t of times) {
      const at = start + d * DAY + t;
      if (previous !== undefined) longest = Math.max(longest, at - previous);
      previous = at;
    }
  }
  return previous === undefined || longest === 0 ? undefined : longest;
}
