/**
 * What the cluster commands (`status`, `sync`, `restore`) share: a Kubernetes client from a kubeconfig, the lifeboat
 * config file, and a catalog of the repository read like `lifeboat check` does — flags first, then the movers'
 * environment variables, then (copy mode) the cluster's own source Secret when this user may read it, so that
 * `lifeboat status` works from an admin workstation with nothing but a kubeconfig.
 *
 * Per variable, the process environment wins over the Secret (an operator can override one key). Values are never
 * printed; only where they came from is.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import { REPOSITORY_VARIABLES } from '../catalog/environment.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { repositoryIdentityStore } from '../controller/repository-identity-store.ts';
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { formatKubeError } from '../kube/errors.ts';
import { EventRecorder } from '../kube/events.ts';
import { readConfigFile } from './config-file.ts';
import type { Io } from './program.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  parseDurationFlag,
  type RepositoryFlags,
  resolveRepository,
} from './repository-options.ts';

export interface ClusterFlags extends RepositoryFlags {
  kubeconfig?: string;
  config?: string;
  timeout: string;
}

export function addClusterOptions(command: Command, defaultTimeout = '2m'): Command {
  return addRepositoryOptions(
    command
      .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
      .option('--config <file>', 'lifeboat config file (default: the built-in defaults)'),
  ).option('--timeout <duration>', 'bound on reading the repository', defaultTimeout);
}

export interface ClusterContext {
  kube: KubeClient;
  config: LifeboatConfig;
  /** Events on PVCs, reported as this CLI run (flushed by `close`). */
  events: EventRecorder;
  close(): Promise<void>;
}

export function openCluster(flags: ClusterFlags, fieldManager: string): ClusterContext {
  const config = readConfigFile(flags.config);
  const kube = new KubeClient(loadKubeConfig(flags.kubeconfig), fieldManager);
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

/**
 * The repository variables from the copy-mode source Secret, or an empty map (external-secret mode, no such Secret,
 * or no permission to read it: then the environment and flags must supply them).
 */
export async function clusterRepositoryEnv(ctx: ClusterContext, io: Io): Promise<Env> {
  const credentials = ctx.config.credentials;
  if (credentials.mode !== 'copy') return {};
  const { namespace, name } = credentials.secretRef;
  try {
    const secret = await ctx.kube.get<{
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
    }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace,
      name,
    });
    if (!secret) return {};
    const env: Record<string, string> = {};
    for (const key of REPOSITORY_VARIABLES) {
      const value = secret.data?.[key];
      if (value !== undefined) env[key] = Buffer.from(value, 'base64').toString('utf8');
    }
    return env;
  } catch (error) {
    io.err(
      `note: cannot read the source Secret ${namespace}/${name} (${formatKubeError(error)}); using the environment\n`,
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

/** A catalog over the configured repository, refreshed once (a snapshot of the repository for this command). */
export async function openCatalog(
  ctx: ClusterContext,
  flags: ClusterFlags,
  env: Env,
  io: Io,
): Promise<{ catalog: Catalog; close(): Promise<void> }> {
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  const repositoryEnv = mergeEnv(env, await clusterRepositoryEnv(ctx, io));
  const repo = ctx.config.repository;
  const settings = resolveRepository(flags, repositoryEnv, {
    backend: repo.backend,
    identity: repo.identity,
    ...(repo.url ? { repository: repo.url } : {}),
  });
  const source = buildSource(settings, repositoryEnv);
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
      ...(repo.expectedId ? { expectedId: repo.expectedId } : {}),
      firstInstall: repo.firstInstall,
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
