/**
 * VolSync's real mover scripts (`mover-restic/entry.sh`, `mover-kopia/entry.sh` of the kopia fork in
 * ../shared/volsync) run as plain processes — bash, jq, coreutils and the testenv's restic/kopia — against a real
 * repository, with a temp directory as the volume. What they print is what a mover Pod would log; `statusLogs` is what
 * VolSync would then store in the ReplicationDestination's `status.latestMoverStatus.logs`.
 *
 * ```ts
 * const run = await runResticMoverRestore({ repo, restoreAsOf: '2026-03-01T10:00:06Z' });
 * run.result;      // 'Successful' | 'Failed' (the Job's outcome: the script's exit code)
 * run.statusLogs;  // the filtered, truncated log VolSync keeps
 * run.files();     // what landed in the volume
 * ```
 *
 * How this differs from a mover Pod, and why it does not change what is selected or reported:
 * - The environment is the one VolSync's controller builds for a destination (mover/restic/mover.go,
 *   mover/kopia/mover.go), minus what needs a Pod (CUSTOM_CA, cache size limits).
 * - The volume is a temp directory instead of `/data` (restic) or `/restore/data` (kopia). restic restores into
 *   `DATA_DIR` whatever its path (it selects by the `/data` path recorded in the snapshot); the kopia script looks for
 *   source path `/data` when `DATA_DIR` is `/restore/data`, and for `KOPIA_SOURCE_PATH_OVERRIDE` when that is set —
 *   so `KOPIA_SOURCE_PATH_OVERRIDE=/data` gives the same `user@host:/data` identity and the same selection.
 * - `PRIVILEGED_MOVER=0` and no `sync -f` target beyond the temp directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { KopiaTestRepository } from './kopia.ts';
import type { ResticTestRepository } from './restic.ts';
import { binary, REPO_ROOT } from './testenv.ts';

/** The VolSync source tarball (README in ../shared/volsync). Override with LIFEBOAT_VOLSYNC_SOURCE. */
export const VOLSYNC_SOURCE =
  process.env.LIFEBOAT_VOLSYNC_SOURCE ?? join(REPO_ROOT, '..', 'shared', 'volsync', 'volsync-src.tgz');

/**
 * VolSync's restic log filter for `latestMoverStatus.logs` — mirrors `resticRegex` in
 * internal/controller/mover/restic/logfilter.go (Go RE2; these alternatives mean the same in JavaScript).
 */
const RESTIC_FILTER = new RegExp(
  [
    String.raw`^\s*([pP]rocessed)\s.+([fF]iles)`,
    String.raw`^\s*([sS]napshot)\s.+([sS]aved)`,
    String.raw`^\s*(No eligible)`,
    '(No data)',
    '(Directory is empty)',
    String.raw`^\s*([cC]reated)`,
    String.raw`^\s*([rR]epository)\s.+([oO]pened)`,
    String.raw`^\s*([rR]estoring)`,
    String.raw`^\s*([nN]o parent snapshot)`,
    String.raw`^\s*([uU]sing parent snapshot)`,
    String.raw`^\s*([aA]dded to the repository)`,
    String.raw`^\s*([sS]uccessfully)`,
    '(RESTORE_OPTIONS)',
    '([iI]nitialize [dD]ir)',
    String.raw`^\s*([fF]atal)`,
    String.raw`^\s*(ERROR)`,
    String.raw`^\s*([rR]estic completed in)`,
  ].join('|'),
);

/**
 * VolSync's kopia destination filter — mirrors `LogFilter` in internal/controller/mover/kopia/logparser.go (the fork
 * uses it for ReplicationDestinations instead of the `kopiaRegex` of logfilter.go, which only sources use).
 */
function kopiaDestinationFilter(line: string): boolean {
  const lower = line.toLowerCase();
  if (lower.includes('error') || lower.includes('failed') || lower.includes('unable to')) return true;
  if (
    line.includes('=== Discovery Mode') ||
    line.includes('Available Snapshots') ||
    line.includes('No snapshots found')
  )
    return true;
  if (/^[^@]+@[^:]+:.+\s+\d{4}-\d{2}-\d{2}/.test(line)) return true;
  if (line.includes('"userName"') && line.includes('"hostName"')) return true;
  return (
    line.includes('Snapshot created successfully') ||
    line.includes('Snapshot restore completed') ||
    line.includes('Repository connected') ||
    line.includes('No eligible snapshots')
  );
}

/** `MOVER_LOG_MAX_BYTES`' default in internal/controller/utils/podlogs.go: VolSync keeps the last 1024 bytes. */
export const MOVER_LOG_MAX_BYTES = 1024;

/**
 * What VolSync stores in `latestMoverStatus.logs` from a mover Pod's log: the lines its filter keeps, joined with
 * "\n", cut to the last `MOVER_LOG_MAX_BYTES` bytes (utils.FilterLogs, truncateMoverLog). `debug` mirrors
 * `MOVER_LOG_DEBUG=true`, which keeps every line.
 */
export function volsyncStatusLogs(mover: 'restic' | 'kopia', podLog: string, debug = false): string {
  const keep = mover === 'restic' ? (l: string) => RESTIC_FILTER.test(l) : kopiaDestinationFilter;
  const lines = podLog.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const filtered = Buffer.from(lines.filter((l) => debug || keep(l)).join('\n'));
  return filtered.subarray(Math.max(0, filtered.length - MOVER_LOG_MAX_BYTES)).toString('utf8');
}

export interface MoverRestoreResult {
  /** The script's exit code; the Job succeeds (VolSync reports `Successful`) only on 0. */
  code: number;
  result: 'Successful' | 'Failed';
  /** stdout and stderr in order, as `kubectl logs` of the mover Pod shows them. */
  podLog: string;
  /** `status.latestMoverStatus.logs` as VolSync would write it (default filter). */
  statusLogs: string;
  /** The volume the script restored into. */
  dataDir: string;
  /** Every regular file of the volume, path → content. */
  files(): Record<string, string>;
  cleanup(): void;
}

let scripts: string | undefined;

/** The two entry.sh scripts, extracted once per process from the VolSync source tarball. */
function moverScript(mover: 'restic' | 'kopia'): string {
  if (!scripts) {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-volsync-movers-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const tar = spawnSync('tar', ['-xzf', VOLSYNC_SOURCE, '-C', dir, 'mover-restic/entry.sh', 'mover-kopia/entry.sh'], {
      encoding: 'utf8',
    });
    if (tar.status !== 0) throw new Error(`cannot extract the mover scripts from ${VOLSYNC_SOURCE}: ${tar.stderr}`);
    scripts = dir;
  }
  const path = join(scripts, `mover-${mover}`, 'entry.sh');
  chmodSync(path, 0o755);
  return path;
}

/** A PATH directory where `restic` / `kopia` name the testenv's binaries, as in the mover image. */
function toolDir(root: string, name: 'restic' | 'kopia'): string {
  const dir = join(root, 'bin');
  mkdirSync(dir, { recursive: true });
  symlinkSync(binary(name), join(dir, name));
  return dir;
}

/** Runs the mover's script in a new scratch directory, with the environment `envOf` builds for it. */
async function runScript(
  mover: 'restic' | 'kopia',
  envOf: (dirs: { dataDir: string; cache: string }) => Record<string, string>,
  args: string[],
): Promise<MoverRestoreResult> {
  const { root, dataDir, cache } = scratch(mover);
  const env = { ...envOf({ dataDir, cache }), DATA_DIR: dataDir };
  const script = moverScript(mover);
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
    // One pipe for both streams keeps their order, like the container log.
    const child = spawn('bash', ['-c', 'exec "$0" "$@" 2>&1', script, ...args], {
      env: { PATH: `${toolDir(root, mover)}:/usr/local/bin:/usr/bin:/bin`, TZ: 'UTC', HOME: root, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ code: status ?? -1, output: Buffer.concat(chunks).toString('utf8') }));
  });
  return {
    code,
    result: code === 0 ? 'Successful' : 'Failed',
    podLog: output,
    statusLogs: volsyncStatusLogs(mover, output),
    dataDir,
    files: () => readTree(dataDir),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** A temp directory per run: the volume (`data`), the mover's cache (`cache`) and its tools (`bin`). */
function scratch(mover: 'restic' | 'kopia'): { root: string; dataDir: string; cache: string } {
  const root = mkdtempSync(join(tmpdir(), `lifeboat-${mover}-mover-`));
  const dataDir = join(root, 'data');
  const cache = join(root, 'cache');
  mkdirSync(dataDir);
  mkdirSync(cache);
  return { root, dataDir, cache };
}

/** `entry.sh restore` of the restic mover against `repo`, with `RESTORE_AS_OF` as lifeboat's restore point sets it. */
export async function runResticMoverRestore(opts: {
  repo: Pick<ResticTestRepository, 'repository' | 'password'>;
  restoreAsOf?: string;
}): Promise<MoverRestoreResult> {
  return runScript(
    'restic',
    ({ cache }) => ({
      PRIVILEGED_MOVER: '0',
      RESTIC_CACHE_DIR: cache,
      RESTIC_PASSWORD: opts.repo.password,
      RESTIC_REPOSITORY: opts.repo.repository,
      ...(opts.restoreAsOf ? { RESTORE_AS_OF: opts.restoreAsOf } : {}),
    }),
    ['restore'],
  );
}

/**
 * The kopia mover as a destination (`DIRECTION=destination`, what the fork's controller sets) against a filesystem
 * repository, restoring identity `username@hostname:/data`.
 */
export async function runKopiaMoverRestore(opts: {
  repo: Pick<KopiaTestRepository, 'repoPath' | 'password'>;
  username: string;
  hostname: string;
  restoreAsOf?: string;
}): Promise<MoverRestoreResult> {
  if (!opts.repo.repoPath) throw new Error('runKopiaMoverRestore needs a filesystem repository');
  return runScript(
    'kopia',
    ({ cache }) => ({
      DIRECTION: 'destination',
      KOPIA_CACHE_DIR: cache,
      KOPIA_PASSWORD: opts.repo.password,
      KOPIA_REPOSITORY: `filesystem://${opts.repo.repoPath}`,
      KOPIA_OVERRIDE_USERNAME: opts.username,
      KOPIA_OVERRIDE_HOSTNAME: opts.hostname,
      KOPIA_SOURCE_PATH_OVERRIDE: '/data',
      ...(opts.restoreAsOf ? { KOPIA_RESTORE_AS_OF: opts.restoreAsOf } : {}),
    }),
    [],
  );
}
