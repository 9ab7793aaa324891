/**
 * Loading the active index blobs of an opened repository: list, pick the authoritative set (index-set.ts),
 * decrypt and parse. Parsed manifest ('m') entries and v0 compaction logs are cached by blob ID — index blobs are
 * immutable under their names — and pruned to what is still listed.
 */
import type { BlobMeta } from './blob-layout.ts';
import { MANIFEST_PREFIX, prefixByte } from './content-id.ts';
import { MissingBlobError } from './content-reader.ts';
import { AuthenticationError, indexBlobIv } from './crypto.ts';
import { corrupt } from './errors.ts';
import type { OpenRepository } from './format-loader.ts';
import { type IndexEntry, IndexFormatError, parseIndexBlob } from './index-blob.ts';
import { activeEpochIndexBlobs, activeLegacyIndexBlobs, type CompactionLog, parseCompactionLog } from './index-set.ts';
import { mapLimit } from './parallel.ts';
import { retain } from './retain.ts';

export interface IndexLoader {
  /** The authoritative index blobs right now. */
  active(repo: OpenRepository, signal?: AbortSignal): Promise<BlobMeta[]>;
  /** Entries with content prefix `prefix` of each given index blob (cached for manifests). */
  entries(repo: OpenRepository, blobs: BlobMeta[], prefix: string, signal?: AbortSignal): Promise<IndexEntry[][]>;
  clear(): void;
}

export function indexLoader(concurrency: number, onIndexRead: () => void): IndexLoader {
  const entryCache = new Map<string, IndexEntry[]>();
  const logCache = new Map<string, CompactionLog>();

  const decrypt = async (repo: OpenRepository, meta: BlobMeta, signal?: AbortSignal): Promise<Buffer> => {
    const sealed = await repo.layout.get(meta.id, undefined, signal);
    if (sealed === undefined) throw new MissingBlobError(meta.id, `index blob ${meta.id} vanished after listing`);
    try {
      return repo.decryptor.decrypt(sealed, indexBlobIv(meta.id));
    } catch (error) {
      const why = error instanceof AuthenticationError ? 'fails authentication' : 'cannot be decrypted';
      throw corrupt(
        repo.layout.where(meta.id),
        `blob ${meta.id} ${why} although the password was accepted: it is damaged`,
        error,
      );
    }
  };

  const compactionLog = async (repo: OpenRepository, meta: BlobMeta, signal?: AbortSignal) => {
    const cached = logCache.get(meta.id);
    if (cached) return cached;
    let plain: Buffer;
    try {
      plain = await decrypt(repo, meta, signal);
    } catch (error) {
      // Kopia skips compaction logs deleted between listing and reading.
      if (error instanceof MissingBlobError) return undefined;
      throw error;
    }
    let log: CompactionLog;
    try {
      log = parseCompactionLog(plain);
    } catch (error) {
      throw corrupt(repo.layout.where(meta.id), `compaction log ${meta.id} is malformed`, error);
    }
    logCache.set(meta.id, log);
    return log;
  };

  return {
    async active(repo, signal) {
      if (repo.config.epochsEnabled) return activeEpochIndexBlobs(await repo.layout.list('x', signal)).blobs;
      const [indexes, logBlobs] = await Promise.all([repo.layout.list('n', signal), repo.layout.list('m', signal)]);
      const logs = await mapLimit(logBlobs, concurrency, (meta) => compactionLog(repo, meta, signal), signal);
      retain(logCache, new Set(logBlobs.map((b) => b.id)));
      return activeLegacyIndexBlobs(
        indexes,
        logs.filter((l): l is CompactionLog => l !== undefined),
      );
    },

    async entries(repo, blobs, prefix, signal) {
      const cacheable = prefix === MANIFEST_PREFIX;
      const lists = await mapLimit(
        blobs,
        concurrency,
        async (meta) => {
          const cached = cacheable ? entryCache.get(meta.id) : undefined;
          if (cached) return cached;
          const plain = await decrypt(repo, meta, signal);
          onIndexRead();
          let entries: IndexEntry[];
          try {
            entries = parseIndexBlob(plain, prefixByte(prefix));
          } catch (error) {
            if (!(error instanceof IndexFormatError)) throw error;
            throw corrupt(repo.layout.where(meta.id), `index blob ${meta.id} is malformed: ${error.message}`, error);
          }
          if (cacheable) entryCache.set(meta.id, entries);
          return entries;
        },
        signal,
      );
      if (cacheable) retain(entryCache, new Set(blobs.map((b) => b.id)));
      return lists;
    },

    clear() {
      entryCache.clear();
      logCache.clear();
    },
  };
}
