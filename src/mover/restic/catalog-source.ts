/**
 * The catalog source for restic's one-repository-per-PVC layout (README.md, "The backup catalog"): each PVC's
 * repository
 * is a location rendered from a template such as `s3:http://minio:9000/volsync/{namespace}/{pvc}` or
 * `/mnt/backups/{namespace}-{pvc}`. Reads go through engineer A's native reader.
 *
 * - A reachable location without a repository is a successful read with `exists: false` (never backed up); the
 *   reader reports `repository-not-found` only when the storage answered, never for an unmounted path or a missing
 *   bucket.
 * - Only snapshots VolSync's mover writes count: hostname `volsync`, paths containing `/data`.
 * - Discovery walks the template's base one directory level at a time; every repository storage is a child of one
 *   base storage, so all repositories share one S3 connection pool.
 * - A plain location (no placeholders) is accepted for a single PVC (`lifeboat check` against one repository).
 */
import { posix } from 'node:path';
import { type CredentialProvider, fingerprint, type RepositoryCredentials } from '../../repository/credentials.ts';
import {
  type BackendLabel,
  type CatalogSource,
  CredentialsError,
  type PvcRef,
  pvcKey,
  type RepositoryRead,
  type RepositoryRef,
} from '../../repository/source.ts';
import { S3Storage } from '../../repository/storage/s3.ts';
import { RepositoryError, type Snapshot } from '../../repository/types.ts';
import type { ResticCache } from './reader/cache.ts';
import { type BrowsableStorage, discoverResticRepositories } from './reader/discover.ts';
import {
  formatResticLocation,
  parseResticLocation,
  parseResticTemplate,
  type ResticLocation,
  type ResticTemplate,
} from './reader/location.ts';
import { openResticRepository } from './reader/repository.ts';
import { isVolSyncSnapshot } from './reader/snapshot.ts';
import { storageForResticLocation } from './reader/storage-for-location.ts';

export interface ResticSourceOptions {
  /**
   * A template with `{namespace}` and `{pvc}`, or — with `pvc` set — the plain location of that one PVC's
   * repository.
   */
  repository: string;
  /** The PVC a plain (placeholder-free) location belongs to. */
  pvc?: PvcRef;
  credentials: CredentialProvider;
  /**
   * Filesystem only: the directory that must exist for "no repository here" to be believed (the NFS mount point).
   * Default: the template's base directory, or the parent directory of a plain location.
   */
  mountPoint?: string;
  /** Where keys and decoded snapshots are remembered; default the reader's process-wide cache. */
  cache?: ResticCache;
  caPem?: string;
  requestTimeoutMs?: number;
}

export class ResticSourceError extends Error {
  override readonly name = 'ResticSourceError';
}

interface Layout {
  base: ResticLocation;
  /** The template, or undefined for a single plain location. */
  template: ResticTemplate | undefined;
  mountPoint: string | undefined;
}

function layoutOf(options: ResticSourceOptions): Layout {
  if (/[{}]/.test(options.repository)) {
    const template = parseResticTemplate(options.repository);
    const mountPoint = options.mountPoint ?? (template.base.backend === 'local' ? template.base.path : undefined);
    return { base: template.base, template, mountPoint };
  }
  if (!options.pvc) {
    throw new ResticSourceError(
      'the restic repository has no {namespace} and {pvc} placeholders: give a template such as ' +
        's3:http://minio:9000/volsync/{namespace}/{pvc} or /mnt/backups/{namespace}-{pvc}',
    );
  }
  const base = parseResticLocation(options.repository);
  const mountPoint = options.mountPoint ?? (base.backend === 'local' ? posix.dirname(base.path) : undefined);
  return { base, template: undefined, mountPoint };
}

/** The path of `location` below `base` ('' for the base itself). */
function relativePath(base: ResticLocation, location: ResticLocation): string {
  if (base.backend === 'local' && location.backend === 'local') {
    return posix.relative(base.path, location.path);
  }
  if (base.backend === 's3' && location.backend === 's3') {
    return base.prefix === '' ? location.prefix : location.prefix.slice(base.prefix.length + 1);
  }
  throw new ResticSourceError('a rendered repository location left the template base');
}

function compact(snapshot: Snapshot): Snapshot {
  const out: Snapshot = { id: snapshot.id, time: snapshot.time, timeMs: snapshot.timeMs };
  if (snapshot.sizeBytes !== undefined) out.sizeBytes = snapshot.sizeBytes;
  if (snapshot.fileCount !== undefined) out.fileCount = snapshot.fileCount;
  return out;
}

export function resticSource(options: ResticSourceOptions): CatalogSource {
  const layout = layoutOf(options);
  const single = options.pvc;
  let current: { fingerprint: string; base: BrowsableStorage } | undefined;

  const baseStorage = (credentials: RepositoryCredentials): BrowsableStorage => {
    const print = fingerprint({ password: '', ...(credentials.s3 ? { s3: credentials.s3 } : {}) });
    if (current?.fingerprint === print) return current.base;
    if (current?.base instanceof S3Storage) current.base.destroy();
    current = undefined;
    if (layout.base.backend === 's3' && (!credentials.s3?.accessKeyId || !credentials.s3.secretAccessKey)) {
      throw new CredentialsError(
        'the restic repositories are on S3 but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing or empty',
      );
    }
    const base = storageForResticLocation(layout.base, {
      ...(credentials.s3
        ? {
            s3: {
              ...credentials.s3,
              ...(options.caPem ? { caPem: options.caPem } : {}),
              ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
            },
          }
        : {}),
      ...(layout.mountPoint === undefined ? {} : { mountPoint: layout.mountPoint }),
    });
    current = { fingerprint: print, base };
    return base;
  };

  const locationOf = (ref: PvcRef): ResticLocation => (layout.template ? layout.template.render(ref) : layout.base);

  /** Every PVC whose repository is at `location` (more than one only for an ambiguous template). */
  const pvcsAt = (ref: RepositoryRef): PvcRef[] => {
    if (!layout.template) return single ? [single] : [];
    const matched = layout.template.match(parseResticLocation(ref.key));
    return matched.length > 0 ? matched : ref.pvc ? [ref.pvc] : [];
  };

  return {
    kind: 'restic',
    backend: (layout.base.backend === 's3' ? 's3' : 'restic-fs') satisfies BackendLabel,
    description: `restic repositories ${layout.template ? layout.template.template : formatResticLocation(layout.base)}`,
    perPvcRepositories: true,
    locate(ref: PvcRef) {
      const key = formatResticLocation(locationOf(ref));
      return { repository: { key, pvc: ref }, source: key };
    },
    async discover(signal): Promise<RepositoryRef[]> {
      if (!layout.template) return single ? [{ key: formatResticLocation(layout.base), pvc: single }] : [];
      const credentials = await options.credentials();
      const found = await discoverResticRepositories(layout.template, baseStorage(credentials), signal);
      return found.flatMap((repo) => {
        const first = repo.refs[0];
        return first ? [{ key: formatResticLocation(repo.location), pvc: first }] : [];
      });
    },
    async read(ref, signal): Promise<RepositoryRead> {
      const credentials = await options.credentials();
      if (!credentials.password)
        throw new CredentialsError('the restic repository password (RESTIC_PASSWORD) is empty');
      const base = baseStorage(credentials);
      const relative = relativePath(layout.base, parseResticLocation(ref.key));
      const storage = relative === '' ? base : base.child(relative);
      let snapshots: Snapshot[];
      let total: number;
      let repositoryId: string;
      try {
        const repository = await openResticRepository(storage, credentials.password, {
          signal,
          ...(options.cache ? { cache: options.cache } : {}),
        });
        repositoryId = repository.id;
        const all = await repository.listSnapshots(signal);
        total = all.length;
        snapshots = all.filter(isVolSyncSnapshot).map(compact);
      } catch (error) {
        if (error instanceof RepositoryError && error.code === 'repository-not-found') {
          return { exists: false, pvcs: new Map(), snapshotCount: 0, unmatchedSources: [] };
        }
        throw error;
      }
      const pvcs = new Map<string, Snapshot[]>();
      for (const pvc of pvcsAt(ref)) pvcs.set(pvcKey(pvc), snapshots);
      return { exists: true, pvcs, snapshotCount: total, unmatchedSources: [], repositoryId };
    },
    close() {
      if (current?.base instanceof S3Storage) current.base.destroy();
      current = undefined;
    },
  };
}
