/**
 * The catalog source of the operator: the repository described by lifeboat's config, with credentials (and, for a
 * Kopia repository on S3, the endpoint settings) read from a Kubernetes Secret at every read — never at start, so a
 * Secret that is missing or being rotated only makes answers unknown until it is back
 * (docs/design.md#credentials-that-crash-the-process).
 *
 * The location is fixed by the config when it can be (`catalog.location`, `repository.url`, or the NFS mount path,
 * which lifeboat's pod mounts at the same place as the movers); otherwise it comes from the Secret's
 * `KOPIA_REPOSITORY` / `RESTIC_REPOSITORY`, and the inner source is rebuilt whenever those settings change.
 */
import type { LifeboatConfig } from '../config/types.ts';
import { MOVERS } from '../mover/index.ts';
import {
  type BackendLabel,
  type CatalogSource,
  CredentialsError,
  type PvcRef,
  type RepositoryRead,
  type RepositoryRef,
} from '../repository/source.ts';
import { credentialsFromEnv, defaultLocation, type Env, repositoryVariable } from './environment.ts';

export interface ConfiguredSourceOptions {
  config: LifeboatConfig;
  /** The credentials Secret's data, decoded, as it is now; undefined while it is missing. */
  secretData: () => Env | undefined;
  /** `namespace/name` of that Secret, for messages. */
  secretName: string;
}

/** Where lifeboat reads the repository, when the config alone says it. */
export function configuredLocation(config: LifeboatConfig): string | undefined {
  if (config.catalog.location) return config.catalog.location;
  if (config.repository.url) return config.repository.url;
  return defaultLocation(config);
}

export function configuredSource(opts: ConfiguredSourceOptions): CatalogSource {
  const { config } = opts;
  const backend = config.repository.backend;
  const reader = MOVERS[backend].reader;
  const fixed = configuredLocation(config);
  let inner: { key: string; source: CatalogSource } | undefined;

  const env = (): Env => {
    const data = opts.secretData();
    if (!data) throw new CredentialsError(`the credentials Secret ${opts.secretName} does not exist (yet)`);
    return data;
  };
  const credentials = async () => credentialsFromEnv(backend, env(), `Secret ${opts.secretName}`);

  /** The source for the current settings; rebuilt only when the location or S3 settings change. */
  const current = (): CatalogSource => {
    const data = fixed ? (opts.secretData() ?? {}) : env();
    const location = fixed ?? data[repositoryVariable(backend)];
    if (!location) {
      throw new CredentialsError(
        `no repository location: set repository.url or catalog.location, or ${repositoryVariable(backend)} in Secret ${opts.secretName}`,
      );
    }
    const settings = reader.settings(data);
    const key = JSON.stringify([location, settings]);
    if (inner?.key === key) return inner.source;
    inner?.source.close();
    const source = reader.source(location, data, config.repository.identity, credentials);
    inner = { key, source };
    return source;
  };

  const tryCurrent = (): CatalogSource | undefined => {
    try {
      return current();
    } catch {
      return undefined;
    }
  };

  const waitingKey = `${backend}:${fixed ?? `(location from Secret ${opts.secretName})`}`;
  const label = reader.waitingLabel(fixed);
  return {
    kind: backend,
    get backend(): BackendLabel {
      return tryCurrent()?.backend ?? label;
    },
    get description(): string {
      return tryCurrent()?.description ?? waitingKey;
    },
    perPvcRepositories: MOVERS[backend].repository.perPvcRepositories !== undefined,
    locate(ref: PvcRef) {
      const source = tryCurrent();
      if (source) return source.locate(ref);
      return { repository: { key: waitingKey }, source: `${ref.namespace}/${ref.pvc}` };
    },
    async discover(signal: AbortSignal): Promise<RepositoryRef[]> {
      return await current().discover(signal);
    },
    async read(repository: RepositoryRef, signal: AbortSignal): Promise<RepositoryRead> {
      return await current().read(repository, signal);
    },
    close() {
      inner?.source.close();
      inner = undefined;
    },
  };
}
