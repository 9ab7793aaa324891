import { placeholders } from '../template.ts';
import { DEFAULT_EXTERNAL_SECRET_REFRESH, DEFAULT_NFS_MOUNT_PATH } from './defaults.ts';
import { SPREAD_MINUTE, scheduleProblem } from './formats.ts';
import { childPath } from './issues.ts';
import { locationProblem, type MoverRepositoryRules, repositoryRules, sharedRepositoryMovers } from './movers.ts';
import type { Reader, Section } from './reader.ts';
import { dnsLabel, dnsSubdomain, identityTemplate } from './rules.ts';
import {
  BACKEND_KINDS,
  type Backend,
  type CredentialsConfig,
  type NfsVolumeConfig,
  type RepositoryConfig,
  type RepositoryMaintenanceConfig,
} from './types.ts';

export function readRepository(r: Reader, root: Section, defaults: RepositoryConfig): RepositoryConfig {
  const s = r.section(root.values.repository, 'repository', [
    'backend',
    'url',
    'identity',
    'nfs',
    'expectedId',
    'firstInstall',
    'maintenance',
  ]);
  const backend = r.oneOf<Backend>(s, 'backend', defaults.backend, BACKEND_KINDS);
  const rules = repositoryRules(backend);
  const url = r.optionalString(s, 'url', {
    check: (v) => locationProblem(rules, v),
    fix: rules.urlFix,
  });
  const identity = r.string(s, 'identity', defaults.identity, identityTemplate);
  const nfs = readNfs(r, r.section(s.values.nfs, childPath(s.path, 'nfs'), ['server', 'path', 'mountPath']));
  const maintenance = readMaintenance(r, s, rules, defaults.maintenance);

  if (rules.urlRequired && url === undefined && !r.issues.some((i) => i.path === childPath(s.path, 'url'))) {
    r.report(childPath(s.path, 'url'), rules.urlRequired.problem, rules.urlRequired.fix);
  }
  // A shared repository tells PVCs apart only by identity; two namespaces with the same PVC name must not meet.
  if (rules.sharedRepository && !placeholders(identity).includes('namespace')) {
    r.report(
      childPath(s.path, 'identity'),
      `"${identity}" lacks {namespace}, so same-named PVCs of different namespaces would share snapshots`,
      'put {namespace} in the identity, e.g. {pvc}-backup@{namespace}:/data',
    );
  }
  const expectedId = r.optionalString(s, 'expectedId', {
    check: (v) => (REPOSITORY_ID.test(v) ? undefined : `"${v.slice(0, 80)}" is not a repository ID (64 hex digits)`),
    fix: 'copy the ID `lifeboat catalog` prints under "repository ID" (or `kopia repository status` shows as Unique ID)',
  });
  const firstInstall = r.boolean(s, 'firstInstall', defaults.firstInstall);
  if (rules.perPvcRepositories) {
    const why = rules.perPvcRepositories.why;
    if (s.values.expectedId !== undefined)
      r.report(childPath(s.path, 'expectedId'), `is for ${sharedRepositoryMovers()} only (${why})`, 'remove it');
    if (firstInstall)
      r.report(childPath(s.path, 'firstInstall'), `is for ${sharedRepositoryMovers()} only (${why})`, 'remove it');
  } else if (firstInstall && expectedId !== undefined) {
    r.report(
      childPath(s.path, 'firstInstall'),
      'contradicts expectedId: a first installation has no repository to expect',
      'remove firstInstall when rebuilding against an existing repository (or expectedId for a new one)',
    );
  }
  return {
    backend,
    identity,
    firstInstall,
    maintenance,
    ...(url !== undefined && { url }),
    ...(nfs && { nfs }),
    ...(expectedId !== undefined && { expectedId: expectedId.toLowerCase() }),
  };
}

/** `repository.maintenance`: only kopia has a shared repository to maintain; restic prunes each PVC's own. */
function readMaintenance(
  r: Reader,
  repository: Section,
  rules: MoverRepositoryRules,
  defaults: RepositoryMaintenanceConfig,
): RepositoryMaintenanceConfig {
  const s = r.section(repository.values.maintenance, childPath(repository.path, 'maintenance'), [
    'enabled',
    'schedule',
  ]);
  if (rules.perPvcRepositories && Object.keys(s.values).length > 0) {
    r.report(s.path, rules.perPvcRepositories.maintenance, 'remove repository.maintenance');
  }
  const enabled = r.boolean(s, 'enabled', defaults.enabled);
  const schedule = r.string(s, 'schedule', defaults.schedule, {
    check: (v) => {
      if (v.trim().split(/\s+/)[0] === SPREAD_MINUTE) return `"${v}" uses ${SPREAD_MINUTE}, which only tiers can`;
      const problem = scheduleProblem(v);
      return problem && `"${v}" ${problem}`;
    },
    fix: 'write five cron fields with a fixed minute, e.g. "30 4 * * *" (daily at 04:30), or a macro such as @daily',
  });
  return { enabled, schedule };
}

/** A kopia repository's unique ID as `lifeboat catalog` and `kopia repository status` print it. */
export const REPOSITORY_ID = /^[0-9a-fA-F]{64}$/;

function readNfs(r: Reader, s: Section): NfsVolumeConfig | undefined {
  if (Object.keys(s.values).length === 0) return undefined;
  const server = r.optionalString(s, 'server');
  const path = r.optionalString(s, 'path', {
    check: (v) => (v.startsWith('/') ? undefined : `"${v}" is not absolute`),
    fix: 'write the exported path starting with /, e.g. /export/volsync',
  });
  const mountPath = r.string(s, 'mountPath', DEFAULT_NFS_MOUNT_PATH, dnsLabel);
  if (server === undefined) r.report(childPath(s.path, 'server'), 'is missing', 'add the NFS server host name');
  if (path === undefined && s.values.path === undefined) {
    r.report(childPath(s.path, 'path'), 'is missing', 'add the exported path, e.g. /export/volsync');
  }
  return server !== undefined && path !== undefined ? { server, path, mountPath } : undefined;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export function readCredentials(r: Reader, root: Section, lifeboatNamespace: string): CredentialsConfig {
  const s = r.section(root.values.credentials, 'credentials', [
    'mode',
    'secretRef',
    'storeRef',
    'refreshInterval',
    'extract',
    'data',
  ]);
  const mode = r.oneOf(s, 'mode', 'copy', ['copy', 'external-secret']);
  const only = (keys: string[], why: string) => {
    for (const key of keys) {
      if (s.values[key] !== undefined) r.report(childPath(s.path, key), `is not used in ${why}`, 'remove it');
    }
  };
  if (mode === 'copy') {
    only(['storeRef', 'refreshInterval', 'extract', 'data'], 'mode copy');
    const ref = r.section(s.values.secretRef, childPath(s.path, 'secretRef'), ['namespace', 'name']);
    return {
      mode,
      secretRef: {
        namespace: r.string(ref, 'namespace', lifeboatNamespace, dnsLabel),
        name: r.string(ref, 'name', 'lifeboat-repository', dnsSubdomain),
      },
    };
  }
  only(['secretRef'], 'mode external-secret');
  const store = r.section(s.values.storeRef, childPath(s.path, 'storeRef'), ['kind', 'name']);
  const storeName = r.optionalString(store, 'name', dnsSubdomain);
  if (storeName === undefined && store.values.name === undefined) {
    r.report(childPath(store.path, 'name'), 'is missing', 'name the (Cluster)SecretStore, e.g. name: 1password');
  }
  const extract = r.optionalString(s, 'extract');
  const data: Record<string, { key: string; property?: string }> = {};
  for (const [secretKey, value, path] of r.entries(s, 'data') ?? []) {
    if (!SECRET_KEY.test(secretKey)) {
      r.report(path, `"${secretKey}" is not a valid Secret key`, 'use letters, digits, "-", "_" and "."');
    }
    const ref = r.section(value, path, ['key', 'property']);
    const key = r.optionalString(ref, 'key');
    const property = r.optionalString(ref, 'property');
    if (key === undefined) r.report(childPath(path, 'key'), 'is missing', 'name the remote secret (the store item)');
    else data[secretKey] = { key, ...(property !== undefined && { property }) };
  }
  if (extract === undefined && s.values.data === undefined) {
    r.report(
      s.path,
      'external-secret mode reads nothing from the store',
      'add extract: <remote key> (all its properties) or data: {SECRET_KEY: {key: <remote key>, property: <field>}}',
    );
  }
  return {
    mode,
    storeRef: {
      kind: r.oneOf(store, 'kind', 'ClusterSecretStore', ['ClusterSecretStore', 'SecretStore']),
      name: storeName ?? '',
    },
    refreshInterval: r.duration(s, 'refreshInterval', DEFAULT_EXTERNAL_SECRET_REFRESH, 1_000),
    data,
    ...(extract !== undefined && { extract }),
  };
}
