/**
 * The BlobStorage behind a parsed restic location: a directory (NFS mount) or an S3-compatible bucket and prefix.
 * Credentials come from the repository Secret's AWS_* variables, exactly as the VolSync mover passes them to restic.
 */
import { FsStorage } from '../../../repository/storage/fs.ts';
import { S3Storage } from '../../../repository/storage/s3.ts';
import { LocationError, type ResticLocation } from './location.ts';

export interface ResticS3Access {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** AWS_DEFAULT_REGION; default us-east-1. */
  region?: string;
  /** PEM of a private CA for an https endpoint. */
  caPem?: string;
  requestTimeoutMs?: number;
}

export interface ResticStorageOptions {
  /** Required for s3: locations. */
  s3?: ResticS3Access;
  /**
   * For filesystem locations: the directory that must exist for "no repository here" to be believed (the NFS mount
   * point, or the template's base directory). See FsStorageOptions.mountPoint.
   */
  mountPoint?: string;
}

export function storageForResticLocation(
  location: ResticLocation,
  options: ResticStorageOptions,
): FsStorage | S3Storage {
  if (location.backend === 'local') {
    return new FsStorage({
      root: location.path,
      ...(options.mountPoint === undefined ? {} : { mountPoint: options.mountPoint }),
    });
  }
  const access = options.s3;
  if (!access?.accessKeyId || !access.secretAccessKey) {
    throw new LocationError(
      'invalid',
      'an s3: restic repository needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the repository Secret',
    );
  }
  return new S3Storage({
    endpoint: location.endpoint,
    bucket: location.bucket,
    prefix: location.prefix,
    accessKeyId: access.accessKeyId,
    secretAccessKey: access.secretAccessKey,
    ...(access.sessionToken ? { sessionToken: access.sessionToken } : {}),
    ...(access.region ? { region: access.region } : {}),
    ...(access.caPem ? { caPem: access.caPem } : {}),
    ...(access.requestTimeoutMs ? { requestTimeoutMs: access.requestTimeoutMs } : {}),
  });
}
