/**
 * What a benchmark hands back and how the report shows it. Each number carries its method (what one sample is, how
 * many, how warm, at what concurrency) and its spread next to it, and each goal line says which sample judged it.
 */
import { type Goal, goalText, meets, worst } from './goal.ts';
import { summarize } from './stats.ts';

export interface Measurement {
  name: string;
  /** The median of `samples` when there are samples. */
  value: number;
  unit: string;
  /** Every sample, in the order taken. */
  samples?: number[];
  /** How it was measured: what one sample is, process (fresh or long-running), warmth, concurrency. */
  method?: string;
}

export interface Comparison {
  name: string;
  /** What the ratio means, e.g. "lifeboat time / kopia time". */
  ratioMeaning: string;
  /** The median of `samples` when there are samples. */
  ratio: number;
  /** e.g. "≤ 0.5" */
  goal: string;
  /** With samples: whether the worst of them meets the goal. */
  met: boolean;
  /** Every ratio sample, in the order taken. */
  samples?: number[];
  /** The sample that judged the goal (see goal.ts). */
  worst?: number;
  method?: string;
}

export interface BenchResult {
  name: string;
  /** What was set up (repository sizes, iterations), for the report. */
  setup: string[];
  measurements: Measurement[];
  comparisons: Comparison[];
}

export type Bench = () => Promise<BenchResult>;

export function measured(name: string, unit: string, samples: number[], method: string): Measurement {
  return { name, value: summarize(samples).median, unit, samples: [...samples], method };
}

export function compared(options: {
  name: string;
  meaning: string;
  goal: Goal;
  samples: number[];
  method: string;
}): Comparison {
  return {
    name: options.name,
    ratioMeaning: options.meaning,
    ratio: summarize(options.samples).median,
    goal: goalText(options.goal),
    met: meets(options.goal, options.samples),
    samples: [...options.samples],
    worst: worst(options.goal, options.samples),
    method: options.method,
  };
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

/** `min–max` of the samples, or `—` for a single value. */
function range(samples: number[] | undefined): string {
  if (!samples || samples.length < 2) return '—';
  const s = summarize(samples);
  return `${fmt(s.min)}–${fmt(s.max)}`;
}

/** Table cells must not break the row. */
function cell(text: string | undefined): string {
  return (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function markdown(results: BenchResult[], meta: Record<string, string>): string {
  const lines = [
    '# lifeboat benchmarks',
    '',
    ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`),
    '',
    'Each value is the median of its samples; `min–max` is their range. A goal is met only when the worst sample meets ' +
      'it (the largest ratio for a `≤` goal, the smallest for a `≥` goal).',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.name}`, '', ...r.setup.map((s) => `- ${s}`), '');
    if (r.comparisons.length > 0) {
      lines.push(
        '| comparison | ratio (median) | min–max | samples | meaning | goal | met (worst sample) | method |',
        '|---|---:|---:|---:|---|---|---|---|',
      );
      for (const c of r.comparisons) {
        const met = c.met ? 'yes' : 'no';
        const verdict = c.worst === undefined ? met : `${met} (worst ${fmt(c.worst)})`;
        lines.push(
          `| ${cell(c.name)} | ${fmt(c.ratio)} | ${range(c.samples)} | ${c.samples?.length ?? 1} | ` +
            `${cell(c.ratioMeaning)} | ${cell(c.goal)} | ${verdict} | ${cell(c.method)} |`,
        );
      }
      lines.push('');
    }
    lines.push('| measurement | value (median) | min–max | samples | unit | method |', '|---|---:|---:|---:|---|---|');
    for (const m of r.measurements) {
      lines.push(
        `| ${cell(m.name)} | ${fmt(m.value)} | ${range(m.samples)} | ${m.samples?.length ?? 1} | ${cell(m.unit)} | ` +
          `${cell(m.method)} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
