/**
 * kopia (the perfectra1n/volsync fork's mover): one shared repository; each PVC is a snapshot source
 * `username@hostname:path` inside it, rendered from `repository.identity` (./identity.ts).
 */
import type { Env } from '../../repository/credentials.ts';
import { placeholders } from '../../template.ts';
import { type Mover, MoverUsageError } from '../mover.ts';
import { type Retention, retentionCounts } from '../retention.ts';
import { kopiaSource } from './catalog-source.ts';
import { KOPIA_COMPRESSIONS } from './compressions.ts';
import { formatIdentity, identityFor, KOPIA_IDENTITY_ANNOTATION } from './identity.ts';
import { DEFAULT_IDENTITY_TEMPLATE, IdentityTemplateError } from './reader/identity.ts';
import { KopiaLocationError, type KopiaS3Settings, parseKopiaLocation } from './reader/location.ts';

/** `mover.kopia:` */
export interface KopiaOptions {
  /** kopia compression algorithm; VolSync does not validate it, so lifeboat does. Default `zstd-fastest`. */
  compression: string;
  /** Parallel upload streams. Default 2. */
  parallelism: number;
}

/** Explicit identity, so history never depends on object names (docs/design.md#movers-and-secrets). */
export interface KopiaIdentityFields {
  username: string;
  hostname: string;
}

export interface KopiaSourceFields extends KopiaIdentityFields {
  retain: { hourly?: number; daily?: number; weekly?: number; monthly?: number; yearly?: number; latest?: number };
  compression: string;
  parallelism: number;
}

// The kopia mover connects only to these (a bare path or another scheme fails in every mover Job), and they are what
// lifeboat's catalog reads. Without placeholders: the catalog, the repository pin (expectedId, firstInstall) and the
// KopiaMaintenance each stand for one shared repository (docs/design.md#writer-and-reader-on-different-locations).
const KOPIA_URL = /^(filesystem:\/\/\/|s3:\/\/)/;

// The scripts' own line (mover-kopia/entry.sh do_restore); the fork's log filter lets it through only with
// MOVER_LOG_DEBUG=true on the VolSync controller.
const KOPIA_SELECTED = /^\s*Selected snapshot with id: (\S+)\s*$/m;

export const kopiaMover: Mover<KopiaOptions, KopiaSourceFields, KopiaIdentityFields> = {
  variables: {
    password: 'KOPIA_PASSWORD',
    repository: 'KOPIA_REPOSITORY',
    settings: ['KOPIA_S3_BUCKET', 'KOPIA_S3_ENDPOINT', 'KOPIA_S3_DISABLE_TLS'],
  },
  // The NFS export every mover mounts under /mnt; the kopia mover connects to a filesystem repository through the
  // path in KOPIA_REPOSITORY itself.
  defaultLocation: (nfs) => (nfs ? `filesystem:///mnt/${nfs.mountPath}` : undefined),
  repository: {
    urlProblem: (v) => {
      if (!KOPIA_URL.test(v)) return `"${v}" is not a kopia repository URL the movers accept`;
      if (placeholders(v).length === 0) return undefined;
      return `"${v}" has placeholders, but all PVCs share one kopia repository, the one location lifeboat's catalog reads`;
    },
    urlPlaceholders: [],
    urlFix:
      'write one location without placeholders, filesystem:///path (a mounted export) or s3://bucket/prefix; ' +
      'repository.identity tells the PVCs apart',
    sharedRepository: true,
  },
  options: {
    defaults: { compression: 'zstd-fastest', parallelism: 2 },
    fields: {
      compression: { type: 'string', oneOf: { values: KOPIA_COMPRESSIONS, what: 'a kopia compression algorithm' } },
      parallelism: { type: 'integer', min: 1, max: 64 },
    },
  },
  maintenance: 'KopiaMaintenance',
  upstreamProblem:
    'repository.backend is kopia, but the cluster runs upstream VolSync (backube/volsync), which has no kopia mover: ' +
    'install the perfectra1n/volsync fork, or set repository.backend: restic with a per-PVC repository.url',
  reportNamesSnapshot: false,
  identityAnnotations: (identity, at) => ({
    [KOPIA_IDENTITY_ANNOTATION]: formatIdentity(identityFor(identity, at.namespace, at.pvc)),
  }),
  source: (common, retain, { identity, options }, at) => {
    const id = identityFor(identity, at.namespace, at.pvc);
    return {
      ...common,
      retain: kopiaRetain(retain),
      compression: options.compression,
      parallelism: options.parallelism,
      username: id.username,
      hostname: id.hostname,
    };
  },
  destination: (common, { identity }, at) => {
    const id = identityFor(identity, at.namespace, at.pvc);
    return { ...common, username: id.username, hostname: id.hostname };
  },
  reportedSelection: (logs) => {
    const id = KOPIA_SELECTED.exec(logs)?.[1];
    return id ? { id } : undefined;
  },
  reader: {
    settings: kopiaS3Settings,
    source: (location, data, identity, credentials) =>
      kopiaSource({ location: parseKopiaLocation(location, kopiaS3Settings(data)), identity, credentials }),
    waitingLabel: (fixed) => ((fixed ?? 's3://').startsWith('filesystem:') ? 'kopia-fs' : 'kopia-s3'),
    cliSource: (repository, env, identity, credentials) => {
      if (/[{}]/.test(repository)) {
        throw new MoverUsageError(
          'the Kopia repository must not contain placeholders: the catalog reads one shared Kopia repository and ' +
            'tells PVCs apart by --identity',
        );
      }
      // A bare absolute path is a filesystem location, as restic and `kopia repository connect filesystem` take it.
      const url = repository.startsWith('/') ? `filesystem://${repository}` : repository;
      const location = parseKopiaLocation(url, kopiaS3Settings(env));
      return kopiaSource({ location, credentials, ...(identity ? { identity } : {}) });
    },
    isUsageError: (error) =>
      error instanceof KopiaLocationError || error instanceof IdentityTemplateError || error instanceof MoverUsageError,
  },
  cli: {
    repositoryHelp: 'Kopia: KOPIA_REPOSITORY (/path, filesystem:///path or s3://bucket/prefix)',
    identity: { help: `Kopia source of a PVC (default ${DEFAULT_IDENTITY_TEMPLATE})` },
  },
};

/** The S3 settings the VolSync kopia mover reads beside KOPIA_REPOSITORY. */
export function kopiaS3Settings(env: Env): KopiaS3Settings {
  const settings: KopiaS3Settings = {
    disableTls: env.KOPIA_S3_DISABLE_TLS === 'true' || env.AWS_S3_DISABLE_TLS === 'true',
  };
  const endpoint = env.KOPIA_S3_ENDPOINT || env.AWS_S3_ENDPOINT;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (env.KOPIA_S3_BUCKET) settings.bucket = env.KOPIA_S3_BUCKET;
  if (endpoint) settings.endpoint = endpoint;
  if (region) settings.region = region;
  return settings;
}

/** kopia calls restic's `last` rule `latest`. */
function kopiaRetain(retain: Retention): KopiaSourceFields['retain'] {
  return { ...retentionCounts(retain), ...(retain.last !== undefined && { latest: retain.last }) };
}
