/**
 * Benchmark runner: imports every `bench/*.ts` module (except this one), runs its default export, and writes
 * `bench/reports/latest.json` and `bench/reports/latest.md`. Benchmarks report numbers and ratios against their
 * goals; nothing here fails on timing (timings are asserted nowhere, they depend on the machine).
 *
 * Usage: `node bench/run.ts [name…]` (names without `.ts` select modules; default: all).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  name: string;
  value: number;
  unit: string;
}

export interface Comparison {
  name: string;
  /** What the ratio means, e.g. "lifeboat time / kopia time". */
  ratioMeaning: string;
  ratio: number;
  /** e.g. "≤ 0.5" */
  goal: string;
  met: boolean;
}

export interface BenchResult {
  name: string;
  /** What was set up (repository sizes, iterations), for the report. */
  setup: string[];
  measurements: Measurement[];
  comparisons: Comparison[];
}

export type Bench = () => Promise<BenchResult>;

const BENCH_DIR = new URL('.', import.meta.url).pathname;

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

function markdown(results: BenchResult[], meta: Record<string, string>): string {
  const lines = ['# lifeboat benchmarks', '', ...Object.entries(meta).map(([k, v]) => `- ${k}: ${v}`), ''];
  for (const r of results) {
    lines.push(`## ${r.name}`, '', ...r.setup.map((s) => `- ${s}`), '');
    if (r.comparisons.length > 0) {
      lines.push('| comparison | ratio | meaning | goal | met |', '|---|---:|---|---|---|');
      for (const c of r.comparisons) {
        lines.push(`| ${c.name} | ${fmt(c.ratio)} | ${c.ratioMeaning} | ${c.goal} | ${c.met ? 'yes' : 'no'} |`);
      }
      lines.push('');
    }
    lines.push('| measurement | value | unit |', '|---|---:|---|');
    for (const m of r.measurements) lines.push(`| ${m.name} | ${fmt(m.value)} | ${m.unit} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const modules = (await readdir(BENCH_DIR))
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .filter((f) => wanted.size === 0 || wanted.has(f.replace(/\.ts$/, '')))
    .sort();
  const results: BenchResult[] = [];
  for (const file of modules) {
    const mod = (await import(join(BENCH_DIR, file))) as { default?: unknown };
    if (typeof mod.default !== 'function') continue;
    process.stderr.write(`[bench] ${file}…\n`);
    const started = Date.now();
    const result = await (mod.default as Bench)();
    process.stderr.write(`[bench] ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    results.push(result);
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  };
  const reports = join(BENCH_DIR, 'reports');
  await mkdir(reports, { recursive: true });
  await writeFile(join(reports, 'latest.json'), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  const md = markdown(results, meta);
  await writeFile(join(reports, 'latest.md'), md);
  process.stdout.write(md);
}

if (import.meta.main) await main();
