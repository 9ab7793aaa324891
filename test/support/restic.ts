/**
 * Real restic repositories for tests, made by `binary('restic')` (v0.18.1, the version VolSync's mover ships).
 *
 * ```ts
 * const repo = await createResticRepository({ on: 'fs', version: 2 });          // or { on: 's3', server, version: 1 }
 * t.after(() => repo.cleanup());
 * const id = await repo.backup({ time: '2026-01-02 03:04:05' });              // as VolSync's mover: host volsync, /data
 * const listed = await repo.snapshots();                                     // `restic snapshots --json`
 * await repo.forget([id]); await repo.addKey('another password');
 * await repo.corrupt(`snapshots/${id}`);                                     // flip a byte, keep the name
 * ```
 *
 * Every command runs with TZ=UTC (unless a test asks for another zone), a fixed password, RESTIC_CACHE_DIR in the
 * repository's temp directory and `--no-cache`, so files a test damages are always read back from the repository.
 */

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Server } from './s3server.ts';
import { binary } from './testenv.ts';

export const RESTIC_TEST_PASSWORD = 'lifeboat-test-password';

export interface CreateResticOptions {
  /** Repository format: `restic init --repository-version`. */
  version: 1 | 2;
  password?: string;
  /** Where the repository lives. `fs` = a new temp directory; `s3` = `<server.bucket>/<prefix>` on the MinIO server. */
  on: 'fs' | 's3';
  server?: S3Server;
  /**
   * S3 key prefix (default: a random one). For `fs`: an absolute directory (the caller owns and removes it), or a
   * path below the repository's temp directory (default `repo`).
   */
  path?: string;
  /** Skip `restic init`: a location where nothing exists yet (for "repository not found" tests). */
  uninitialised?: boolean;
}

export interface BackupOptions {
  /** Snapshot time, restic's `--time` format `YYYY-MM-DD HH:MM:SS`, read in `tz`. Default: now. */
  time?: string;
  /** Time zone restic runs in (it stores the snapshot time with this zone's offset). Default UTC. */
  tz?: string;
  /** Default 'volsync', like the mover's `--host volsync`. */
  host?: string;
  tags?: string[];
  /** Files of the volume (path → content). Default: one small random file (VolSync skips empty volumes). */
  files?: Record<string, string | Uint8Array>;
}

/** `restic snapshots --json` entries (what the reader is compared with). */
export interface ResticJsonSnapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  username?: string;
  paths: string[];
  tags?: string[];
  tree: string;
  summary?: { total_bytes_processed?: number };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ResticTestRepository {
  /** The RESTIC_REPOSITORY value: an absolute path or `s3:http://127.0.0.1:PORT/bucket/prefix`. */
  readonly repository: string;
  readonly password: string;
  /** The filesystem root (fs) or the key prefix inside the bucket (s3). */
  readonly root: string;
  readonly on: 'fs' | 's3';
  /** Temp directory holding the repository (fs), the restic cache and backup sources. */
  readonly dir: string;
  /** Takes a snapshot exactly as VolSync's mover does; returns its ID. */
  backup(options?: BackupOptions): Promise<string>;
  snapshots(): Promise<ResticJsonSnapshot[]>;
  forget(ids: string[]): Promise<void>;
  /** `restic key add` with another password. */
  addKey(password: string): Promise<void>;
  /** Any restic command against this repository; throws with restic's output when it exits non-zero. */
  run(args: string[], options?: { password?: string; tz?: string }): Promise<string>;
  /** Like run() but returns the exit code instead of throwing. */
  tryRun(args: string[], options?: { password?: string; tz?: string }): Promise<RunResult>;
  /** Raw bytes of a repository file (`config`, `snapshots/<id>`); undefined when missing. */
  readRaw(key: string): Promise<Uint8Array | undefined>;
  writeRaw(key: string, bytes: Uint8Array): Promise<void>;
  deleteRaw(key: string): Promise<void>;
  /** Flips one byte in the middle of the file and keeps its name (its sha256 no longer matches the name). */
  corrupt(key: string): Promise<void>;
  /**
   * Flips one byte and renames the file to the sha256 of the damaged bytes, so only the MAC can tell (what a bad
   * disk plus a tool that "repairs" names would leave). Returns the new key.
   */
  corruptAndRename(key: string): Promise<string>;
  /** Removes the temp directory (and, on S3, nothing: the server's own stop() removes its data). */
  cleanup(): Promise<void>;
}

/** Temp directories of repositories whose cleanup() has not run; removed when the test process exits anyway. */
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

export async function createResticRepository(options: CreateResticOptions): Promise<ResticTestRepository> {
  const restic = binary('restic');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-restic-'));
  liveDirs.add(dir);
  const password = options.password ?? RESTIC_TEST_PASSWORD;
  let repository: string;
  let root: string;
  // Only an s3 repository uses the server; fs repositories ignore it (callers may pass it for both).
  const s3 = options.on === 's3' ? options.server : undefined;
  if (options.on === 's3') {
    if (!s3) throw new Error("createResticRepository({ on: 's3' }) needs the MinIO server: pass `server`");
    root = (options.path ?? `restic-${randomBytes(4).toString('hex')}`).replace(/^\/+|\/+$/g, '');
    repository = `s3:${s3.endpoint}/${s3.bucket}/${root}`;
  } else {
    root = options.path?.startsWith('/') ? options.path : join(dir, options.path ?? 'repo');
    repository = root;
  }

  const env = (pw: string, tz = 'UTC'): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    TZ: tz,
    RESTIC_REPOSITORY: repository,
    RESTIC_PASSWORD: pw,
    RESTIC_CACHE_DIR: join(dir, 'cache'),
    // `backup --json` prints a status line per progress tick; one every few hours means none in a test.
    RESTIC_PROGRESS_FPS: '0.0001',
    ...(s3 ? { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey } : {}),
  });

  const tryRun = (args: string[], opts: { password?: string; tz?: string; prefix?: string[] } = {}) =>
    new Promise<RunResult>((resolve) => {
      const [command, ...rest] = [...(opts.prefix ?? []), restic, ...args, '--no-cache'];
      execFile(
        command as string,
        rest,
        { env: env(opts.password ?? password, opts.tz), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const run = async (args: string[], opts: { password?: string; tz?: string; prefix?: string[] } = {}) => {
    const result = await tryRun(args, opts);
    if (result.code !== 0) {
      throw new Error(`restic ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }
    return result.stdout;
  };

  const objectKey = (key: string) => `${root}/${key}`;
  const readRaw = async (key: string): Promise<Uint8Array | undefined> => {
    if (!s3) {
      try {
        return readFileSync(join(root, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    }
    try {
      const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: objectKey(key) }));
      return await out.Body?.transformToByteArray();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  const writeRaw = async (key: string, bytes: Uint8Array) => {
    if (!s3) {
      mkdirSync(dirname(join(root, key)), { recursive: true });
      writeFileSync(join(root, key), bytes);
      return;
    }
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey(key), Body: bytes }));
  };
  const deleteRaw = async (key: string) => {
    if (!s3) return rmSync(join(root, key), { force: true });
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: objectKey(key) }));
  };
  const flipped = async (key: string) => {
    const bytes = await readRaw(key);
    if (!bytes) throw new Error(`cannot corrupt ${key}: it does not exist in ${repository}`);
    const copy = Uint8Array.from(bytes);
    const at = Math.floor(copy.length / 2);
    copy[at] = (copy[at] as number) ^ 0x5a;
    return copy;
  };

  const repo: ResticTestRepository = {
    repository,
    password,
    root,
    on: options.on,
    dir,
    async backup(backup: BackupOptions = {}) {
      const source = mkdtempSync(join(dir, 'volume-'));
      const files = backup.files ?? { 'data.bin': randomBytes(1024 + Math.floor(Math.random() * 4096)) };
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(source, path)), { recursive: true });
        writeFileSync(join(source, path), content);
      }
      const args = ['backup', '--host', backup.host ?? 'volsync', '--exclude=lost+found', '--json'];
      if (backup.time) args.push('--time', backup.time);
      for (const tag of backup.tags ?? []) args.push('--tag', tag);
      args.push('.');
      const newRoot = join(dir, `newroot-${randomBytes(4).toString('hex')}`);
      const result = await tryRun(args, {
        ...(backup.tz ? { tz: backup.tz } : {}),
        prefix: asVolume(source, newRoot),
      }).finally(() => {
        // rmdir, never a recursive rm: were the namespace's bind mounts of / ever visible here, a recursive rm
        // would walk into the host's real directories. An empty mount point is all the host should see.
        rmdirSync(newRoot);
        rmSync(source, { recursive: true, force: true });
      });
      if (result.code !== 0) {
        const namespaces = /unshare|mount:|chroot/.test(result.stderr)
          ? '\nTaking a backup as the VolSync mover needs a private mount namespace: run the tests as root, or ' +
            'allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1).'
          : '';
        throw new Error(
          `restic ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}${namespaces}`,
        );
      }
      const stdout = result.stdout;
      const summary = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { message_type?: string; snapshot_id?: string })
        .find((m) => m.message_type === 'summary');
      if (!summary?.snapshot_id) throw new Error(`restic backup printed no snapshot ID:\n${stdout}`);
      return summary.snapshot_id;
    },
    async snapshots() {
      return JSON.parse(await run(['snapshots', '--json'])) as ResticJsonSnapshot[];
    },
    async forget(ids: string[]) {
      await run(['forget', ...ids]);
    },
    async addKey(newPassword: string) {
      const file = join(dir, `new-password-${randomBytes(4).toString('hex')}`);
      writeFileSync(file, newPassword);
      try {
        await run(['key', 'add', '--new-password-file', file]);
      } finally {
        rmSync(file, { force: true });
      }
    },
    run: (args, opts = {}) => run(args, opts),
    tryRun: (args, opts = {}) => tryRun(args, opts),
    readRaw,
    writeRaw,
    deleteRaw,
    async corrupt(key: string) {
      await writeRaw(key, await flipped(key));
    },
    async corruptAndRename(key: string) {
      const bytes = await flipped(key);
      const renamed = `${dirname(key)}/${createHash('sha256').update(bytes).digest('hex')}`;
      if (s3) {
        await writeRaw(renamed, bytes);
        await deleteRaw(key);
      } else {
        writeFileSync(join(root, key), bytes);
        renameSync(join(root, key), join(root, renamed));
      }
      return renamed;
    },
    async cleanup() {
      liveDirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  if (!options.uninitialised) {
    try {
      await run(['init', '--repository-version', String(options.version)]);
    } catch (error) {
      await repo.cleanup();
      throw error;
    }
  }
  return repo;
}

/**
 * The command prefix that runs restic with `source` mounted at `/data` and `/data` as working directory, like the
 * VolSync mover's `cd /data && restic backup --host volsync .` — restic records the absolute working directory, so
 * this is what makes the snapshot's `paths` exactly `["/data"]` with a real directory tree below it.
 *
 * Why a private mount namespace with a new root: the host may have no `/data` (this machine has none) and tests must
 * not create or cover the machine's real `/data`. `unshare -m` gives the command its own mount table; in it a tmpfs
 * becomes the new root, every top-level directory of the host is bind-mounted into it (so the restic binary, the
 * temp repository and the cache keep their paths) and `source` is bind-mounted at `/data`; then `chroot` there. None
 * of it is visible outside the namespace, and it all vanishes when the command exits. `restic backup --stdin
 * --stdin-filename data` would also record `/data`, but as a single file rather than the volume's directory tree the
 * mover backs up. As root `unshare -m` suffices; otherwise `-r` adds a user namespace that grants the mount rights.
 */
function asVolume(source: string, newRoot: string): string[] {
  mkdirSync(newRoot, { recursive: true });
  const script = [
    'set -eu',
    'src=$1; newroot=$2; shift 2',
    'mount -t tmpfs -o mode=0755 lifeboat-volume-root "$newroot"',
    'for entry in /*; do',
    '  name=$(basename "$entry")',
    '  [ "$name" = data ] && continue',
    '  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$newroot/$name"',
    '  elif [ -d "$entry" ]; then mkdir "$newroot/$name" && mount --rbind "$entry" "$newroot/$name"',
    '  else touch "$newroot/$name" && mount --bind "$entry" "$newroot/$name"; fi',
    'done',
    'mkdir "$newroot/data"',
    'mount --bind "$src" "$newroot/data"',
    `exec chroot "$newroot" /bin/sh -c 'cd /data && exec "$@"' sh "$@"`,
  ].join('\n');
  const asRoot = process.getuid?.() === 0;
  return [
    'unshare',
    asRoot ? '-m' : '-rm',
    '--propagation',
    'private',
    'bash',
    '-c',
    script,
    'as-volume',
    source,
    newRoot,
  ];
}
