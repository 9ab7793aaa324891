/**
 * Real Kopia repositories for tests, made by the kopia binary `testenv/build.sh` builds (v0.21.1).
 *
 * Every repository gets a private temp directory holding its config files, cache and logs (`--config-file`,
 * KOPIA_CACHE_DIRECTORY, KOPIA_LOG_DIR, HOME), so nothing touches the user's home; `cleanup()` removes it, including
 * a filesystem repository created inside it.
 *
 * How the identities and times are chosen (kopia 0.21 CLI):
 * - `snapshot()` uses `snapshot create <dir> --override-source=user@host:/path`: one process per snapshot with the
 *   exact source a VolSync mover would produce (`/data` need not exist). ~0.3 s each.
 * - `snapshotMany()` is the fast path: `repository set-client --username --hostname` on a second connection, then one
 *   `snapshot create dir1 dir2 …` that snapshots every directory as its own source `user@host:<dir>`. Kopia loops
 *   over the sources in one process, so 50 snapshots take ~0.5 s instead of ~15 s (measured on 2 cores).
 *   KOPIA_OVERRIDE_USERNAME/HOSTNAME are not read by the 0.21 CLI (only the VolSync mover script uses them to call
 *   set-client), hence set-client.
 * - `--start-time`/`--end-time` take Kopia's `2006-01-02 15:04:05 MST` layout (whole seconds, UTC here).
 * - The repository is created as `maintenance@lifeboat-test` (hidden `--override-username/--override-hostname` of
 *   create), which makes that connection the maintenance owner; automatic maintenance is switched off so only
 *   `maintenance()` compacts or deletes anything, and tests stay deterministic.
 * - Incomplete snapshots: `--upload-limit-mb` saves a manifest with `incomplete: "limit reached"`; a real
 *   `incomplete: "checkpoint"` comes from `checkpoint()`, which streams stdin with the hidden
 *   `--checkpoint-interval=1s`, waits until the checkpoint manifest is visible and kills the process, like a mover
 *   pod killed mid-backup.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { binary } from './testenv.ts';

export type KopiaEncryption = 'AES256-GCM-HMAC-SHA256' | 'CHACHA20-POLY1305-HMAC-SHA256';
export type KopiaKeyDerivation = 'scrypt-65536-8-1' | 'pbkdf2-sha256-600000';

/** The S3 server fields `test/support/s3server.ts` provides, plus the key prefix of this repository. */
export interface KopiaS3Target {
  /** `http://127.0.0.1:port` (a scheme is stripped; TLS is disabled for loopback servers). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
  /** Passed to `--prefix` verbatim: Kopia concatenates it with blob IDs, so `team/` and `team` differ. */
  prefix: string;
}

export type KopiaBackend = { kind: 'filesystem' } | ({ kind: 's3' } & KopiaS3Target);

export interface CreateKopiaRepositoryOptions {
  backend: KopiaBackend;
  password?: string;
  encryption?: KopiaEncryption;
  keyDerivation?: KopiaKeyDerivation;
  /** `--format-version`: 1 = legacy index v1 with `n`/`m` compaction logs and `[3,3]` shards; default 3. */
  formatVersion?: 1 | 2 | 3;
}

/** The fields of `kopia snapshot list --json` the tests compare. */
export interface KopiaSnapshotJson {
  id: string;
  source: { host: string; userName: string; path: string };
  startTime: string;
  endTime: string;
  incomplete?: string;
  stats?: { totalSize?: number };
  rootEntry?: { obj?: string; summ?: { size?: number } };
}

/** The fields of `kopia content list --json` the tests use. */
export interface KopiaContentJson {
  contentID: string;
  packFile: string;
  packOffset: number;
  length: number;
  /** Compression header ID; absent when stored uncompressed. */
  compression?: number;
}

/** What the reader should return for a `kopia snapshot list --all --json` result, in Kopia's own order. */
export interface ExpectedSnapshot {
  id: string;
  time: string;
  incomplete: boolean;
  sizeBytes: number | undefined;
}

/**
 * Groups Kopia's JSON listing by source `user@host:path`, keeping Kopia's order (sorted by start time within a
 * source) and shortening start times to milliseconds like the catalog's Snapshot.time.
 */
export function expectedSources(list: KopiaSnapshotJson[]): Map<string, ExpectedSnapshot[]> {
  const result = new Map<string, ExpectedSnapshot[]>();
  for (const s of list) {
    const source = `${s.source.userName}@${s.source.host}:${s.source.path}`;
    const group = result.get(source) ?? [];
    group.push({
      id: s.id,
      time: new Date(Date.parse(s.startTime)).toISOString(),
      incomplete: Boolean(s.incomplete),
      sizeBytes: s.stats?.totalSize,
    });
    result.set(source, group);
  }
  return result;
}

export const DEFAULT_PASSWORD = 'lifeboat-test-password';
const MAINTENANCE_IDENTITY = { user: 'maintenance', host: 'lifeboat-test' };
/** Output kept for error messages. */
const TAIL = 2000;

export function kopiaTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Writes `files` (relative path → content) into a new directory below `parent` and returns its path. */
export async function makeSourceDir(parent: string, name: string, files: Record<string, string | Uint8Array>) {
  const dir = join(parent, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

export class KopiaTestRepository {
  /** Private directory: configs, cache, logs, source directories and (filesystem backend) the repository. */
  readonly root: string;
  readonly password: string;
  readonly backend: KopiaBackend;
  /** The repository directory (filesystem backend only). */
  readonly repoPath: string | undefined;
  private readonly adminConfig: string;
  private readonly writerConfig: string;
  private writerConnected = false;
  private readonly children = new Set<ChildProcess>();

  constructor(root: string, password: string, backend: KopiaBackend) {
    this.root = root;
    this.password = password;
    this.backend = backend;
    this.repoPath = backend.kind === 'filesystem' ? join(root, 'repo') : undefined;
    this.adminConfig = join(root, 'admin.config');
    this.writerConfig = join(root, 'writer.config');
  }

  private env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: join(this.root, 'home'),
      TZ: 'UTC',
      KOPIA_PASSWORD: this.password,
      KOPIA_CHECK_FOR_UPDATES: 'false',
      KOPIA_CACHE_DIRECTORY: join(this.root, 'cache'),
      KOPIA_LOG_DIR: join(this.root, 'logs'),
    };
  }

  private configArgs(config: string): string[] {
    return [`--config-file=${config}`, `--log-dir=${join(this.root, 'logs')}`, '--no-use-keyring'];
  }

  /** Runs kopia on the maintenance-owner connection; resolves with stdout, rejects with the command and stderr. */
  async run(args: string[], config = this.adminConfig): Promise<string> {
    const argv = [...this.configArgs(config), ...args];
    return await new Promise((resolve, reject) => {
      execFile(binary('kopia'), argv, { env: this.env(), maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`kopia ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-TAIL)}`));
        } else {
          resolve(stdout);
        }
      });
    });
  }

  /** Backend flags for `repository create|connect <backend>`. */
  backendArgs(): string[] {
    if (this.backend.kind === 'filesystem') return ['filesystem', `--path=${this.repoPath}`];
    const b = this.backend;
    return [
      's3',
      `--bucket=${b.bucket}`,
      `--endpoint=${b.endpoint.replace(/^[a-z]+:\/\//i, '')}`,
      ...(b.endpoint.startsWith('https://') ? [] : ['--disable-tls']),
      `--access-key=${b.accessKeyId}`,
      `--secret-access-key=${b.secretAccessKey}`,
      `--region=${b.region}`,
      `--prefix=${b.prefix}`,
    ];
  }

  /**
   * The repository's unique ID as `kopia repository status` and lifeboat print it: the hex of the format blob's
   * uniqueID (filesystem repositories).
   */
  async uniqueId(): Promise<string> {
    if (!this.repoPath) throw new Error('uniqueId() reads the format blob of a filesystem repository');
    const blob = JSON.parse(await readFile(join(this.repoPath, 'kopia.repository.f'), 'utf8')) as { uniqueID: string };
    return Buffer.from(blob.uniqueID, 'base64').toString('hex');
  }

  /** One snapshot of `dir` recorded as `source` (`user@host:/path`), optionally at a chosen time. */
  async snapshot(opts: {
    source: string;
    dir: string;
    startTime?: Date;
    endTime?: Date;
    uploadLimitMb?: number;
    description?: string;
  }): Promise<KopiaSnapshotJson> {
    const args = ['snapshot', 'create', opts.dir, `--override-source=${opts.source}`, '--json'];
    if (opts.startTime) args.push(`--start-time=${kopiaTime(opts.startTime)}`);
    if (opts.endTime) args.push(`--end-time=${kopiaTime(opts.endTime)}`);
    if (opts.uploadLimitMb !== undefined) args.push(`--upload-limit-mb=${opts.uploadLimitMb}`);
    if (opts.description) args.push(`--description=${opts.description}`);
    return JSON.parse(await this.run(args)) as KopiaSnapshotJson;
  }

  /**
   * Snapshots every directory in `dirs` as its own source `user@host:<dir>` in a single kopia process (see the file
   * comment). All get the same start time when `startTime` is given.
   */
  async snapshotMany(opts: { user: string; host: string; dirs: string[]; startTime?: Date }): Promise<void> {
    if (!this.writerConnected) {
      await this.run(['repository', 'connect', ...this.backendArgs()], this.writerConfig);
      this.writerConnected = true;
    }
    await this.run(
      ['repository', 'set-client', `--username=${opts.user}`, `--hostname=${opts.host}`],
      this.writerConfig,
    );
    const args = ['snapshot', 'create', ...opts.dirs];
    if (opts.startTime) args.push(`--start-time=${kopiaTime(opts.startTime)}`);
    await this.run(args, this.writerConfig);
  }

  /**
   * Leaves a real checkpoint manifest (`incomplete: "checkpoint"`) for `source`: a stdin snapshot with a 1 s
   * checkpoint interval is fed a first chunk, kept waiting for more, and killed once the checkpoint is visible.
   */
  async checkpoint(source: string, timeoutMs = 20_000): Promise<void> {
    const dir = await makeSourceDir(this.root, `checkpoint-${randomBytes(4).toString('hex')}`, {});
    const args = [
      ...this.configArgs(this.adminConfig),
      'snapshot',
      'create',
      dir,
      '--stdin-file=data.bin',
      '--checkpoint-interval=1s',
      `--override-source=${source}`,
    ];
    const child = spawn(binary('kopia'), args, { env: this.env(), stdio: ['pipe', 'ignore', 'pipe'] });
    this.children.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-TAIL);
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Writing to a kopia that already died must not crash the test process with EPIPE; the loop below reports it.
    child.stdin?.on('error', () => {});
    try {
      child.stdin?.write(randomBytes(2 * 1024 * 1024));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await this.listSnapshots()).some(
          (s) => s.incomplete === 'checkpoint' && `${s.source.userName}@${s.source.host}:${s.source.path}` === source,
        );
        if (found) break;
        if (child.exitCode !== null) throw new Error(`kopia exited before writing a checkpoint:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no checkpoint for ${source} within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
      this.children.delete(child);
    }
  }

  async deleteSnapshots(ids: string[]): Promise<void> {
    await this.run(['snapshot', 'delete', ...ids, '--delete']);
  }

  /** `kopia maintenance run`; `safety: 'none'` makes it delete and compact everything eligible right away. */
  async maintenance(opts: { full?: boolean; safety?: 'none' | 'full' } = {}): Promise<void> {
    await this.run([
      'maintenance',
      'run',
      opts.full === false ? '--no-full' : '--full',
      `--safety=${opts.safety ?? 'none'}`,
    ]);
  }

  /** `kopia snapshot list --all --json` (includes incomplete snapshots, all sources). */
  async listSnapshots(): Promise<KopiaSnapshotJson[]> {
    return JSON.parse(await this.run(['snapshot', 'list', '--all', '--json'])) as KopiaSnapshotJson[];
  }

  /** IDs of the index blobs Kopia itself considers active (`kopia index list --json`). */
  async activeIndexBlobs(): Promise<string[]> {
    const list = JSON.parse(await this.run(['index', 'list', '--json'])) as { id: string }[];
    return list.map((b) => b.id).sort();
  }

  /** `kopia content list --json` for one content prefix (`m` manifests, `k` directories, …). */
  async contents(prefix: string): Promise<KopiaContentJson[]> {
    return JSON.parse(await this.run(['content', 'list', '--json', `--prefix=${prefix}`])) as KopiaContentJson[];
  }

  /** Removes the private directory (and a filesystem repository in it); kills a still-running checkpoint writer. */
  async cleanup(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Creates a repository with the real kopia binary. Call `cleanup()` in an after hook. */
export async function createKopiaRepository(opts: CreateKopiaRepositoryOptions): Promise<KopiaTestRepository> {
  const root = await mkdtemp(join(tmpdir(), 'lifeboat-kopia-'));
  const repo = new KopiaTestRepository(root, opts.password ?? DEFAULT_PASSWORD, opts.backend);
  try {
    await repo.run([
      'repository',
      'create',
      ...repo.backendArgs(),
      `--encryption=${opts.encryption ?? 'AES256-GCM-HMAC-SHA256'}`,
      `--format-block-key-derivation-algorithm=${opts.keyDerivation ?? 'scrypt-65536-8-1'}`,
      `--format-version=${opts.formatVersion ?? 3}`,
      `--override-username=${MAINTENANCE_IDENTITY.user}`,
      `--override-hostname=${MAINTENANCE_IDENTITY.host}`,
    ]);
    await repo.run(['maintenance', 'set', '--enable-quick=false', '--enable-full=false']);
  } catch (error) {
    await repo.cleanup();
    throw error;
  }
  return repo;
}
