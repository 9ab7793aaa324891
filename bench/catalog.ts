/**
 * Catalog benchmarks against the real binaries, in one run on one machine:
 * 1. Full scan of a Kopia repository with 1,000 snapshots across 200 sources vs `kopia snapshot list --all --json`
 *    (goal: ≤ 0.5× kopia's time).
 * 2. Full scan of restic repositories (one per PVC) vs `restic snapshots --json` run per repository
 *    (goal: ≤ 0.2× restic's time).
 * 3. One PVC's decision from the warm catalog vs one `kopia snapshot list <source> --json` (goal: ≥ 1000× faster).
 * 4. Heap held by a catalog of 100,000 snapshots.
 * Both tools get their caches warmed first (kopia's connected config and cache, restic's cache directory); lifeboat
 * is reported cold (new reader: key derivation included) and warm (the periodic refresh).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Catalog } from '../src/catalog/catalog.ts';
import { kopiaSource } from '../src/catalog/kopia-source.ts';
import { ResticCache } from '../src/catalog/restic/cache.ts';
import { resticSource } from '../src/catalog/restic-source.ts';
import type { CatalogSource, PvcRef, RepositoryRead } from '../src/catalog/source.ts';
import type { Snapshot } from '../src/catalog/types.ts';
import { decide } from '../src/decision/decide.ts';
import { createKopiaRepository, DEFAULT_PASSWORD, makeSourceDir } from '../test/support/kopia.ts';
import { createResticRepository, RESTIC_TEST_PASSWORD } from '../test/support/restic.ts';
import { binary } from '../test/support/testenv.ts';
import type { BenchResult, Comparison, Measurement } from './run.ts';

const KOPIA_NAMESPACES = 5;
const KOPIA_PVCS_PER_NAMESPACE = 40;
const KOPIA_ROUNDS = 5;
const RESTIC_REPOSITORIES = 20;
const RESTIC_SNAPSHOTS = 3;
const REPEAT = 5;
const DECISIONS = 200_000;
const MEMORY_PVCS = 2_000;
const MEMORY_SNAPSHOTS_PER_PVC = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function repeat(times: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await timed(fn));
  return median(samples);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function gc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
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
    const listed = JSON.parse(await repo.run(['snapshot', 'list', '--all', '--json'])) as unknown[];
    const sources = KOPIA_NAMESPACES * KOPIA_PVCS_PER_NAMESPACE;
    setup.push(`Kopia v0.21.1 filesystem repository: ${listed.length} snapshots across ${sources} sources`);

    const identity = `bench@{namespace}:${repo.root}/{pvc}`;
    const newSource = () =>
      kopiaSource({
        location: { kind: 'filesystem', path: repo.repoPath as string },
        identity,
        credentials: async () => ({ password: DEFAULT_PASSWORD }),
      });

    const kopiaAll = await repeat(REPEAT, () => repo.run(['snapshot', 'list', '--all', '--json']));
    const cold = await repeat(REPEAT, async () => {
      const source = newSource();
      const catalog = new Catalog({ source });
      const report = await catalog.refresh();
      if (report.result !== 'success') throw new Error(`kopia scan failed: ${JSON.stringify(report)}`);
      source.close();
    });
    const source = newSource();
    const catalog = new Catalog({ source });
    await catalog.refresh();
    if (catalog.pvcs().length !== sources) throw new Error(`expected ${sources} PVCs, found ${catalog.pvcs().length}`);
    const warm = await repeat(REPEAT, () => catalog.refresh());

    // One decision from the warm catalog: the admission / /exists path.
    const refs: PvcRef[] = catalog.pvcs();
    let restores = 0;
    const start = performance.now();
    for (let i = 0; i < DECISIONS; i++) {
      const ref = refs[i % refs.length] as PvcRef;
      const d = decide({ facts: await catalog.lookup(ref), nowMs: catalog.now(), staleAfterMs: catalog.staleAfterMs });
      if (d.decision === 'restore') restores++;
    }
    const perDecision = (performance.now() - start) / DECISIONS;
    if (restores !== DECISIONS) throw new Error(`expected only restore decisions, got ${restores} of ${DECISIONS}`);
    const firstSource = `bench@ns-0:${dirs[0]}`;
    const kopiaOne = await repeat(REPEAT, () => repo.run(['snapshot', 'list', firstSource, '--json']));
    await catalog.stop();
    source.close();

    measurements.push(
      { name: 'kopia snapshot list --all --json', value: kopiaAll, unit: 'ms (median)' },
      { name: 'lifeboat full scan, cold (new reader, key derivation)', value: cold, unit: 'ms (median)' },
      { name: 'lifeboat full scan, warm (periodic refresh)', value: warm, unit: 'ms (median)' },
      { name: 'kopia snapshot list <source> --json', value: kopiaOne, unit: 'ms (median)' },
      { name: 'lifeboat decision from the warm catalog', value: perDecision * 1000, unit: 'µs (mean)' },
    );
    comparisons.push(
      {
        name: 'Kopia full scan, cold',
        ratioMeaning: 'lifeboat time / kopia time',
        ratio: cold / kopiaAll,
        goal: '≤ 0.5',
        met: cold / kopiaAll <= 0.5,
      },
      {
        name: 'Kopia full scan, warm',
        ratioMeaning: 'lifeboat time / kopia time',
        ratio: warm / kopiaAll,
        goal: '≤ 0.5',
        met: warm / kopiaAll <= 0.5,
      },
      {
        name: 'One PVC decision',
        ratioMeaning: 'kopia time / lifeboat time (speed-up)',
        ratio: kopiaOne / perDecision,
        goal: '≥ 1000',
        met: kopiaOne / perDecision >= 1000,
      },
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
      `restic v0.18.1: ${RESTIC_REPOSITORIES} filesystem repositories (v2) × ${RESTIC_SNAPSHOTS} snapshots, ` +
        'restic with a warm cache directory',
    );
    const env = (repository: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: base,
      RESTIC_REPOSITORY: repository,
      RESTIC_PASSWORD: RESTIC_TEST_PASSWORD,
      RESTIC_CACHE_DIR: cacheDir,
    });
    const resticAll = async () => {
      for (const repository of repositories) await run(binary('restic'), ['snapshots', '--json'], env(repository));
    };
    await resticAll();
    const restic = await repeat(3, resticAll);

    const newSource = (cache: ResticCache): CatalogSource =>
      resticSource({
        repository: `${base}/{namespace}/{pvc}`,
        credentials: async () => ({ password: RESTIC_TEST_PASSWORD }),
        cache,
      });
    const cold = await repeat(3, async () => {
      const source = newSource(new ResticCache());
      const catalog = new Catalog({ source });
      const report = await catalog.refresh();
      if (report.result !== 'success' || report.repositories !== RESTIC_REPOSITORIES) {
        throw new Error(`restic scan failed: ${JSON.stringify(report)}`);
      }
      source.close();
    });
    const source = newSource(new ResticCache());
    const catalog = new Catalog({ source });
    await catalog.refresh();
    const warm = await repeat(REPEAT, () => catalog.refresh());
    await catalog.stop();
    source.close();

    measurements.push(
      { name: `restic snapshots --json × ${RESTIC_REPOSITORIES} repositories`, value: restic, unit: 'ms (median)' },
      { name: 'lifeboat restic full scan, cold (key derivation per repository)', value: cold, unit: 'ms (median)' },
      { name: 'lifeboat restic full scan, warm (periodic refresh)', value: warm, unit: 'ms (median)' },
    );
    comparisons.push(
      {
        name: 'restic full scan, cold',
        ratioMeaning: 'lifeboat time / restic time',
        ratio: cold / restic,
        goal: '≤ 0.2',
        met: cold / restic <= 0.2,
      },
      {
        name: 'restic full scan, warm',
        ratioMeaning: 'lifeboat time / restic time',
        ratio: warm / restic,
        goal: '≤ 0.2',
        met: warm / restic <= 0.2,
      },
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
  measurements.push(
    { name: `heap held by a catalog of ${total} snapshots`, value: (after - before) / 2 ** 20, unit: 'MiB' },
    { name: 'heap per snapshot', value: (after - before) / total, unit: 'bytes' },
  );
  await catalog.stop();
}

export default async function catalogBench(): Promise<BenchResult> {
  const measurements: Measurement[] = [];
  const comparisons: Comparison[] = [];
  const setup: string[] = [];
  await memoryBench(measurements, setup);
  await kopiaBench(measurements, comparisons, setup);
  await resticBench(measurements, comparisons, setup);
  return { name: 'catalog', setup, measurements, comparisons };
}
