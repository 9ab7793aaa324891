/**
 * Turning what can go wrong while reading a restic repository into the catalog's RepositoryError, so "the repository
 * says there is nothing" stays apart from "we could not find out" (docs/design.md#fail-open-answers,
 * #authoritative-no-over-existing-data; kopia's source, repo/format and repo/content).
 */
import { StorageError, type StorageErrorCode } from '../../../repository/storage/storage.ts';
import { RepositoryError, type RepositoryErrorCode } from '../../../repository/types.ts';

const FROM_STORAGE: Record<StorageErrorCode, RepositoryErrorCode> = {
  unreachable: 'unreachable',
  'access-denied': 'access-denied',
  timeout: 'timeout',
  // A missing bucket is a mis-pointed location, never an empty repository.
  'no-such-bucket': 'backend-error',
  io: 'backend-error',
};

/** Passes RepositoryErrors through, maps StorageErrors, reports a cancelled signal as 'timeout'. */
export function toRepositoryError(error: unknown, location: string, signal?: AbortSignal): RepositoryError {
  if (error instanceof RepositoryError) return error;
  if (error instanceof StorageError) {
    return new RepositoryError(FROM_STORAGE[error.code], error.location || location, error.message, { cause: error });
  }
  if (signal?.aborted) {
    return new RepositoryError('timeout', location, 'reading the restic repository took longer than the deadline', {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RepositoryError('backend-error', location, `reading the restic repository failed: ${message}`, {
    cause: error,
  });
}
