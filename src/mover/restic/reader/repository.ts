/**
 * Reading a restic repository's snapshot list straight from its bytes (restic's design document, doc/design.rst), with
 * no restic
 * binary: config → key → snapshots/. The reader never decides "restore or fresh"; it returns what the repository
 * holds or throws a RepositoryError saying why it could not tell:
 * - 'repository-not-found' only when the storage answered and there is no `config` (never for an unreachable or
 *   unmounted location, a missing bucket or a denied request: those keep their own codes);
 * - 'wrong-password' when no key file accepts the password;
 * - 'corrupt' for anything damaged after the password was accepted (MAC, hash, zstd, JSON);
 * - 'unsupported' for a repository version, KDF or legacy layout this reader does not handle.
 */
import type { BlobStorage } from '../../../repository/storage/storage.ts';
import { RepositoryError } from '../../../repository/types.ts';
import { defaultResticCache, masterKeyFingerprint, type ResticCache } from './cache.ts';
import { AuthenticationError, decrypt, type ResticKey } from './crypto.ts';
import { toRepositoryError } from './errors.ts';
import { decodeUnpacked, FormatError, parseJson } from './format.ts';
import { openMasterKey, sha256Hex } from './keys.ts';
import { mapLimit } from './map-limit.ts';
import { compareSnapshots, type ParsedSnapshot, parseSnapshot, type ResticSnapshot } from './snapshot.ts';

export interface ResticReaderOptions {
  /** Deadline / cancellation for the whole call; an abort surfaces as RepositoryError 'timeout'. */
  signal?: AbortSignal;
  /** Where keys and decoded snapshots are remembered between calls. Default: one cache shared process-wide. */
  cache?: ResticCache;
  /** How many snapshot files are read at once. Default 8. */
  concurrency?: number;
}

export interface ResticRepository {
  readonly location: string;
  /** Repository format version from `config`. */
  readonly version: 1 | 2;
  /** Repository ID from `config` (stable across moves of the repository; useful to spot two PVCs sharing one). */
  readonly id: string;
  /** Every snapshot in the repository, oldest first. Re-lists `snapshots/` on each call. */
  listSnapshots(signal?: AbortSignal): Promise<ResticSnapshot[]>;
}

const ID = /^[0-9a-f]{64}$/;

/** Opens the repository at the storage root: checks `config`, finds the master key. Throws RepositoryError. */
export async function openResticRepository(
  storage: BlobStorage,
  password: string,
  options: ResticReaderOptions = {},
): Promise<ResticRepository> {
  const { signal } = options;
  const cache = options.cache ?? defaultResticCache;
  const location = storage.location;
  try {
    signal?.throwIfAborted();
    // Both at once: one round trip for the common case; the listing is wasted only when there is no repository.
    const keysListing = storage.listKeys('keys/', signal);
    keysListing.catch(() => {});
    const sealedConfig = await storage.get('config', undefined, signal);
    if (sealedConfig === undefined) {
      throw new RepositoryError(
        'repository-not-found',
        location,
        `no restic repository at ${location}: there is no config file. If backups are expected here, check the ` +
          'repository path or URL (bucket and prefix) in the Secret.',
      );
    }
    const keyNames = idsIn(await keysListing, 'keys/');
    if (keyNames.length === 0) throw await noKeys(storage, signal);
    const opened = await openMasterKey({ storage, keyNames, password, sealedConfig, cache, signal });
    return new Repository(storage, opened.key, opened.config.version, opened.config.id, cache, options);
  } catch (error) {
    throw classify(error, location, signal);
  }
}

class Repository implements ResticRepository {
  readonly location: string;
  readonly version: 1 | 2;
  readonly id: string;
  private readonly storage: BlobStorage;
  private readonly key: ResticKey;
  private readonly keyFingerprint: string;
  private readonly cache: ResticCache;
  private readonly concurrency: number;

  constructor(
    storage: BlobStorage,
    key: ResticKey,
    version: 1 | 2,
    id: string,
    cache: ResticCache,
    options: ResticReaderOptions,
  ) {
    this.storage = storage;
    this.location = storage.location;
    this.key = key;
    this.keyFingerprint = masterKeyFingerprint(key);
    this.version = version;
    this.id = id;
    this.cache = cache;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  async listSnapshots(signal?: AbortSignal): Promise<ResticSnapshot[]> {
    try {
      signal?.throwIfAborted();
      const ids = idsIn(await this.storage.listKeys('snapshots/', signal), 'snapshots/');
      const parsed = await mapLimit(ids, this.concurrency, (id) => this.snapshot(id, signal));
      return parsed
        .filter((p): p is ParsedSnapshot => p !== undefined)
        .sort(compareSnapshots)
        .map((p) => p.snapshot);
    } catch (error) {
      throw classify(error, this.location, signal);
    }
  }

  /** One snapshot, from the cache or the file; undefined when the file vanished since the listing (forget). */
  private async snapshot(id: string, signal: AbortSignal | undefined): Promise<ParsedSnapshot | undefined> {
    const cacheId = `${this.keyFingerprint}:${id}`;
    const cached = this.cache.snapshots.get(cacheId);
    if (cached) return cached;
    const sealed = await this.storage.get(`snapshots/${id}`, undefined, signal);
    if (sealed === undefined) return undefined;
    this.cache.stats.snapshotFilesRead++;
    const where = `snapshots/${id}`;
    // restic names the file by the sha256 of its stored bytes: anything else was changed or cut short.
    if (sha256Hex(sealed) !== id) {
      throw new RepositoryError('corrupt', this.location, `${where}: content does not match its name (damaged file)`);
    }
    let plaintext: Uint8Array;
    try {
      plaintext = decrypt(this.key, sealed);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      throw new RepositoryError('corrupt', this.location, `${where}: MAC does not verify with the repository key`, {
        cause: error,
      });
    }
    let parsed: ParsedSnapshot;
    try {
      parsed = parseSnapshot(id, parseJson(decodeUnpacked(plaintext, this.version), 'the content'));
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      throw new FormatError(`${where}: ${error.message}`, error.unsupported);
    }
    this.cache.snapshots.set(cacheId, parsed);
    return parsed;
  }
}

/** File names under `dir` that are restic IDs; skips temp files (`<id>-tmp-…`), junk and deeper paths. */
function idsIn(listing: string[], dir: string): string[] {
  const ids: string[] = [];
  for (const key of listing) {
    const name = key.slice(dir.length);
    if (key.startsWith(dir) && ID.test(name)) ids.push(name);
  }
  return ids;
}

/** `config` exists but `keys/` is empty: the pre-0.17 S3 legacy layout (`key/`), or a damaged repository. */
async function noKeys(storage: BlobStorage, signal: AbortSignal | undefined): Promise<RepositoryError> {
  const legacy = idsIn(await storage.listKeys('key/', signal), 'key/');
  if (legacy.length > 0) {
    return new RepositoryError(
      'unsupported',
      storage.location,
      'this repository uses the legacy S3 layout (key/, snapshot/): run `restic migrate s3_layout` with restic 0.17',
    );
  }
  return new RepositoryError('corrupt', storage.location, 'the repository has a config but no key files in keys/');
}

function classify(error: unknown, location: string, signal: AbortSignal | undefined): RepositoryError {
  if (error instanceof FormatError) {
    return new RepositoryError(error.unsupported ? 'unsupported' : 'corrupt', location, error.message, {
      cause: error,
    });
  }
  return toRepositoryError(error, location, signal);
}
