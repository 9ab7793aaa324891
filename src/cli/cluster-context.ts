/**
 * What the cluster commands (`status`, `sync`, `restore`) share: a Kubernetes client from a kubeconfig, the lifeboat
 * config file, and a catalog of the repository read like `lifeboat check` does — flags first, then the movers'
 * environment variables, then (copy mode) the cluster's own source Secret when this user may read it, so that
 * `lifeboat status` works from an admin workstation with nothing but a kubeconfig.
 *
 * Per variable, the process environment wins over the Secret (an operator can override one key). Values are never
 * printed; only where they came from is. `check` and `catalog` use the same path when given --config.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { YAMLError } from 'yaml';
import { Catalog, type CatalogIdentityOptions } from '../catalog/catalog.ts';
import { configuredLocation } from '../catalog/configured-source.ts';
import { passwordVariable, REPOSITORY_VARIABLES } from '../catalog/environment.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { formatYamlError } from '../config/yaml-errors.ts';
import { repositoryIdentityStore } from '../controller/repository-identity-store.ts';
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { formatKubeError } from '../kube/errors.ts';
import { EventRecorder } from '../kube/events.ts';
import { KubeconfigError } from '../kube/kubeconfig.ts';
import type { ConnectionConfig } from '../kube/transport.ts';
import { readConfigFile } from './config-file.ts';
import { usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  parseDurationFlag,
  type RepositoryFlags,
  type RepositorySettings,
  resolveRepository,
} from './repository-options.ts';

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
}

export interface ClusterFlags extends RepositoryFlags, KubeFlags {
  config?: string;
  timeout: string;
}

/** `--kubeconfig` and `--context`, as kubectl spells them. */
export function addKubeOptions(command: Command): Command {
  return command
    .option(
      '--kubeconfig <file>',
      'kubeconfig (default: $KUBECONFIG, merged like kubectl, ~/.kube/config, then in-cluster)',
    )
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)');
}

export function addClusterOptions(command: Command, defaultTimeout = '2m'): Command {
  return addRepositoryOptions(
    addKubeOptions(command).option('--config <file>', 'lifeboat config file (default: the built-in defaults)'),
  ).option('--timeout <duration>', 'bound on reading the repository', defaultTimeout);
}

/** The kubeconfig's connection; a missing, unreadable or broken kubeconfig is the user's to fix (usage error). */
export function kubeConnection(flags: KubeFlags, env: Env = process.env): ConnectionConfig {
  try {
    return loadKubeConfig(flags.kubeconfig, env as NodeJS.ProcessEnv, flags.context);
  } catch (error) {
    if (error instanceof KubeconfigError) {
      const file = error.invalidYamlFile;
      if (file && error.cause instanceof YAMLError) throw usage(`kubeconfig ${formatYamlError(file, error.cause)}`);
      throw usage(error.message);
    }
    // The library's own parse errors (a kubeconfig it reads for exec plugins): still the user's file.
    throw usage(`cannot use the kubeconfig: ${(error as Error).message}`);
  }
}

export interface ClusterContext {
  kube: KubeClient;
  config: LifeboatConfig;
  /** Events on PVCs, reported as this CLI run (flushed by `close`). */
  events: EventRecorder;
  close(): Promise<void>;
}

export function openCluster(flags: ClusterFlags, fieldManager: string, env: Env = process.env): ClusterContext {
  const config = readConfigFile(flags.config);
  const kube = new KubeClient(kubeConnection(flags, env), fieldManager);
  const events = new EventRecorder(kube, { reportingInstance: `${fieldManager}@${hostname()}` });
  return {
    kube,
    config,
    events,
    async close() {
      await events.close();
      kube.close();
    },
  };
}

/** The Secret the catalog reads credentials from: configured, or the copy-mode source Secret. */
export function credentialsSecretRef(config: LifeboatConfig): { namespace: string; name: string } | undefined {
  if (config.catalog.credentialsSecretRef) return config.catalog.credentialsSecretRef;
  return config.credentials.mode === 'copy' ? config.credentials.secretRef : undefined;
}

/**
 * The repository variables of the config's credentials Secret, or an empty map (no such Secret, or no permission to
 * read it: then the environment and flags must supply them, and a note says why).
 */
async function secretRepositoryEnv(kube: KubeClient, config: LifeboatConfig, io: Io): Promise<Env> {
  const ref = credentialsSecretRef(config);
  if (!ref) return {};
  const { namespace, name } = ref;
  try {
    const secret = await kube.get<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
    }>({ apiVersion: 'v1', kind: 'Secret', namespace, name });
    if (!secret) {
      io.err(`note: the credentials Secret ${namespace}/${name} does not exist; using the environment\n`);
      return {};
    }
    const env: Record<string, string> = {};
    for (const key of REPOSITORY_VARIABLES) {
      const value = secret.data?.[key];
      if (value !== undefined) env[key] = Buffer.from(value, 'base64').toString('utf8');
    }
    return env;
  } catch (error) {
    io.err(
      `note: cannot read the credentials Secret ${namespace}/${name} (${formatKubeError(error)}); using the environment\n`,
    );
    return {};
  }
}

/** The environment with the Secret's values filling only the variables the process does not set. */
export function mergeEnv(process: Env, secret: Env): Env {
  const merged: Record<string, string | undefined> = { ...process };
  for (const [key, value] of Object.entries(secret)) if (!merged[key]) merged[key] = value;
  return merged;
}

/**
 * The repository settings and variables for a command: flags, then the process environment, then the config's
 * credentials Secret (read through `kube` when given), then the config's repository section. Records where the
 * password comes from, so a wrong-password answer names that source.
 */
export async function repositoryAccess(
  flags: RepositoryFlags,
  env: Env,
  io: Io,
  cluster?: { kube: KubeClient | undefined; config: LifeboatConfig },
): Promise<{ settings: RepositorySettings; env: Env }> {
  const secretEnv = cluster?.kube ? await secretRepositoryEnv(cluster.kube, cluster.config, io) : {};
  const merged = mergeEnv(env, secretEnv);
  const repo = cluster?.config.repository;
  // Where the operator reads the repository (catalog.location, repository.url, the NFS mount), as it reads it.
  const location = cluster ? configuredLocation(cluster.config) : undefined;
  const settings = resolveRepository(
    flags,
    merged,
    repo
      ? {
          backend: repo.backend,
          identity: repo.identity,
          ...(location ? { repository: location, repositoryFrom: 'the repository location of --config' } : {}),
        }
      : {},
  );
  const variable = passwordVariable(settings.backend);
  const ref = cluster ? credentialsSecretRef(cluster.config) : undefined;
  if (!settings.passwordFile && !env[variable] && secretEnv[variable] && ref) {
    settings.passwordFrom = `${variable} of the Secret ${ref.namespace}/${ref.name}`;
  }
  return { settings, env: merged };
}

/**
 * For `check` and `catalog`. With `--backend` or `--repository` (and no --config) they read the repository from the
 * flags and the environment alone, no cluster involved. Otherwise they read it as the cluster commands do: the
 * config (--config, else the built-in defaults) gives the backend and location, and its credentials Secret is read
 * through the kubeconfig when one is given or found. An explicitly named kubeconfig or context that cannot be used is
 * an error; a missing default one means the Secret is not read (said on stderr), or, without --config, that the
 * flags and the environment must say everything.
 */
export function optionalCluster(
  flags: KubeFlags & RepositoryFlags & { config?: string },
  env: Env,
  io: Io,
): { kube: KubeClient | undefined; config: LifeboatConfig } | undefined {
  const explicit = flags.kubeconfig !== undefined || flags.context !== undefined;
  if (flags.config === undefined && (flags.backend !== undefined || flags.repository !== undefined)) {
    if (explicit) {
      throw usage(
        '--kubeconfig and --context read the credentials Secret of a config: add --config, or drop --backend',
      );
    }
    return undefined;
  }
  const config = readConfigFile(flags.config);
  const ref = credentialsSecretRef(config);
  if (!ref) return { kube: undefined, config };
  try {
    return { kube: new KubeClient(kubeConnection(flags, env), 'lifeboat-cli'), config };
  } catch (error) {
    if (explicit) throw error;
    // Neither a config nor a cluster: the flags and the environment must say everything (as --backend does).
    if (flags.config === undefined) return undefined;
    io.err(
      `note: not reading the credentials Secret ${ref.namespace}/${ref.name}: ${(error as Error).message}; ` +
        'using the environment\n',
    );
    return { kube: undefined, config };
  }
}

/**
 * The repository identity a command's catalog checks, as `lifeboat run` reads it from the config
 * (`repository.expectedId`, `repository.firstInstall`); a command's flags win.
 */
export function configuredIdentity(
  repository: LifeboatConfig['repository'] | undefined,
  overrides: { expectedId?: string; firstInstall?: boolean } = {},
): CatalogIdentityOptions {
  const expectedId = overrides.expectedId?.toLowerCase() ?? repository?.expectedId;
  return {
    ...(expectedId ? { expectedId } : {}),
    firstInstall: overrides.firstInstall === true || repository?.firstInstall === true,
  };
}

/** A catalog over the configured repository, refreshed once (a snapshot of the repository for this command). */
export async function openCatalog(
  ctx: ClusterContext,
  flags: ClusterFlags,
  env: Env,
  io: Io,
): Promise<{ catalog: Catalog; close(): Promise<void> }> {
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  const access = await repositoryAccess(flags, env, io, ctx);
  const source = buildSource(access.settings, access.env);
  const catalog = new Catalog({
    source,
    refreshTimeoutMs: timeoutMs,
    lookupTimeoutMs: timeoutMs,
    // The command acts right after its one refresh; a refresh that took most of --timeout must not already count
    // as stale when it ends.
    staleAfterMs: Math.max(ctx.config.catalog.staleAfter, timeoutMs * 2),
    identity: {
      // Read the identities the operator recorded; a command never records one itself.
      store: repositoryIdentityStore({ kube: ctx.kube, namespace: ctx.config.namespace, canWrite: () => false }),
      ...configuredIdentity(ctx.config.repository),
    },
  });
  await catalog.refresh();
  return {
    catalog,
    async close() {
      await catalog.stop();
      source.close();
    },
  };
}
