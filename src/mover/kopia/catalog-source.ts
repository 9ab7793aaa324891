/**
 * The catalog source for one shared Kopia repository (the VolSync kopia mover's layout, README.md, "The backup
 * catalog"):
 * every PVC is a source `user@host:/path` found through an identity template, default
 * `{pvc}-backup@{namespace}:/data`. Reads go through engineer B's native reader; the reader object is kept between
 * refreshes (its caches make a re-scan cheap) and rebuilt only when the credentials change.
 */
import { type CredentialProvider, fingerprint, type RepositoryCredentials } from '../../repository/credentials.ts';
import {
  type CatalogSource,
  CredentialsError,
  type PvcRef,
  pvcKey,
  type RepositoryRead,
  type RepositoryRef,
} from '../../repository/source.ts';
import { FsStorage } from '../../repository/storage/fs.ts';
import { S3Storage } from '../../repository/storage/s3.ts';
import { RepositoryError, type Snapshot } from '../../repository/types.ts';
import {
  DEFAULT_IDENTITY_TEMPLATE,
  matchIdentity,
  renderIdentity,
  validateIdentityTemplate,
} from './reader/identity.ts';
import type { KopiaLocation } from './reader/location.ts';
import { type KopiaRepository, openKopiaRepository } from './reader/repository.ts';

export interface KopiaSourceOptions {
  location: KopiaLocation;
  /** Identity template with `{namespace}` and `{pvc}`. Default `{pvc}-backup@{namespace}:/data`. */
  identity?: string;
  credentials: CredentialProvider;
  /** PEM of a private CA for an https S3 endpoint. */
  caPem?: string;
  /** Upper bound of one S3 request. */
  requestTimeoutMs?: number;
}

/** A stable, credential-free name of the repository: used as catalog key, in messages and as metrics label. */
export function kopiaRepositoryName(location: KopiaLocation): string {
  if (location.kind === 'filesystem') return `filesystem://${location.path}`;
  const scheme = location.tls ? 'https' : 'http';
  return `s3:${scheme}://${location.endpoint}/${location.bucket}/${location.prefix}`;
}

export function kopiaSource(options: KopiaSourceOptions): CatalogSource {
  const identity = options.identity ?? DEFAULT_IDENTITY_TEMPLATE;
  validateIdentityTemplate(identity);
  const { location } = options;
  const name = kopiaRepositoryName(location);
  const repository: RepositoryRef = { key: name };
  let current: { fingerprint: string; reader: KopiaRepository; storage: FsStorage | S3Storage } | undefined;

  const readerFor = (credentials: RepositoryCredentials): KopiaRepository => {
    const print = fingerprint(credentials);
    if (current?.fingerprint === print) return current.reader;
    if (current?.storage instanceof S3Storage) current.storage.destroy();
    current = undefined;
    const storage = storageFor(location, credentials, options);
    const layout =
      location.kind === 'filesystem'
        ? { kind: 'filesystem' as const }
        : { kind: 's3' as const, prefix: location.prefix };
    current = { fingerprint: print, storage, reader: openKopiaRepository(storage, credentials.password, { layout }) };
    return current.reader;
  };

  return {
    kind: 'kopia',
    backend: location.kind === 'filesystem' ? 'kopia-fs' : 'kopia-s3',
    description: `Kopia repository ${name}, sources ${identity}`,
    perPvcRepositories: false,
    locate: (ref: PvcRef) => ({ repository, source: renderIdentity(identity, ref) }),
    discover: async () => [repository],
    async read(_ref, signal): Promise<RepositoryRead> {
      const credentials = await options.credentials();
      if (!credentials.password) throw new CredentialsError('the Kopia repository password (KOPIA_PASSWORD) is empty');
      let sources: Map<string, Snapshot[]>;
      const reader = readerFor(credentials);
      try {
        sources = await reader.listSources(signal);
      } catch (error) {
        if (error instanceof RepositoryError && error.code === 'repository-not-found') {
          return { exists: false, pvcs: new Map(), snapshotCount: 0, unmatchedSources: [] };
        }
        throw error;
      }
      const pvcs = new Map<string, Snapshot[]>();
      const unmatchedSources: string[] = [];
      const unmatchedSnapshots = new Map<string, Snapshot[]>();
      let snapshotCount = 0;
      for (const [source, snapshots] of sources) {
        snapshotCount += snapshots.length;
        const ref = matchIdentity(identity, source);
        if (ref) pvcs.set(pvcKey(ref), snapshots);
        else {
          unmatchedSources.push(source);
          unmatchedSnapshots.set(source, snapshots);
        }
      }
      const repositoryId = reader.uniqueId();
      return {
        exists: true,
        pvcs,
        snapshotCount,
        unmatchedSources,
        unmatchedSnapshots,
        ...(repositoryId ? { repositoryId } : {}),
      };
    },
    close() {
      if (current?.storage instanceof S3Storage) current.storage.destroy();
      current = undefined;
    },
  };
}

function storageFor(
  location: KopiaLocation,
  credentials: RepositoryCredentials,
  options: KopiaSourceOptions,
): FsStorage | S3Storage {
  if (location.kind === 'filesystem') {
    // The repository directory itself must exist (an NFS mount, created by the movers' first backup or by hand):
    // if it is missing, the mount is gone, and that must never read as "no repository, never backed up".
    return new FsStorage({ root: location.path, mountPoint: location.path });
  }
  const s3 = credentials.s3;
  if (!s3?.accessKeyId || !s3.secretAccessKey) {
    throw new CredentialsError(
      'the Kopia repository is on S3 but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing or empty',
    );
  }
  // The bucket is the storage root: the reader adds the prefix itself, trying `prefix/` and then `prefix`.
  return new S3Storage({
    endpoint: `${location.tls ? 'https' : 'http'}://${location.endpoint}`,
    bucket: location.bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...(s3.sessionToken ? { sessionToken: s3.sessionToken } : {}),
    ...(location.region ? { region: location.region } : {}),
    ...(options.caPem ? { caPem: options.caPem } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
}
