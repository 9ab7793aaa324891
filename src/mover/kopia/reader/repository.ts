/**
 * A Kopia repository reader over BlobStorage, without the kopia binary (kopia's source, repo/format and repo/content):
 * format blob → password check → active index blobs → live manifest contents → snapshot manifests.
 *
 * The object is meant to live as long as the catalog refreshes the repository: the password-derived key and every
 * decrypted immutable blob (index blobs and manifest contents never change under their names) are kept between
 * calls, so a periodic re-scan lists blobs, re-reads the small format blob and fetches only what is new.
 */
import type { BlobStorage } from '../../../repository/storage/storage.ts';
import { RepositoryError } from '../../../repository/types.ts';
import { type BlobLayout, type BlobMeta, filesystemLayout, s3Layout } from './blob-layout.ts';
import { contentPrefix, MANIFEST_PREFIX } from './content-id.ts';
import { MissingBlobError, readContent } from './content-reader.ts';
import { corrupt, toRepositoryError } from './errors.ts';
import { formatLoader, type OpenRepository } from './format-loader.ts';
import type { IndexEntry } from './index-blob.ts';
import { indexLoader } from './index-loader.ts';
import { type ManifestEntry, ManifestFormatError, mergeManifestEntries, parseManifestContent } from './manifests.ts';
import { liveContents } from './merge.ts';
import { mapLimit } from './parallel.ts';
import { retain } from './retain.ts';
import { type KopiaSnapshot, snapshotsBySource } from './snapshots.ts';

/** How the repository's blobs are laid out in the storage. */
export type KopiaLayout =
  | { kind: 'filesystem' }
  /**
   * Keys are `prefix + blobID` from the storage root (the bucket). A non-empty prefix without a trailing slash is
   * tried as `prefix/` first and then as given, for VolSync-fork repositories created before 2025-08-08.
   */
  | { kind: 's3'; prefix: string };

export interface KopiaReaderOptions {
  layout: KopiaLayout;
  /** Parallel blob reads per refresh (default 8). */
  concurrency?: number;
}

/** Counters that show what a refresh had to fetch (cache effectiveness; used by tests and metrics). */
export interface KopiaReaderStats {
  keyDerivations: number;
  indexBlobReads: number;
  manifestContentReads: number;
  refreshes: number;
  /** Refreshes repeated because a blob vanished mid-read (maintenance racing the reader). */
  maintenanceRetries: number;
  /** Reads of the manifests repeated because the active index set changed while they were read. */
  indexSetChanges: number;
}

export interface KopiaRepository {
  readonly location: string;
  /**
   * Every snapshot in the repository grouped by source `user@host:path`: sources sorted, snapshots ascending by
   * start time. Checkpoints of unfinished snapshots are included with `incomplete: true`. An initialised repository
   * without snapshots gives an empty map; everything else that prevents an answer throws RepositoryError.
   */
  listSources(signal?: AbortSignal): Promise<Map<string, KopiaSnapshot[]>>;
  /**
   * The unique ID (hex, as `kopia repository status` prints it) of the repository the last successful listing read,
   * or undefined before one succeeded.
   */
  uniqueId(): string | undefined;
  /** IDs of the index blobs that are authoritative right now (what `kopia index list` shows), sorted. */
  activeIndexBlobs(signal?: AbortSignal): Promise<string[]>;
  /** The decrypted, decompressed bytes of one content (e.g. a `k…` directory object), for diagnostics. */
  readContent(contentId: string, signal?: AbortSignal): Promise<Uint8Array>;
  stats(): KopiaReaderStats;
}

/** The S3 prefixes to try, in order (see KopiaLayout). */
export function s3PrefixCandidates(prefix: string): string[] {
  if (prefix === '' || prefix.endsWith('/')) return [prefix];
  return [`${prefix}/`, prefix];
}

const DEFAULT_CONCURRENCY = 8;
/** Reads of the manifests against a changing index set before a refresh gives up (see `refresh`). */
const MAX_INDEX_SET_READS = 4;

function sameBlobs(a: readonly BlobMeta[], b: readonly BlobMeta[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((m) => m.id));
  return b.every((m) => ids.has(m.id));
}

/** Creates the reader; no I/O happens until the first call, so construction never fails on a backend outage. */
export function openKopiaRepository(
  storage: BlobStorage,
  password: string,
  options: KopiaReaderOptions,
): KopiaRepository {
  const layouts =
    options.layout.kind === 'filesystem'
      ? [filesystemLayout(storage)]
      : s3PrefixCandidates(options.layout.prefix).map((p) => s3Layout(storage, p));
  const primary = layouts[0] as BlobLayout;
  const location = primary.location;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const counters: KopiaReaderStats = {
    keyDerivations: 0,
    indexBlobReads: 0,
    manifestContentReads: 0,
    refreshes: 0,
    maintenanceRetries: 0,
    indexSetChanges: 0,
  };

  let lastUniqueId: string | undefined;
  const formats = formatLoader(layouts, password, () => counters.keyDerivations++);
  const indexes = indexLoader(concurrency, () => counters.indexBlobReads++);
  const manifestCache = new Map<string, ManifestEntry[]>();

  const open = async (signal?: AbortSignal): Promise<OpenRepository> => {
    const { repository, replaced } = await formats.load(signal);
    if (replaced) {
      // A different repository now answers at this location: nothing cached belongs to it.
      indexes.clear();
      manifestCache.clear();
    }
    return repository;
  };

  const manifestContent = async (repo: OpenRepository, entry: IndexEntry, signal?: AbortSignal) => {
    const cached = manifestCache.get(entry.contentId);
    if (cached) return cached;
    const plain = await readContent(repo.layout, repo.decryptor, entry, signal);
    counters.manifestContentReads++;
    let parsed: ManifestEntry[];
    try {
      parsed = parseManifestContent(plain);
    } catch (error) {
      if (!(error instanceof ManifestFormatError)) throw error;
      throw corrupt(
        repo.layout.where(entry.packBlobId),
        `manifest content ${entry.contentId}: ${error.message}`,
        error,
      );
    }
    manifestCache.set(entry.contentId, parsed);
    return parsed;
  };

  /**
   * The snapshots, from an index set that held still while it was read. Listing the index blobs is a walk (of
   * directories, or of S3 pages), not an atomic snapshot of the repository: while maintenance compacts the indexes
   * (at once with `--safety=none`), a walk can pass a compaction's new output before it is written and reach its
   * inputs after they are deleted, and so see neither; the snapshots recorded only there would be missing, a wrong
   * "fresh". So the active set is listed again after the read and must be unchanged; else the read is repeated
   * (cheap: parsed index blobs and manifests are cached), and after MAX_INDEX_SET_READS changing sets the refresh
   * fails instead of guessing.
   */
  const refresh = async (signal?: AbortSignal): Promise<Map<string, KopiaSnapshot[]>> => {
    const repo = await open(signal);
    const uniqueId = Buffer.from(repo.uniqueId, 'base64').toString('hex');
    let blobs = await indexes.active(repo, signal);
    for (let attempt = 1; ; attempt++) {
      const result = await snapshotsFrom(repo, blobs, signal);
      const again = await indexes.active(repo, signal);
      if (sameBlobs(blobs, again)) {
        lastUniqueId = uniqueId;
        return result;
      }
      counters.indexSetChanges++;
      if (attempt >= MAX_INDEX_SET_READS) {
        throw new RepositoryError(
          'backend-error',
          location,
          `the repository's index blobs changed during each of ${attempt} reads (maintenance compacting the indexes?): ` +
            'no consistent listing this time; the next refresh reads again',
        );
      }
      blobs = again;
    }
  };

  const snapshotsFrom = async (repo: OpenRepository, blobs: BlobMeta[], signal?: AbortSignal) => {
    const live = liveContents(await indexes.entries(repo, blobs, MANIFEST_PREFIX, signal));
    const contents = await mapLimit(
      [...live.values()],
      concurrency,
      (entry) => manifestContent(repo, entry, signal),
      signal,
    );
    retain(manifestCache, new Set(live.keys()));
    try {
      return snapshotsBySource(mergeManifestEntries(contents).values());
    } catch (error) {
      if (!(error instanceof ManifestFormatError)) throw error;
      throw corrupt(repo.layout.location, error.message, error);
    }
  };

  /**
   * Runs `fn`; if a blob named by a listing or an index disappeared (maintenance deleting superseded index blobs or
   * rewritten packs between our listing and our read), re-lists once and retries, then reports corruption.
   */
  const withMaintenanceRetry = async <T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof MissingBlobError)) throw error;
        counters.maintenanceRetries++;
        for (const layout of layouts) layout.invalidate();
        try {
          return await fn();
        } catch (again) {
          if (!(again instanceof MissingBlobError)) throw again;
          throw corrupt(
            location,
            `${again.message}, also after re-listing the indexes: the repository is missing data (run kopia repository validate-provider / snapshot verify)`,
            again,
          );
        }
      }
    } catch (error) {
      throw toRepositoryError(error, location, signal);
    }
  };

  return {
    location,
    async listSources(signal) {
      counters.refreshes++;
      return await withMaintenanceRetry(() => refresh(signal), signal);
    },
    async activeIndexBlobs(signal) {
      return await withMaintenanceRetry(async () => {
        const repo = await open(signal);
        return (await indexes.active(repo, signal)).map((b) => b.id).sort();
      }, signal);
    },
    async readContent(contentId, signal) {
      return await withMaintenanceRetry(async () => {
        const repo = await open(signal);
        const blobs = await indexes.active(repo, signal);
        const entry = liveContents(await indexes.entries(repo, blobs, contentPrefix(contentId), signal)).get(contentId);
        if (!entry) throw corrupt(location, `content ${contentId} is not in the repository index`);
        return await readContent(repo.layout, repo.decryptor, entry, signal);
      }, signal);
    },
    uniqueId: () => lastUniqueId,
    stats: () => ({ ...counters }),
  };
}
