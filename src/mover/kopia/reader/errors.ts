/**
 * Turning everything that can go wrong while reading a Kopia repository into the catalog's RepositoryError, so the
 * caller can tell "the repository says there is nothing" apart from "we could not find out"
 * (docs/design.md#fail-open-answers, #authoritative-no-over-existing-data).
 */
import { StorageError, type StorageErrorCode } from '../../../repository/storage/storage.ts';
import { RepositoryError, type RepositoryErrorCode } from '../../../repository/types.ts';

const STORAGE_TO_REPOSITORY: Record<StorageErrorCode, RepositoryErrorCode> = {
  unreachable: 'unreachable',
  'access-denied': 'access-denied',
  timeout: 'timeout',
  // A missing bucket or root directory is a mis-pointed (or unmounted) location, not an empty repository: it must
  // never read as "no backup", so it is a backend error rather than 'repository-not-found'.
  'no-such-bucket': 'backend-error',
  io: 'backend-error',
};

export function corrupt(location: string, message: string, cause?: unknown): RepositoryError {
  return new RepositoryError('corrupt', location, message, cause === undefined ? undefined : { cause });
}

export function unsupported(location: string, message: string): RepositoryError {
  return new RepositoryError('unsupported', location, message);
}

/**
 * Wraps whatever a storage call or our own code threw. RepositoryErrors pass through; StorageErrors keep their
 * class; an aborted signal is a timeout; anything else is a bug or malformed data and reported as a backend error
 * with the original as cause.
 */
export function toRepositoryError(error: unknown, location: string, signal?: AbortSignal): RepositoryError {
  if (error instanceof RepositoryError) return error;
  if (error instanceof StorageError) {
    return new RepositoryError(STORAGE_TO_REPOSITORY[error.code], error.location || location, error.message, {
      cause: error,
    });
  }
  if (signal?.aborted) {
    return new RepositoryError('timeout', location, `reading the Kopia repository was cancelled: ${describe(error)}`, {
      cause: error,
    });
  }
  return new RepositoryError('backend-error', location, `reading the Kopia repository failed: ${describe(error)}`, {
    cause: error,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
