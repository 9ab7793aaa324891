/**
 * Repository credentials as the catalog consumes them: fetched through a provider at every read, never held by the
 * process at start (docs/design.md#credentials-that-crash-the-process), so a Secret being rotated or briefly missing
 * affects only reads in that window and
 * a corrected Secret is picked up by the next refresh without a restart.
 */
import { createHash } from 'node:crypto';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RepositoryCredentials {
  /** KOPIA_PASSWORD / RESTIC_PASSWORD. */
  password: string;
  /** AWS_* keys; required for S3 locations. */
  s3?: S3Credentials;
}

/** Throws CredentialsError (src/repository/source.ts) when the credentials cannot be read right now. */
export type CredentialProvider = () => Promise<RepositoryCredentials>;

/**
 * A non-reversible fingerprint of the credentials, so readers and S3 clients can be kept while they stay the same
 * and rebuilt when they change — without keeping a second copy of the secrets around to compare against.
 */
export function fingerprint(credentials: RepositoryCredentials): string {
  const hash = createHash('sha256');
  for (const part of [
    credentials.password,
    credentials.s3?.accessKeyId ?? '',
    credentials.s3?.secretAccessKey ?? '',
    credentials.s3?.sessionToken ?? '',
  ]) {
    hash.update(String(part.length)).update(':').update(part, 'utf8');
  }
  return hash.digest('hex');
}

/** Environment-style variables (`KOPIA_PASSWORD`, `AWS_ACCESS_KEY_ID`, …): the process environment or a Secret's keys. */
export type Env = Readonly<Record<string, string | undefined>>;
