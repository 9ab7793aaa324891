/**
 * The part of a restore drill that lifeboat adds beyond the restore itself, for a 1 GiB volume with 10,000 files:
 * `lifeboat verify-volume` started as a fresh process (as the verification Job's container runs it) and walking the
 * volume. One sample is one process from spawn to exit, with the file system's metadata in the page cache (a restored
 * volume was just written). The files are sparse: the scan reads only metadata (lstat), so their data need not
 * exist on disk. Not measured here: the Job's scheduling and container start on a node (the real-node drill tests log
 * their step timings).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/support/testenv.ts';
import type { BenchResult } from './run.ts';
import { measured } from './support/report.ts';

const run = promisify(execFile);
const FILES = 10_000;
const DIRS = 100;
const BYTES = 2 ** 30;
const SAMPLES = 5;

export default async function bench(): Promise<BenchResult> {
  const root = await mkdtemp(join(tmpdir(), 'bench-drill-scan-'));
  try {
    const size = Math.floor(BYTES / FILES);
    for (let d = 0; d < DIRS; d++) {
      const dir = join(root, `d${d}`);
      await mkdir(dir);
      for (let f = 0; f < FILES / DIRS; f++) {
        const handle = await open(join(dir, `f${f}`), 'w');
        await handle.truncate(size);
        await handle.close();
      }
    }
    const built = join(REPO_ROOT, 'dist/lifeboat.js');
    const entry = existsSync(built) ? built : join(REPO_ROOT, 'src/cli/main.ts');
    const args = [
      entry,
      'verify-volume',
      '--path',
      root,
      '--expect-files',
      String(FILES),
      '--expect-bytes',
      String(size * FILES),
    ];
    const samples: number[] = [];
    let out = '';
    for (let i = 0; i < SAMPLES + 1; i++) {
      const t0 = process.hrtime.bigint();
      out = (await run(process.execPath, args)).stdout;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i > 0) samples.push(ms); // the first run warms the page cache with the tree's metadata
    }
    const bare: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = process.hrtime.bigint();
      await run(process.execPath, [entry, 'version']);
      bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return {
      name: 'restore drill: verification scan',
      setup: [
        `${FILES} files of ${size} bytes (${(size * FILES) / 2 ** 30} GiB) in ${DIRS} directories, sparse`,
        `entry ${entry.replace(REPO_ROOT, '')}; scan result ${out.trim()}`,
      ],
      measurements: [
        measured(
          'lifeboat verify-volume, spawn to exit',
          'ms',
          samples,
          `${SAMPLES} fresh processes after one warm-up, metadata in the page cache`,
        ),
        measured('lifeboat version, spawn to exit (process start alone)', 'ms', bare, `${SAMPLES} fresh processes`),
      ],
      comparisons: [],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
