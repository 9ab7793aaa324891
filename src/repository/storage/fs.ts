/**
 * BlobStorage over a local directory — in production an NFS mount shared with the VolSync movers.
 *
 * Two things matter more here than on a local disk:
 * - "Nothing there" must not be confused with "the mount is gone" (docs/design.md#fail-open-answers,
 * #authoritative-no-over-existing-data). A missing key or root only reads
 *   as absent when the `mountPoint` directory exists; otherwise every call fails 'unreachable'.
 * - A hung NFS server blocks the syscall in libuv's thread pool and Node cannot cancel it. Every operation is raced
 *   against the caller's AbortSignal so the caller gets 'timeout' on time, even though the blocked thread lingers.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { raceAbort } from '../abort.ts';
import { type BlobInfo, type BlobStorage, type ByteRange, StorageError, type StorageErrorCode } from './storage.ts';

export interface FsStorageOptions {
  /** Absolute directory that holds the blobs (a repository root). It may not exist yet: that lists as empty. */
  root: string;
  /**
   * Absolute directory that must exist for this storage to count as reachable: the NFS mount point, or the base
   * directory of a repository template (`/mnt/backups` for `/mnt/backups/{namespace}-{pvc}`). It is checked only when
   * something is missing, so the happy path costs nothing. Without it a missing root simply reads as "nothing there",
   * which cannot tell an unmounted volume from an empty one — always set it in production.
   */
  mountPoint?: string;
  /** How many `stat` calls a listing runs at once (each is a round trip on NFS). Default 16. */
  statConcurrency?: number;
}

/** errno codes that mean the file system itself is not answering (NFS server gone, stale handle, dead mount). */
const UNREACHABLE_ERRNO = new Set([
  'ENOTCONN',
  'ESTALE',
  'EIO',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);
const DENIED_ERRNO = new Set(['EACCES', 'EPERM']);
const MISSING_ERRNO = new Set(['ENOENT', 'ENOTDIR']);

export class FsStorage implements BlobStorage {
  readonly location: string;
  readonly root: string;
  readonly mountPoint: string | undefined;
  private readonly statConcurrency: number;

  constructor(options: FsStorageOptions) {
    if (!isAbsolute(options.root))
      throw new Error(`filesystem storage root must be an absolute path, got '${options.root}'`);
    if (options.mountPoint !== undefined && !isAbsolute(options.mountPoint)) {
      throw new Error(`filesystem mount point must be an absolute path, got '${options.mountPoint}'`);
    }
    this.root = normalize(options.root).replace(/(.)\/+$/, '$1');
    this.mountPoint = options.mountPoint;
    this.location = this.root;
    this.statConcurrency = Math.max(1, options.statConcurrency ?? 16);
  }

  /** A storage rooted at `path` below this one, with the same mount point (for walking a template's base). */
  child(path: string): FsStorage {
    return new FsStorage({
      root: this.resolve(path),
      ...(this.mountPoint === undefined ? {} : { mountPoint: this.mountPoint }),
      statConcurrency: this.statConcurrency,
    });
  }

  /** Whether the root directory exists. Fails 'unreachable' when the mount point is missing. */
  async rootExists(signal?: AbortSignal): Promise<boolean> {
    try {
      const info = await this.guard(stat(this.root), signal, 'stat', this.root);
      return info.isDirectory();
    } catch (error) {
      if (isMissing(error)) {
        await this.assertMounted(signal);
        return false;
      }
      throw error;
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<BlobInfo[]> {
    const { files, links } = await this.walk(prefix, signal);
    return await this.sizes([...files, ...links], signal);
  }

  /**
   * The keys `list` would give, without their sizes: a regular file is taken from the directory listing itself (no
   * `stat` per file, the bulk of a warm restic refresh); only a symbolic link is stat'ed, to list it only when it
   * leads to a file, as `list` does. A file removed after the listing is still named, as it could be between `list`
   * and the read that follows: readers already treat a missing blob as gone.
   */
  async listKeys(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const { files, links } = await this.walk(prefix, signal);
    if (links.length === 0) return files;
    return [...files, ...(await this.sizes(links, signal)).map((info) => info.key)];
  }

  /** Every regular file and symbolic link below the directory of `prefix` whose key starts with `prefix`. */
  private async walk(prefix: string, signal: AbortSignal | undefined): Promise<{ files: string[]; links: string[] }> {
    const slash = prefix.lastIndexOf('/');
    const startDir = slash < 0 ? '' : prefix.slice(0, slash);
    const files: string[] = [];
    const links: string[] = [];
    // Directories are read by a small pool: restic's `data/` alone has 256 subdirectories, one round trip each.
    const pending: string[] = [startDir];
    let active = 0;
    const readOne = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await this.guard(readdir(this.resolve(dir), { withFileTypes: true }), signal, 'list', dir);
      } catch (error) {
        // The start directory missing is "nothing there" (if mounted); a subdirectory vanishing mid-walk is a
        // concurrent prune or forget, equally "nothing there".
        if (isMissing(error)) {
          if (dir === startDir) await this.assertMounted(signal);
          return;
        }
        throw error;
      }
      for (const entry of entries) {
        const key = dir === '' ? entry.name : `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) pending.push(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          files.push(key);
        } else if (entry.isSymbolicLink() && key.startsWith(prefix)) {
          links.push(key);
        }
      }
    };
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const pump = () => {
        if (failed) return;
        if (pending.length === 0 && active === 0) return resolve();
        while (pending.length > 0 && active < this.statConcurrency) {
          const dir = pending.pop() as string;
          active++;
          readOne(dir).then(
            () => {
              active--;
              pump();
            },
            (error: unknown) => {
              failed = true;
              reject(error);
            },
          );
        }
      };
      pump();
    });
    return { files, links };
  }

  /** Names of the directories directly below `prefix` (a directory key such as `volsync/` or ''), for discovery. */
  async listDirectories(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const dir = prefix.replace(/\/+$/, '');
    try {
      const entries = await this.guard(readdir(this.resolve(dir), { withFileTypes: true }), signal, 'list', dir);
      return entries.filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if (isMissing(error)) {
        await this.assertMounted(signal);
        return [];
      }
      throw error;
    }
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const path = this.resolve(key);
    try {
      if (range === undefined) {
        const data = await this.guard(readFile(path, signal ? { signal } : {}), signal, 'read', key);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      }
      return await this.guard(readRange(path, range), signal, 'read', key);
    } catch (error) {
      if (isMissing(error)) {
        await this.assertMounted(signal);
        return undefined;
      }
      throw error;
    }
  }

  /** Fails 'unreachable' when the mount point is configured and absent: then "missing" would be a lie. */
  private async assertMounted(signal: AbortSignal | undefined): Promise<void> {
    if (this.mountPoint === undefined) return;
    const mountPoint = this.mountPoint;
    let ok = false;
    try {
      ok = (await this.guard(stat(mountPoint), signal, 'stat', mountPoint)).isDirectory();
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (!ok) {
      throw new StorageError(
        'unreachable',
        this.location,
        `${mountPoint} does not exist or is not a directory: the backup volume is not mounted. ` +
          'Check the volume mount of the lifeboat pod and that the NFS export is reachable.',
      );
    }
  }

  private async sizes(keys: string[], signal: AbortSignal | undefined): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        try {
          const info = await this.guard(stat(this.resolve(key)), signal, 'stat', key);
          if (info.isFile()) out.push({ key, size: info.size });
        } catch (error) {
          if (!isMissing(error)) throw error; // deleted between readdir and stat: not there any more
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.statConcurrency, keys.length) }, worker));
    return out;
  }

  /** Absolute path of a key; refuses keys that would escape the root. */
  private resolve(key: string): string {
    if (key === '') return this.root;
    const path = normalize(join(this.root, key));
    if (isAbsolute(key) || (path !== this.root && !path.startsWith(this.root + sep))) {
      throw new StorageError('io', this.location, `invalid key '${key}': keys are relative and stay below the root`);
    }
    return path;
  }

  /** Runs a file system call under the caller's signal and turns failures into StorageErrors (ENOENT passes). */
  private async guard<T>(
    operation: Promise<T>,
    signal: AbortSignal | undefined,
    what: string,
    key: string,
  ): Promise<T> {
    try {
      return await raceAbort(operation, signal);
    } catch (error) {
      if (signal?.aborted) {
        throw new StorageError('timeout', this.location, `${what} ${key}: cancelled before the file system answered`, {
          cause: error,
        });
      }
      if (isMissing(error) || error instanceof StorageError) throw error;
      const code = errnoOf(error);
      const kind: StorageErrorCode = DENIED_ERRNO.has(code)
        ? 'access-denied'
        : UNREACHABLE_ERRNO.has(code)
          ? 'unreachable'
          : 'io';
      const hint =
        kind === 'access-denied'
          ? ' (check the file permissions and the UID/GID lifeboat runs as against the NFS export)'
          : kind === 'unreachable'
            ? ' (the NFS server is not answering or the mount went stale)'
            : '';
      throw new StorageError(kind, this.location, `${what} ${key}: ${code || describe(error)}${hint}`, {
        cause: error,
      });
    }
  }
}

async function readRange(path: string, range: ByteRange): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(Math.max(0, range.length));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, range.offset + filled);
      if (bytesRead === 0) break; // end of file: a range past the end yields the bytes that exist
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

function errnoOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : '';
}

function isMissing(error: unknown): boolean {
  return MISSING_ERRNO.has(errnoOf(error));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
