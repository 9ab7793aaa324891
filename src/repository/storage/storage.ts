/**
 * The one small storage interface the repository readers use. Implementations: local filesystem (an NFS mount in
 * production) and S3-compatible endpoints. Keys are '/'-separated and relative to the storage root (a directory, or a
 * bucket plus prefix); how a repository format maps its blob IDs to keys (Kopia's `.shards`, restic's `data/xx/`) is
 * the reader's business, not the storage's.
 */

/** Why a storage operation failed; readers turn these into catalog decision causes. */
export type StorageErrorCode =
  | 'unreachable' // connection refused/reset, DNS, TLS; NFS ENOTCONN/ESTALE/EIO; FsStorage's mountPoint missing
  | 'access-denied' // 401/403, EACCES/EPERM
  | 'timeout' // the caller's signal aborted (deadline) or the per-request timeout passed
  | 'no-such-bucket' // S3 bucket does not exist (a missing filesystem mount point is 'unreachable')
  | 'io'; // anything else the backend reported (5xx, a 404 without NoSuchKey, malformed listing, invalid key)

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  /** The storage location without credentials, e.g. `s3:http://minio:9000/bucket/prefix/` or `/mnt/backups`. */
  readonly location: string;
  constructor(code: StorageErrorCode, location: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.location = location;
  }
}

export interface BlobInfo {
  /** Key relative to the storage root. */
  key: string;
  size: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface BlobStorage {
  /** Human-readable location without credentials, for messages and metrics labels. */
  readonly location: string;
  /**
   * Every key that starts with `prefix` (recursively), in no particular order. Temp files and junk are listed too:
   * readers filter names. A missing root lists as empty — but only once the backend has answered (the bucket exists,
   * the filesystem mount point exists); a backend that cannot answer throws.
   */
  list(prefix: string, signal?: AbortSignal): Promise<BlobInfo[]>;
  /** The keys `list` gives, without sizes (a filesystem then need not stat every file). */
  listKeys(prefix: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * The blob's bytes (or a byte range of them; a range past the end yields the bytes that exist, possibly none).
   * `undefined` means the backend answered "no such key" — never a failure to ask, a missing bucket or mount, or a
   * denied request, which all throw StorageError. Readers rely on this to tell "no repository" from "cannot tell".
   */
  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}
