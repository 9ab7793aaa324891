/**
 * Where a Kopia blob ID lives in a BlobStorage (kopia's source, repo/format and repo/content).
 *
 * - Filesystem: `<id>.f`, split into directories by the `.shards` parameters (`{"default":[1,3],
 *   "maxNonShardedLength":20}` on repositories created by current Kopia; `[3,3]` assumed when `.shards` is missing,
 *   exactly as Kopia does when it opens an older repository). Listings do not depend on the parameters at all: IDs
 *   are rebuilt from the recursive listing (directory names + file name minus `.f`), as Kopia's own ListBlobs does,
 *   so an unexpected shard layout still lists correctly.
 * - S3: object key = prefix + blob ID, no sharding, no suffix.
 */
import type { BlobStorage, ByteRange } from '../../../repository/storage/storage.ts';
import { corrupt } from './errors.ts';

export interface BlobMeta {
  id: string;
  key: string;
  size: number;
}

export interface BlobLayout {
  /** The repository's location for messages, e.g. `/mnt/repo` or `s3://bucket/prefix/`. */
  readonly location: string;
  /** Blobs whose ID starts with `idPrefix`, sorted by ID. */
  list(idPrefix: string, signal?: AbortSignal): Promise<BlobMeta[]>;
  /** A blob's bytes or a byte range of them; `undefined` when the blob does not exist. */
  get(id: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Where a blob is, for messages: `/mnt/repo/xn0_….f`-style or `s3:…/bucket/prefix/xn0_…`. */
  where(id: string): string;
  /** Forget what was learnt about the layout (shard parameters, listed keys) so the next call looks again. */
  invalidate(): void;
}

export interface ShardParameters {
  defaultShards: number[];
  maxNonShardedLength: number;
  overrides: { prefix: string; shards: number[] }[];
}

/** What Kopia assumes for an existing repository without `.shards` (`sharded.New` with isCreate=false). */
export const LEGACY_SHARDS: ShardParameters = { defaultShards: [3, 3], maxNonShardedLength: 20, overrides: [] };

export const SHARDS_FILE = '.shards';
const FILE_SUFFIX = '.f';

/** Parses `.shards`; throws 'corrupt' when it is not the JSON Kopia writes. */
export function parseShardParameters(text: string, location: string): ShardParameters {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(location, `${SHARDS_FILE} is not valid JSON`, error);
  }
  const obj = json as { default?: unknown; maxNonShardedLength?: unknown; overrides?: unknown };
  if (!isShardList(obj.default) || typeof obj.maxNonShardedLength !== 'number') {
    throw corrupt(location, `${SHARDS_FILE} lacks "default" shard sizes or "maxNonShardedLength"`);
  }
  const overrides: ShardParameters['overrides'] = [];
  if (Array.isArray(obj.overrides)) {
    for (const o of obj.overrides as { prefix?: unknown; shards?: unknown }[]) {
      if (typeof o.prefix !== 'string' || !isShardList(o.shards)) {
        throw corrupt(location, `${SHARDS_FILE} has a malformed override entry`);
      }
      overrides.push({ prefix: o.prefix, shards: o.shards });
    }
  }
  return { defaultShards: obj.default, maxNonShardedLength: obj.maxNonShardedLength, overrides };
}

function isShardList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => Number.isInteger(n) && n > 0);
}

/** The storage key of a blob under the given shard parameters (Kopia's GetShardDirectoryAndBlob). */
export function shardedKey(id: string, params: ShardParameters): string {
  if (id.length <= params.maxNonShardedLength) return id + FILE_SUFFIX;
  const shards = params.overrides.find((o) => id.startsWith(o.prefix))?.shards ?? params.defaultShards;
  const parts: string[] = [];
  let rest = id;
  for (const size of shards) {
    if (rest.length <= size) break;
    parts.push(rest.slice(0, size));
    rest = rest.slice(size);
  }
  parts.push(rest + FILE_SUFFIX);
  return parts.join('/');
}

/** The blob ID a filesystem key stands for, or undefined for files Kopia ignores (temp files, `.shards`). */
export function blobIdFromShardedKey(key: string): string | undefined {
  if (!key.endsWith(FILE_SUFFIX)) return undefined;
  const id = key.slice(0, -FILE_SUFFIX.length).replaceAll('/', '');
  return id === '' ? undefined : id;
}

export function filesystemLayout(storage: BlobStorage): BlobLayout {
  let shards: Promise<ShardParameters> | undefined;
  // Keys seen in listings win over computed ones: they are where the files really are.
  const listedKeys = new Map<string, string>();

  const loadShards = async (signal?: AbortSignal): Promise<ShardParameters> => {
    const bytes = await storage.get(SHARDS_FILE, undefined, signal);
    if (bytes === undefined) return LEGACY_SHARDS;
    return parseShardParameters(new TextDecoder().decode(bytes), `${storage.location}/${SHARDS_FILE}`);
  };

  return {
    location: storage.location,
    async list(idPrefix, signal) {
      // Every file of an ID starting with character c has a key starting with c (unsharded at the root, or under a
      // first-level directory named by the ID's first characters), so one string-prefix listing finds them all.
      const infos = await storage.list(idPrefix.slice(0, 1), signal);
      const result: BlobMeta[] = [];
      for (const info of infos) {
        const id = blobIdFromShardedKey(info.key);
        if (id === undefined || !id.startsWith(idPrefix)) continue;
        listedKeys.set(id, info.key);
        result.push({ id, key: info.key, size: info.size });
      }
      return result.sort(byId);
    },
    async get(id, range, signal) {
      const known = listedKeys.get(id);
      if (known !== undefined) return await storage.get(known, range, signal);
      shards ??= loadShards(signal);
      let params: ShardParameters;
      try {
        params = await shards;
      } catch (error) {
        shards = undefined;
        throw error;
      }
      return await storage.get(shardedKey(id, params), range, signal);
    },
    where(id) {
      return `${storage.location.replace(/\/+$/, '')}/${listedKeys.get(id) ?? `${id} (sharded)`}`;
    },
    invalidate() {
      shards = undefined;
      listedKeys.clear();
    },
  };
}

export function s3Layout(storage: BlobStorage, prefix: string): BlobLayout {
  const location = `${storage.location.replace(/\/+$/, '')}/${prefix}`;
  return {
    location,
    async list(idPrefix, signal) {
      const infos = await storage.list(prefix + idPrefix, signal);
      return infos
        .filter((info) => info.key.startsWith(prefix + idPrefix))
        .map((info) => ({ id: info.key.slice(prefix.length), key: info.key, size: info.size }))
        .sort(byId);
    },
    async get(id, range, signal) {
      return await storage.get(prefix + id, range, signal);
    },
    where(id) {
      return `${location}${id}`;
    },
    invalidate() {},
  };
}

function byId(a: BlobMeta, b: BlobMeta): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
