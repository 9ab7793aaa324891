/**
 * What the repository readers hand to the catalog. Readers never decide "restore/fresh": they either return what
 * the repository holds or throw a RepositoryError saying why they could not tell.
 */

export interface Snapshot {
  /** Restic: the snapshot ID (64 hex). Kopia: the manifest ID. */
  id: string;
  /** Start time of the snapshot, RFC 3339 in UTC (`2026-01-02T03:04:05.123Z`). */
  time: string;
  /** The same instant in milliseconds since the epoch, for sorting and age arithmetic. */
  timeMs: number;
  /** Bytes of the source data when the repository records it (restic `summary`, kopia `stats`). */
  sizeBytes?: number;
  /**
   * Regular files in the snapshot when the repository records it (restic `summary.total_files_processed`, kopia
   * `stats.fileCount`): every path of a regular file counts, hard links once per path; directories, symlinks and
   * special files do not. `sizeBytes` is the sum of those files' sizes. A restore drill counts the same way.
   */
  fileCount?: number;
  /** Kopia checkpoint of an unfinished snapshot (never a restore point on its own). */
  incomplete?: boolean;
}

/** Why a reader could not answer (kopia's source, repo/format and repo/content, plus the storage failures). */
export type RepositoryErrorCode =
  | 'repository-not-found' // no restic `config` / kopia format blob at a reachable location
  | 'wrong-password' // no key verifies / the format blob does not decrypt
  | 'corrupt' // authentication or parse failure after the password was accepted
  | 'unsupported' // a format version or feature this reader does not handle
  | 'unreachable'
  | 'access-denied'
  | 'timeout'
  | 'backend-error';

export class RepositoryError extends Error {
  override readonly name = 'RepositoryError';
  readonly code: RepositoryErrorCode;
  /** Where (storage location, blob name) without credentials. */
  readonly location: string;
  constructor(code: RepositoryErrorCode, location: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.location = location;
  }
}
