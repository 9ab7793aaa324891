import { parseDocument } from 'yaml';
import { DEFAULT_CONFIG } from './defaults.ts';
import { ConfigError, childPath } from './issues.ts';
import { readMover } from './load-mover.ts';
import { readCredentials, readRepository } from './load-repository.ts';
import { readTiers } from './load-tiers.ts';
import { describe, Reader, type Section } from './reader.ts';
import { dnsLabel, dnsSubdomain, nameTemplate, qualifiedKey } from './rules.ts';
import type { KeysConfig, LifeboatConfig } from './types.ts';
import { yamlProblem } from './yaml-errors.ts';

/** Optional self-description of a config file, so that manifests tools can tell it apart from Kubernetes objects. */
export const CONFIG_API_VERSION = 'lifeboat.dev/v1alpha1';
export const CONFIG_KIND = 'LifeboatConfig';

const TOP_LEVEL = [
  'apiVersion',
  'kind',
  'namespace',
  'keys',
  'namespaces',
  'tiers',
  'repository',
  'credentials',
  'mover',
  'restore',
  'naming',
  'minPvcAge',
  'sweeps',
  'massDeletionGuard',
  'catalog',
  'admission',
] as const;

/**
 * Parses and validates a YAML config. Absent fields take their defaults; an empty text is the default config.
 * Throws `ConfigError` listing every problem (path, what is wrong, how to fix it).
 */
export function loadConfig(text: string, source = 'config'): LifeboatConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const { where, problem, excerpt } = yamlProblem(e);
        return { path: where, problem, fix: 'correct the YAML syntax', ...(excerpt ? { excerpt } : {}) };
      }),
    );
  }
  return parseConfig(doc.toJS() as unknown, source);
}

/** Validates an already-parsed config value (e.g. from a ConfigMap's JSON). */
export function parseConfig(raw: unknown, source = 'config'): LifeboatConfig {
  const r = new Reader();
  const root = r.section(raw, '', TOP_LEVEL);
  const d = DEFAULT_CONFIG;

  checkSelfDescription(r, root);
  const namespace = r.string(root, 'namespace', d.namespace, dnsLabel);
  const config: LifeboatConfig = {
    namespace,
    keys: readKeys(r, root, d.keys),
    namespaces: {
      excluded: r.stringList(
        r.section(root.values.namespaces, 'namespaces', ['excluded']),
        'excluded',
        d.namespaces.excluded,
        dnsLabel,
      ),
    },
    tiers: readTiers(r, root, d.tiers),
    repository: readRepository(r, root, d.repository),
    credentials: readCredentials(r, root, namespace),
    mover: readMover(r, root, d.mover),
    restore: readRestore(r, root),
    naming: readNaming(r, root),
    minPvcAge: r.duration(root, 'minPvcAge', d.minPvcAge, 0),
    ...readTimers(r, root),
    admission: readAdmission(r, root),
  };
  if (r.issues.length > 0) throw new ConfigError(source, r.issues);
  return config;
}

function checkSelfDescription(r: Reader, root: Section): void {
  for (const [key, expected] of [
    ['apiVersion', CONFIG_API_VERSION],
    ['kind', CONFIG_KIND],
  ] as const) {
    const value = root.values[key];
    if (value !== undefined && value !== expected) {
      r.report(key, `is ${describe(value)}`, `write ${key}: ${expected} or leave it out`);
    }
  }
}

function readKeys(r: Reader, root: Section, d: KeysConfig): KeysConfig {
  const s = r.section(root.values.keys, 'keys', [
    'backupLabel',
    'exemptLabel',
    'exemptReasonAnnotation',
    'namespaceOptInAnnotation',
  ]);
  const keys: KeysConfig = {
    backupLabel: r.string(s, 'backupLabel', d.backupLabel, qualifiedKey),
    exemptLabel: r.string(s, 'exemptLabel', d.exemptLabel, qualifiedKey),
    exemptReasonAnnotation: r.string(s, 'exemptReasonAnnotation', d.exemptReasonAnnotation, qualifiedKey),
    namespaceOptInAnnotation: r.string(s, 'namespaceOptInAnnotation', d.namespaceOptInAnnotation, qualifiedKey),
  };
  if (keys.backupLabel === keys.exemptLabel) {
    r.report(
      childPath(s.path, 'exemptLabel'),
      `is the same key as backupLabel ("${keys.backupLabel}")`,
      'use two different labels',
    );
  }
  return keys;
}

function readRestore(r: Reader, root: Section): LifeboatConfig['restore'] {
  const d = DEFAULT_CONFIG.restore;
  const s = r.section(root.values.restore, 'restore', ['initialTrigger', 'cleanupTempPVC', 'sync']);
  const sync = r.section(s.values.sync, childPath(s.path, 'sync'), [
    'enabled',
    'interval',
    'concurrency',
    'perRepository',
    'timeout',
  ]);
  return {
    initialTrigger: r.string(s, 'initialTrigger', d.initialTrigger),
    cleanupTempPVC: r.boolean(s, 'cleanupTempPVC', d.cleanupTempPVC),
    sync: {
      enabled: r.boolean(sync, 'enabled', d.sync.enabled),
      interval: r.duration(sync, 'interval', d.sync.interval, 60_000),
      concurrency: r.integer(sync, 'concurrency', d.sync.concurrency, 1),
      perRepository: r.integer(sync, 'perRepository', d.sync.perRepository, 1),
      // Shorter than a small volume's restore would report healthy syncs as stuck.
      timeout: r.duration(sync, 'timeout', d.sync.timeout, 5 * 60_000),
    },
  };
}

function readNaming(r: Reader, root: Section): LifeboatConfig['naming'] {
  const d = DEFAULT_CONFIG.naming;
  const s = r.section(root.values.naming, 'naming', ['secret', 'replicationSource', 'replicationDestination']);
  return {
    secret: r.string(s, 'secret', d.secret, nameTemplate),
    replicationSource: r.string(s, 'replicationSource', d.replicationSource, nameTemplate),
    replicationDestination: r.string(s, 'replicationDestination', d.replicationDestination, nameTemplate),
  };
}

function readTimers(r: Reader, root: Section) {
  const d = DEFAULT_CONFIG;
  const sweeps = r.section(root.values.sweeps, 'sweeps', ['cleanup', 'resync']);
  const guard = r.section(root.values.massDeletionGuard, 'massDeletionGuard', ['threshold', 'window']);
  const catalog = r.section(root.values.catalog, 'catalog', [
    'staleAfter',
    'refreshInterval',
    'location',
    'credentialsSecretRef',
  ]);
  return {
    sweeps: {
      cleanup: r.duration(sweeps, 'cleanup', d.sweeps.cleanup, 1_000),
      resync: r.duration(sweeps, 'resync', d.sweeps.resync, 1_000),
    },
    massDeletionGuard: {
      threshold: r.integer(guard, 'threshold', d.massDeletionGuard.threshold, 1),
      window: r.duration(guard, 'window', d.massDeletionGuard.window, 1_000),
    },
    catalog: {
      staleAfter: r.duration(catalog, 'staleAfter', d.catalog.staleAfter, 1_000),
      refreshInterval: r.duration(catalog, 'refreshInterval', d.catalog.refreshInterval, 1_000),
      ...optional('location', r.optionalString(catalog, 'location')),
      ...optional('credentialsSecretRef', readSecretRef(r, catalog, 'credentialsSecretRef')),
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function readSecretRef(r: Reader, parent: Section, key: string): { namespace: string; name: string } | undefined {
  if (parent.values[key] === undefined) return undefined;
  const s = r.section(parent.values[key], childPath(parent.path, key), ['namespace', 'name']);
  const name = r.optionalString(s, 'name', dnsSubdomain);
  const namespace = r.optionalString(s, 'namespace', dnsLabel);
  if (!name || !namespace) {
    r.report(childPath(parent.path, key), 'needs both namespace and name', 'write { namespace: ..., name: ... }');
    return undefined;
  }
  return { namespace, name };
}

function readAdmission(r: Reader, root: Section): LifeboatConfig['admission'] {
  const d = DEFAULT_CONFIG.admission;
  const s = r.section(root.values.admission, 'admission', [
    'enabled',
    'failurePolicy',
    'breakGlass',
    'timeoutSeconds',
    'service',
    'certificate',
  ]);
  const policy = r.string(s, 'failurePolicy', d.failurePolicy);
  if (policy !== 'Fail' && policy !== 'Ignore') {
    r.report(
      childPath(s.path, 'failurePolicy'),
      `is "${policy}"`,
      'use Fail (fail-closed, default) or Ignore (permissive)',
    );
  }
  const service = r.section(s.values.service, childPath(s.path, 'service'), ['name', 'port']);
  const certificate = r.section(s.values.certificate, childPath(s.path, 'certificate'), ['mode', 'secretName']);
  const mode = r.string(certificate, 'mode', d.certificate.mode);
  if (mode !== 'self-signed' && mode !== 'cert-manager') {
    r.report(childPath(certificate.path, 'mode'), `is "${mode}"`, 'use self-signed (default) or cert-manager');
  }
  return {
    enabled: r.boolean(s, 'enabled', d.enabled),
    failurePolicy: policy === 'Ignore' ? 'Ignore' : 'Fail',
    breakGlass: r.boolean(s, 'breakGlass', d.breakGlass),
    timeoutSeconds: r.integer(s, 'timeoutSeconds', d.timeoutSeconds, 1, 5),
    service: {
      name: r.string(service, 'name', d.service.name, dnsLabel),
      port: r.integer(service, 'port', d.service.port, 1, 65535),
    },
    certificate: {
      mode: mode === 'cert-manager' ? 'cert-manager' : 'self-signed',
      secretName: r.string(certificate, 'secretName', d.certificate.secretName, dnsSubdomain),
    },
  };
}
