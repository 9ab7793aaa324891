/**
 * The one small storage interface the repository readers use. Implementations: local filesystem (an NFS mount in
 * production) and S3-compatible endpoints. Keys are '/'-separated and relative to the storage root (a directory, or a
 * bucket plus prefix); how a repository format maps its blob IDs to keys (Kopia's `.shards`, restic's `data/xx/`) is
 * the reader's business, not the storage's.
 */

/** Why a storage operation failed; readers turn these into catalog decision causes. */
export type StorageErrorCode =
  | 'unreachable' // connection refused/reset, DNS failure, TLS failure, missing mount
  | 'access-denied' // 401/403, EACCES/EPERM
  | 'timeout' // the caller's deadline passed
  | 'no-such-bucket' // S3 bucket (or filesystem root directory) does not exist
  | 'io'; // anything else the backend reported (5xx, EIO, malformed listing)

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  /** The storage location without credentials, e.g. `s3://bucket/prefix/` or `/mnt/backups`. */
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
  /** Every key that starts with `prefix` (recursively), in no particular order. A missing root lists as empty. */
  list(prefix: string, signal?: AbortSignal): Promise<BlobInfo[]>;
  /** The blob's bytes (or a byte range of them); `undefined` when the key does not exist. */
  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}
