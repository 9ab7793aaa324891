/**
 * Benchmark runner: imports every `bench/*.ts` module (except this one), runs its default export, and writes
 * `bench/reports/latest.json` and `bench/reports/latest.md`. Benchmarks report numbers and ratios against their
 * goals; nothing here fails on timing (timings are asserted nowhere, they depend on the machine).
 *
 * Usage: `node bench/run.ts [name…]` (names without `.ts` select modules; default: all).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Bench, type BenchResult, markdown } from './support/report.ts';

export type { Bench, BenchResult, Comparison, Measurement } from './support/report.ts';

const BENCH_DIR = new URL('.', import.meta.url).pathname;

/** The machine's load (as `uptime` shows it): numbers measured beside other work are slower and noisier. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const modules = (await readdir(BENCH_DIR))
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .filter((f) => wanted.size === 0 || wanted.has(f.replace(/\.ts$/, '')))
    .sort();
  const results: BenchResult[] = [];
  const loadBefore = load();
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
    'load average (1, 5, 15 min) before': loadBefore,
    'load average (1, 5, 15 min) after': load(),
    ...(process.env.BENCH_NOTE ? { note: process.env.BENCH_NOTE } : {}),
  };
  const reports = join(BENCH_DIR, 'reports');
  await mkdir(reports, { recursive: true });
  await writeFile(join(reports, 'latest.json'), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  const md = markdown(results, meta);
  await writeFile(join(reports, 'latest.md'), md);
  process.stdout.write(md);
}

if (import.meta.main) await main();
