/**
 * Catalog benchmarks against the real binaries, in one run on one machine:
 * 1. Full scan of a Kopia repository with 1,000 snapshots across 200 sources vs `kopia snapshot list --all --json`
 *    (goal: ≤ 0.5× kopia's time).
 * 2. Full scan of restic repositories (one per PVC) vs `restic snapshots --json` per repository, run as many at once
 *    as lifeboat reads repositories at once (the catalog's default concurrency) (goal: ≤ 0.2× restic's time).
 * 3. One PVC's decision, costed with its share of the background refresh, vs one `kopia snapshot list <source>` and
 *    one `restic snapshots` per decision (goal: ≥ 1000× faster).
 * 4. Heap held by a catalog of 100,000 snapshots.
 *
 * How, so the numbers cannot flatter:
 * - "Cold" is a new process on both sides: a fresh `node` (image V8 flags and ENV, lifeboat bundled as in the image, no module cache, no
 *   derived keys) running lifeboat's reader against a fresh `kopia` / `restic` process; both timed from spawn to
 *   exit. The baselines keep their on-disk caches warm (kopia's connected config and cache, restic's cache
 *   directory): lifeboat's cold process has no cache at all.
 * - "Warm" is the periodic refresh of a long-running catalog, a separate line; it and the decisions run in a `node`
 *   process of their own with the image's flags and ENV (as `lifeboat run` would), not in this process.
 * - Each ratio pairs round i of lifeboat with round i of the baseline, the order alternating every round; the report
 *   gives the median and range of the paired ratios and judges each goal by the worst round.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Catalog, DEFAULTS } from '../src/catalog/catalog.ts';
import { DEFAULT_CONFIG } from '../src/config/defaults.ts';
import { mapLimit } from '../src/mover/restic/reader/map-limit.ts';
import type { CatalogSource, RepositoryRead } from '../src/repository/source.ts';
import type { Snapshot } from '../src/repository/types.ts';
import { createKopiaRepository, DEFAULT_PASSWORD, makeSourceDir } from '../test/support/kopia.ts';
import { createResticRepository, RESTIC_TEST_PASSWORD } from '../test/support/restic.ts';
import { binary } from '../test/support/testenv.ts';
import type { ColdScanResult, ColdScanSpec, ScanSpec, WarmReply, WarmRequest } from './support/catalog-process.ts';
import { atLeast, atMost } from './support/goal.ts';
import { IMAGE_FLAGS_NOTE, imageProcess, removeImageProcessFiles } from './support/image-process.ts';
import { alternated, run, timed } from './support/measure.ts';
import { type BenchResult, type Comparison, compared, type Measurement, measured } from './support/report.ts';
import { pairedRatios } from './support/stats.ts';

const KOPIA_NAMESPACES = Number(process.env.BENCH_KOPIA_NAMESPACES ?? 5);
const KOPIA_PVCS_PER_NAMESPACE = Number(process.env.BENCH_KOPIA_PVCS_PER_NAMESPACE ?? 40);
const KOPIA_ROUNDS = 5;
const RESTIC_REPOSITORIES = Number(process.env.BENCH_RESTIC_REPOSITORIES ?? 20);
const RESTIC_SNAPSHOTS = 3;
/** Samples per contender; each ratio sample pairs one of each. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Decisions per lookup sample (one sample is their mean). */
const DECISIONS = 40_000;
const MEMORY_PVCS = 2_000;
const MEMORY_SNAPSHOTS_PER_PVC = 50;
/** Repositories lifeboat reads at once (restic has one per PVC); the restic baseline runs as many processes. */
const CONCURRENCY = DEFAULTS.concurrency;
/** The background refresh interval lifeboat runs with unless configured otherwise. */
const REFRESH_INTERVAL_MS = DEFAULT_CONFIG.catalog.refreshInterval;

const progress = (m: string) => process.stderr.write(`[bench] catalog: ${m}\n`);

function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A cold scan in a fresh `node` process (bench/support/catalog-process.ts as the image runs), timed spawn to exit. */
async function coldScan(spec: ColdScanSpec): Promise<ColdScanResult & { wallMs: number }> {
  const { command, args, env } = await imageProcess('catalog-process', ['cold', JSON.stringify(spec)]);
  let out = '';
  const wallMs = await timed(async () => {
    out = await run(command, args, env);
  });
  return { ...(JSON.parse(out) as ColdScanResult), wallMs };
}

/**
 * A long-running catalog in a `node` process of its own with the image's flags (bench/support/catalog-process.ts,
 * warm mode), as `lifeboat run` keeps one: its periodic refresh and its decisions are timed inside it, so they run
 * as the image runs them and not with this process's JIT.
 */
class WarmCatalog {
  readonly pvcs: number;
  readonly #child: ReturnType<typeof spawn>;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ReturnType<typeof spawn>, lines: AsyncIterator<string>, pvcs: number) {
    this.#child = child;
    this.#lines = lines;
    this.pvcs = pvcs;
  }

  /** Starts the process and waits for its first full read; the process is stopped if that fails. */
  static async start(spec: ScanSpec): Promise<WarmCatalog> {
    const { command, args, env } = await imageProcess('catalog-process', ['warm', JSON.stringify(spec)]);
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    // A write to a process that died is reported by the next read (which ends), not as an unhandled EPIPE.
    child.stdin?.on('error', () => {});
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    try {
      const first = await lines.next();
      if (first.done) throw new Error(`the warm ${spec.kind} catalog process ${exitOf(child)} before its first read`);
      return new WarmCatalog(child, lines, (JSON.parse(first.value) as { pvcs: number }).pvcs);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  async #ask(request: WarmRequest): Promise<WarmReply> {
    (this.#child.stdin as NodeJS.WritableStream).write(`${JSON.stringify(request)}\n`);
    const line = await this.#lines.next();
    if (line.done) throw new Error(`the warm catalog process ${exitOf(this.#child)} during ${request.op}`);
    const reply = JSON.parse(line.value) as WarmReply;
    if ('error' in reply) throw new Error(`the warm catalog process: ${reply.error}`);
    return reply;
  }

  /** Milliseconds of one periodic refresh. */
  async refresh(): Promise<number> {
    return ((await this.#ask({ op: 'refresh' })) as { ms: number }).ms;
  }

  /** Mean microseconds per decision over `count` decisions. */
  async decide(count: number): Promise<number> {
    return ((await this.#ask({ op: 'decide', count })) as { micros: number }).micros;
  }

  /** Ends the process (closing its stdin) and waits for it; rejects when it did not exit cleanly. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      (child.stdin as NodeJS.WritableStream).end();
      await exited;
    }
    if (child.exitCode !== 0) throw new Error(`the warm catalog process ${exitOf(child)}`);
  }
}

/** How a child process ended, for an error message. */
function exitOf(child: ReturnType<typeof spawn>): string {
  if (child.signalCode) return `was killed by ${child.signalCode}`;
  return child.exitCode === null ? 'closed its output' : `exited with code ${child.exitCode}`;
}

const COLD = `a fresh \`node\` process per sample (spawn to exit), ${IMAGE_FLAGS_NOTE}, lifeboat bundled as in the image, no cache of any kind`;
const CLI = (tool: string) => `a fresh \`${tool}\` process per sample (spawn to exit), its on-disk cache warm`;
const WARM = `long-running catalog in a \`node\` process of its own (${IMAGE_FLAGS_NOTE}, lifeboat bundled as in the image), refresh after a first full read`;
const FLOOR = `a fresh \`node\` process per sample (spawn to exit), ${IMAGE_FLAGS_NOTE}, lifeboat bundled as in the image, deriving the keys only`;
const alternating = (n: number) => `${n} rounds, order alternating`;

/**
 * A decision's full cost: the in-memory lookup plus its PVC's share of the background refresh. Each refresh (every
 * `REFRESH_INTERVAL_MS`) keeps every PVC's answer fresh, so one PVC's share of one refresh is `refresh / PVCs`; charged
 * to one decision per PVC per interval. Fewer decisions than that make each carry more: the whole-refresh line bounds
 * the case of a single decision per interval.
 */
function decisionCosts(lookupMicros: number[], refreshMs: number[], pvcs: number): number[] {
  return lookupMicros.map((l, i) => l + ((refreshMs[i] as number) * 1000) / pvcs);
}

interface DecisionSide {
  tool: string;
  /** `kopia snapshot list <source>` / `restic snapshots` for one PVC, ms, one per round. */
  cliMs: number[];
  lookupMicros: number[];
  refreshMs: number[];
  pvcs: number;
}

/** The decision lines for one backend: lookup, amortised refresh, full cost, and the speed-up against the CLI. */
function decisionLines(side: DecisionSide, measurements: Measurement[], comparisons: Comparison[]): void {
  const amortised = side.refreshMs.map((r) => (r * 1000) / side.pvcs);
  const costs = decisionCosts(side.lookupMicros, side.refreshMs, side.pvcs);
  const intervalS = REFRESH_INTERVAL_MS / 1000;
  const lookupMethod = `mean of ${DECISIONS} lookups + decide per sample, warm catalog, one at a time`;
  measurements.push(
    measured(
      `${side.tool}: one \`${side.tool === 'kopia' ? 'kopia snapshot list <source>' : 'restic snapshots'} --json\``,
      'ms',
      side.cliMs,
      `${CLI(side.tool)}; ${ROUNDS} rounds`,
    ),
    measured(`${side.tool}: lifeboat decision, in-memory lookup only`, 'µs', side.lookupMicros, lookupMethod),
    measured(
      `${side.tool}: its share of the background refresh every ${intervalS} s (warm refresh / ${side.pvcs} PVCs)`,
      'µs per PVC per interval',
      amortised,
      `${WARM}; paired with the lookup sample of the same round`,
    ),
    measured(
      `${side.tool}: lifeboat decision incl. refresh share`,
      'µs',
      costs,
      `lookup + refresh share, one decision per PVC per ${intervalS} s interval`,
    ),
    measured(
      `${side.tool}: background refresh load at a ${intervalS} s interval`,
      '% of wall time',
      side.refreshMs.map((r) => (100 * r) / REFRESH_INTERVAL_MS),
      `warm refresh time / ${intervalS} s`,
    ),
  );
  comparisons.push(
    compared({
      name: `One PVC decision (${side.tool}), incl. refresh share`,
      meaning: `${side.tool} CLI time / lifeboat decision cost (speed-up)`,
      goal: atLeast(1000),
      samples: pairedRatios(
        side.cliMs,
        costs.map((c) => c / 1000),
      ),
      method: `${alternating(ROUNDS)} (CLI vs lookup sample + warm refresh); one decision per PVC per ${intervalS} s`,
    }),
    compared({
      name: `One PVC decision (${side.tool}), a whole refresh per decision`,
      meaning: `${side.tool} CLI time / (lookup + one whole warm refresh)`,
      goal: atLeast(1),
      samples: pairedRatios(
        side.cliMs,
        side.lookupMicros.map((l, i) => l / 1000 + (side.refreshMs[i] as number)),
      ),
      method: `the bound for one decision per ${intervalS} s interval in the whole cluster`,
    }),
  );
}

async function kopiaBench(measurements: Measurement[], comparisons: Comparison[], setup: string[]): Promise<void> {
  const repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
  try {
    const dirs: string[] = [];
    for (let p = 0; p < KOPIA_PVCS_PER_NAMESPACE; p++) {
      dirs.push(await makeSourceDir(repo.root, `pvc-${String(p).padStart(3, '0')}`, { 'f.txt': `pvc ${p}` }));
    }
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let round = 0; round < KOPIA_ROUNDS; round++) {
      for (let ns = 0; ns < KOPIA_NAMESPACES; ns++) {
        await repo.snapshotMany({
          user: 'bench',
          host: `ns-${ns}`,
          dirs,
          startTime: new Date(base + round * 3_600_000),
        });
      }
    }
    const kopiaAll = () => timed(() => repo.run(['snapshot', 'list', '--all', '--json']));
    const listed = JSON.parse(await repo.run(['snapshot', 'list', '--all', '--json'])) as unknown[];
    const sources = KOPIA_NAMESPACES * KOPIA_PVCS_PER_NAMESPACE;
    setup.push(
      `Kopia v0.21.1 filesystem repository: ${listed.length} snapshots across ${sources} sources; kopia's cache and ` +
        'connected config warmed by one unmeasured listing',
    );
    const identity = `bench@{namespace}:${repo.root}/{pvc}`;

    progress(`kopia cold: ${ROUNDS} rounds`);
    const spec: ScanSpec = {
      kind: 'kopia',
      repoPath: repo.repoPath as string,
      identity,
      password: DEFAULT_PASSWORD,
      pvcs: sources,
    };
    const coldRuns: (ColdScanResult & { wallMs: number })[] = [];
    const cold = await alternated(ROUNDS, kopiaAll, async () => {
      const result = await coldScan(spec);
      if (result.pvcs !== sources)
        throw new Error(`the cold kopia scan found ${result.pvcs} PVCs, expected ${sources}`);
      coldRuns.push(result);
      return result.wallMs;
    });

    progress(`kopia key derivation alone (the floor): ${ROUNDS} rounds`);
    const floor = await alternated(ROUNDS, kopiaAll, async () => {
      return (await coldScan({ kind: 'kopia-key', password: DEFAULT_PASSWORD })).wallMs;
    });

    const catalog = await WarmCatalog.start(spec);
    let warm: { first: number[]; second: number[] };
    let decision: { first: number[]; second: number[] };
    try {
      if (catalog.pvcs !== sources) throw new Error(`expected ${sources} PVCs, found ${catalog.pvcs}`);
      progress(`kopia warm: ${ROUNDS} rounds`);
      warm = await alternated(ROUNDS, kopiaAll, () => catalog.refresh());

      progress(`kopia decision: ${ROUNDS} rounds`);
      const firstSource = `bench@ns-0:${dirs[0]}`;
      await catalog.decide(DECISIONS); // warm-up of the lookup path (the JIT's, when it runs with one), not counted
      decision = await alternated(
        ROUNDS,
        () => timed(() => repo.run(['snapshot', 'list', firstSource, '--json'])),
        () => catalog.decide(DECISIONS),
      );
    } finally {
      await catalog.stop();
    }

    measurements.push(
      measured('kopia snapshot list --all --json (cold round)', 'ms', cold.first, `${CLI('kopia')}; ${ROUNDS} rounds`),
      measured('lifeboat full scan, cold (new node process)', 'ms', cold.second, `${COLD}; ${ROUNDS} rounds`),
      measured(
        '… of it loading lifeboat (after node started)',
        'ms',
        coldRuns.map((r) => r.loadMs),
        'measured inside the cold process',
      ),
      measured(
        '… of it the refresh (key derivation and reads)',
        'ms',
        coldRuns.map((r) => r.scanMs),
        'measured inside the cold process',
      ),
      measured(
        'a fresh node process that only derives the format key (scrypt N=65536, r=8, p=1)',
        'ms',
        floor.second,
        `${FLOOR}; ${ROUNDS} rounds`,
      ),
      measured('kopia snapshot list --all --json (warm round)', 'ms', warm.first, `${CLI('kopia')}; ${ROUNDS} rounds`),
      measured('lifeboat full scan, warm (periodic refresh)', 'ms', warm.second, `${WARM}; ${ROUNDS} rounds`),
    );
    comparisons.push(
      compared({
        name: 'Kopia full scan, cold',
        meaning: 'lifeboat time / kopia time, both fresh processes',
        goal: atMost(0.5),
        samples: pairedRatios(cold.second, cold.first),
        method: `${alternating(ROUNDS)}; lifeboat: ${COLD}; kopia: ${CLI('kopia')}`,
      }),
      compared({
        name: 'Kopia full scan, cold: its floor (the key derivation alone)',
        meaning:
          'a fresh node process that only derives the key / kopia time: no reader that checks the password goes lower',
        goal: atMost(0.5),
        samples: pairedRatios(floor.second, floor.first),
        method: `${alternating(ROUNDS)}; ${FLOOR}; kopia: ${CLI('kopia')}`,
      }),
      compared({
        name: 'Kopia full scan, warm',
        meaning: 'lifeboat refresh time / kopia time',
        goal: atMost(0.5),
        samples: pairedRatios(warm.second, warm.first),
        method: `${alternating(ROUNDS)}; lifeboat: ${WARM}; kopia: ${CLI('kopia')}`,
      }),
    );
    decisionLines(
      { tool: 'kopia', cliMs: decision.first, lookupMicros: decision.second, refreshMs: warm.second, pvcs: sources },
      measurements,
      comparisons,
    );
  } finally {
    await repo.cleanup();
  }
}

async function resticBench(measurements: Measurement[], comparisons: Comparison[], setup: string[]): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'lifeboat-bench-restic-'));
  const cacheDir = join(base, '.restic-cache');
  try {
    const repositories: string[] = [];
    for (let i = 0; i < RESTIC_REPOSITORIES; i++) {
      const repo = await createResticRepository({
        on: 'fs',
        version: 2,
        path: join(base, 'bench', `pvc${String(i).padStart(2, '0')}`),
      });
      for (let s = 0; s < RESTIC_SNAPSHOTS; s++) await repo.backup({ time: `2026-01-0${s + 1} 02:00:00` });
      repositories.push(repo.repository);
    }
    setup.push(
      `restic v0.18.1: ${RESTIC_REPOSITORIES} filesystem repositories (v2) × ${RESTIC_SNAPSHOTS} snapshots; restic's ` +
        `cache directory warmed by one unmeasured pass; ${CONCURRENCY} \`restic snapshots --json\` processes at once, ` +
        `as many as lifeboat's reader reads repositories at once (the catalog's default concurrency)`,
    );
    const env = (repository: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: base,
      RESTIC_REPOSITORY: repository,
      RESTIC_PASSWORD: RESTIC_TEST_PASSWORD,
      RESTIC_CACHE_DIR: cacheDir,
    });
    const resticOne = (repository: string) => run(binary('restic'), ['snapshots', '--json'], env(repository));
    const resticAll = () => timed(() => mapLimit(repositories, CONCURRENCY, resticOne));
    await resticAll();

    progress(`restic cold: ${ROUNDS} rounds`);
    const template = `${base}/{namespace}/{pvc}`;
    const spec: ScanSpec = {
      kind: 'restic',
      repository: template,
      password: RESTIC_TEST_PASSWORD,
      repositories: RESTIC_REPOSITORIES,
    };
    const coldRuns: (ColdScanResult & { wallMs: number })[] = [];
    const cold = await alternated(ROUNDS, resticAll, async () => {
      const result = await coldScan(spec);
      coldRuns.push(result);
      return result.wallMs;
    });

    progress(`restic key derivations alone (the floor): ${ROUNDS} rounds`);
    const keyFiles: string[] = [];
    for (const repository of repositories) {
      for (const name of await readdir(join(repository, 'keys'))) keyFiles.push(join(repository, 'keys', name));
    }
    if (keyFiles.length !== RESTIC_REPOSITORIES) throw new Error(`expected one key file per repository: ${keyFiles}`);
    const floorSpec: ColdScanSpec = {
      kind: 'restic-keys',
      keyFiles,
      password: RESTIC_TEST_PASSWORD,
      concurrency: CONCURRENCY,
    };
    const floor = await alternated(ROUNDS, resticAll, async () => (await coldScan(floorSpec)).wallMs);

    const catalog = await WarmCatalog.start(spec);
    let warm: { first: number[]; second: number[] };
    let decision: { first: number[]; second: number[] };
    try {
      if (catalog.pvcs !== RESTIC_REPOSITORIES) {
        throw new Error(`expected ${RESTIC_REPOSITORIES} PVCs, found ${catalog.pvcs}`);
      }
      progress(`restic warm: ${ROUNDS} rounds`);
      warm = await alternated(ROUNDS, resticAll, () => catalog.refresh());

      progress(`restic decision: ${ROUNDS} rounds`);
      await catalog.decide(DECISIONS); // warm-up of the lookup path (the JIT's, when it runs with one), not counted
      decision = await alternated(
        ROUNDS,
        () => timed(() => resticOne(repositories[0] as string)),
        () => catalog.decide(DECISIONS),
      );
    } finally {
      await catalog.stop();
    }

    const both = `${CONCURRENCY} repositories at once on both sides`;
    measurements.push(
      measured(
        `restic snapshots --json × ${RESTIC_REPOSITORIES} repositories (cold round)`,
        'ms',
        cold.first,
        `${CLI('restic')}; ${both}; ${ROUNDS} rounds`,
      ),
      measured(
        'lifeboat restic full scan, cold (new node process)',
        'ms',
        cold.second,
        `${COLD}; ${both}; ${ROUNDS} rounds`,
      ),
      measured(
        '… of it loading lifeboat (after node started)',
        'ms',
        coldRuns.map((r) => r.loadMs),
        'measured inside the cold process',
      ),
      measured(
        '… of it the refresh (key derivation per repository and reads)',
        'ms',
        coldRuns.map((r) => r.scanMs),
        'measured inside the cold process',
      ),
      measured(
        `a fresh node process that only derives the ${RESTIC_REPOSITORIES} repositories' keys (their own scrypt parameters)`,
        'ms',
        floor.second,
        `${FLOOR}; ${both}; ${ROUNDS} rounds`,
      ),
      measured(
        `restic snapshots --json × ${RESTIC_REPOSITORIES} repositories (warm round)`,
        'ms',
        warm.first,
        `${CLI('restic')}; ${both}; ${ROUNDS} rounds`,
      ),
      measured(
        'lifeboat restic full scan, warm (periodic refresh)',
        'ms',
        warm.second,
        `${WARM}; ${both}; ${ROUNDS} rounds`,
      ),
    );
    comparisons.push(
      compared({
        name: 'restic full scan, cold',
        meaning: 'lifeboat time / restic time, both fresh processes',
        goal: atMost(0.2),
        samples: pairedRatios(cold.second, cold.first),
        method: `${alternating(ROUNDS)}; lifeboat: ${COLD}; restic: ${CLI('restic')}; ${both}`,
      }),
      compared({
        name: 'restic full scan, cold: its floor (the key derivations alone)',
        meaning:
          'a fresh node process that only derives the keys / restic time: no reader that checks the password goes lower',
        goal: atMost(0.2),
        samples: pairedRatios(floor.second, floor.first),
        method: `${alternating(ROUNDS)}; ${FLOOR}; restic: ${CLI('restic')}; ${both}`,
      }),
      compared({
        name: 'restic full scan, warm',
        meaning: 'lifeboat refresh time / restic time',
        goal: atMost(0.2),
        samples: pairedRatios(warm.second, warm.first),
        method: `${alternating(ROUNDS)}; lifeboat: ${WARM}; restic: ${CLI('restic')}; ${both}`,
      }),
    );
    decisionLines(
      {
        tool: 'restic',
        cliMs: decision.first,
        lookupMicros: decision.second,
        refreshMs: warm.second,
        pvcs: RESTIC_REPOSITORIES,
      },
      measurements,
      comparisons,
    );
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** A source that hands the catalog `count` snapshots once: measures what the catalog itself keeps. */
function syntheticSource(pvcs: number, perPvc: number): CatalogSource {
  return {
    kind: 'kopia',
    backend: 'kopia-fs',
    description: 'synthetic',
    perPvcRepositories: false,
    locate: (ref) => ({ repository: { key: '/synthetic' }, source: `${ref.pvc}-backup@${ref.namespace}:/data` }),
    discover: async () => [{ key: '/synthetic' }],
    async read(): Promise<RepositoryRead> {
      const map = new Map<string, Snapshot[]>();
      const start = Date.parse('2025-01-01T00:00:00Z');
      for (let p = 0; p < pvcs; p++) {
        const list: Snapshot[] = [];
        for (let s = 0; s < perPvc; s++) {
          const timeMs = start + s * 3_600_000 + p;
          // Kopia manifest IDs are 32 hex characters; built per snapshot so no string is shared.
          const id = (p * perPvc + s).toString(16).padStart(32, '0');
          list.push({ id, time: new Date(timeMs).toISOString(), timeMs, sizeBytes: 1024 * (s + 1) });
        }
        map.set(`ns-${p % 50}/pvc-${p}`, list);
      }
      return { exists: true, pvcs: map, snapshotCount: pvcs * perPvc, unmatchedSources: [] };
    },
    close() {},
  };
}

async function memoryBench(measurements: Measurement[], setup: string[]): Promise<void> {
  const collect = gc();
  const total = MEMORY_PVCS * MEMORY_SNAPSHOTS_PER_PVC;
  collect();
  const before = process.memoryUsage().heapUsed;
  const catalog = new Catalog({ source: syntheticSource(MEMORY_PVCS, MEMORY_SNAPSHOTS_PER_PVC) });
  await catalog.refresh();
  collect();
  const after = process.memoryUsage().heapUsed;
  if (catalog.pvcs().length !== MEMORY_PVCS) throw new Error('the synthetic catalog is incomplete');
  setup.push(`memory: ${total} snapshots across ${MEMORY_PVCS} PVCs held by one catalog (heap delta after GC)`);
  const method = 'one sample: heap used after a full GC, before and after one refresh of a synthetic source';
  measurements.push(
    { name: `heap held by a catalog of ${total} snapshots`, value: (after - before) / 2 ** 20, unit: 'MiB', method },
    { name: 'heap per snapshot', value: (after - before) / total, unit: 'bytes', method },
  );
  await catalog.stop();
}

export default async function catalogBench(): Promise<BenchResult> {
  const measurements: Measurement[] = [];
  const comparisons: Comparison[] = [];
  const setup: string[] = [];
  await memoryBench(measurements, setup);
  try {
    await kopiaBench(measurements, comparisons, setup);
    await resticBench(measurements, comparisons, setup);
  } finally {
    await removeImageProcessFiles();
  }
  return { name: 'catalog', setup, measurements, comparisons };
}
