/**
 * Parsing a `KOPIA_REPOSITORY` value plus the S3 settings VolSync's kopia mover reads beside it (README.md, "The
 * backup catalog") into where the reader must look. Only the backends the catalog reads are accepted; other schemes
 * are refused
 * by name instead of being misread.
 */

export type KopiaLocation =
  | { kind: 'filesystem'; path: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix as configured (no trailing slash added; the reader tries `prefix/` then `prefix`). */
      prefix: string;
      /** host[:port], no scheme. */
      endpoint: string;
      tls: boolean;
      region?: string;
    };

export interface KopiaS3Settings {
  /** KOPIA_S3_BUCKET: overrides the bucket named in the URL. */
  bucket?: string;
  /** KOPIA_S3_ENDPOINT or AWS_S3_ENDPOINT; a scheme is tolerated and stripped. */
  endpoint?: string;
  /** KOPIA_S3_DISABLE_TLS / AWS_S3_DISABLE_TLS == "true". */
  disableTls?: boolean;
  /** AWS_REGION or AWS_DEFAULT_REGION. */
  region?: string;
}

export class KopiaLocationError extends Error {
  override readonly name = 'KopiaLocationError';
}

const DEFAULT_S3_ENDPOINT = 's3.amazonaws.com';

export function parseKopiaLocation(repository: string, s3: KopiaS3Settings = {}): KopiaLocation {
  const value = repository.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'filesystem') {
    const path = value.slice('filesystem://'.length);
    if (!path.startsWith('/')) {
      throw new KopiaLocationError(`KOPIA_REPOSITORY "${repository}" must be filesystem:///absolute/path`);
    }
    return { kind: 'filesystem', path: path.length > 1 ? path.replace(/\/+$/, '') : path };
  }
  if (scheme === 's3') {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const urlBucket = slash >= 0 ? rest.slice(0, slash) : rest;
    // The mover takes everything after `s3://<anything>/` as the prefix and collapses doubled slashes.
    const prefix = (slash >= 0 ? rest.slice(slash + 1) : '').replace(/\/{2,}/g, '/').replace(/^\//, '');
    const bucket = s3.bucket?.trim() || urlBucket;
    if (!bucket) {
      throw new KopiaLocationError(`KOPIA_REPOSITORY "${repository}" names no bucket: use s3://bucket/prefix`);
    }
    const endpoint = (s3.endpoint?.trim() || DEFAULT_S3_ENDPOINT).replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    const location: KopiaLocation = { kind: 's3', bucket, prefix, endpoint, tls: !s3.disableTls };
    if (s3.region) location.region = s3.region;
    return location;
  }
  if (scheme) {
    throw new KopiaLocationError(
      `KOPIA_REPOSITORY scheme "${scheme}://" is not readable by lifeboat; use filesystem:///path or s3://bucket/prefix`,
    );
  }
  throw new KopiaLocationError(
    `KOPIA_REPOSITORY "${repository}" is not a URL; use filesystem:///path or s3://bucket/prefix`,
  );
}

/** Reads the location from the variables of a VolSync kopia repository Secret. */
export function kopiaLocationFromEnv(env: Readonly<Record<string, string | undefined>>): KopiaLocation {
  const repository = env.KOPIA_REPOSITORY;
  if (!repository) throw new KopiaLocationError('KOPIA_REPOSITORY is not set');
  const settings: KopiaS3Settings = {
    disableTls: env.KOPIA_S3_DISABLE_TLS === 'true' || env.AWS_S3_DISABLE_TLS === 'true',
  };
  const bucket = env.KOPIA_S3_BUCKET;
  const endpoint = env.KOPIA_S3_ENDPOINT || env.AWS_S3_ENDPOINT;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (bucket) settings.bucket = bucket;
  if (endpoint) settings.endpoint = endpoint;
  if (region) settings.region = region;
  return parseKopiaLocation(repository, settings);
}
