/**
 * The install settings, in the shape of the Helm chart's values.yaml, so one values file drives both renderers:
 * `helm template deploy/helm/lifeboat -f my-values.yaml` and `lifeboat manifests --values my-values.yaml` print the
 * same objects (test/integration/chart.test.ts holds them equal for every documented combination).
 *
 * `DEFAULT_VALUES` equals deploy/helm/lifeboat/values.yaml (a unit test compares them). Merging follows Helm: maps
 * merge key by key, anything else replaces, and `null` removes a default.
 */

import { DEFAULT_CONFIG } from '../config/defaults.ts';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ChartValues {
  /** Replaces the chart name in object names and in the `app.kubernetes.io/name` label. */
  nameOverride: string;
  /** Replaces the whole derived object name (`<release>-<name>`, or the release name when it contains the name). */
  fullnameOverride: string;
  image: { repository: string; tag: string; digest: string; pullPolicy: PullPolicy };
  imagePullSecrets: { name: string }[];
  replicaCount: number;
  logLevel: LogLevel;
  /** The lifeboat configuration (src/config/types.ts, docs/configuration.md); `namespace` is the install namespace. */
  config: Record<string, unknown>;
  resources: Record<string, unknown>;
  serviceAccount: { create: boolean; name: string; annotations: Record<string, unknown> };
  /**
   * The pod's securityContext, passed through. `runAsUser`/`runAsGroup`/`fsGroup`/`supplementalGroups` decide which
   * repository files lifeboat can read: kopia writes them 0600 (directories 0700) as the movers' uid, so the default
   * is the movers' default uid and gid (config `mover.moverSecurityContext`, 568).
   */
  podSecurityContext: Record<string, unknown>;
  /** The container's securityContext, passed through. */
  securityContext: Record<string, unknown>;
  /** More environment variables, volumes and mounts (e.g. the NFS export the catalog reads), passed through. */
  extraEnv: unknown[];
  extraVolumes: unknown[];
  extraVolumeMounts: unknown[];
  podDisruptionBudget: { enabled: boolean; minAvailable: number };
  priorityClassName: string;
  nodeSelector: Record<string, unknown>;
  tolerations: unknown[];
  /** Replaces the default preferred anti-affinity when not empty. */
  affinity: Record<string, unknown>;
  podAnnotations: Record<string, unknown>;
  podLabels: Record<string, unknown>;
  /**
   * With `config.admission.certificate.mode: cert-manager`: the issuer of the serving certificate. Empty: the chart
   * creates a private CA. (Whether the webhook runs, its failure policy and timeout are `config.admission`.)
   */
  certManager: { issuerRef: Record<string, unknown> };
  rbac: { restoreCommand: boolean };
  serviceMonitor: { enabled: boolean; interval: string; scrapeTimeout: string; labels: Record<string, unknown> };
  prometheusRule: { enabled: boolean; labels: Record<string, unknown> };
  argocd: { enabled: boolean; syncWave: string; webhookSyncWave: string };
}

/**
 * Resource numbers (docs/install.md, "Resources"): measured on the bundled operator (`node dist/lifeboat.js run`,
 * Node 24, in-cluster credentials, controller + catalog + webhook) against kube-apiserver 1.34 with 25 / 250 / 1000
 * labelled PVCs: steady RSS 103 / 114 / 133 MiB, 1.0 / 2.3 / 3.8 CPU-seconds to converge, idle about 6 millicores.
 * The request covers the steady state of a home-lab fleet; the limit leaves room for bursts and catalog refreshes.
 * No CPU limit: throttling a webhook server turns into admission timeouts.
 */
export const DEFAULT_RESOURCES = {
  requests: { cpu: '25m', memory: '128Mi' },
  limits: { memory: '256Mi' },
} as const;

/**
 * The uid and gid the movers write the repository as (config `mover.moverSecurityContext`'s default): lifeboat's pod
 * runs as them by default so it can read kopia's 0600 files and 0700 directories on an NFS export without squashing.
 */
export const DEFAULT_RUN_AS = DEFAULT_CONFIG.mover.moverSecurityContext.runAsUser;
const DEFAULT_RUN_AS_GROUP = DEFAULT_CONFIG.mover.moverSecurityContext.runAsGroup;

export const DEFAULT_VALUES: ChartValues = {
  nameOverride: '',
  fullnameOverride: '',
  image: { repository: 'ghcr.io/lifeboat-dev/lifeboat', tag: '', digest: '', pullPolicy: 'IfNotPresent' },
  imagePullSecrets: [],
  replicaCount: 2,
  logLevel: 'info',
  config: {},
  resources: structuredClone(DEFAULT_RESOURCES) as unknown as Record<string, unknown>,
  serviceAccount: { create: true, name: '', annotations: {} },
  podSecurityContext: {
    runAsNonRoot: true,
    runAsUser: DEFAULT_RUN_AS,
    runAsGroup: DEFAULT_RUN_AS_GROUP,
    fsGroup: DEFAULT_CONFIG.mover.moverSecurityContext.fsGroup,
    supplementalGroups: [],
    seccompProfile: { type: 'RuntimeDefault' },
  },
  securityContext: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  },
  extraEnv: [],
  extraVolumes: [],
  extraVolumeMounts: [],
  podDisruptionBudget: { enabled: true, minAvailable: 1 },
  priorityClassName: '',
  nodeSelector: {},
  tolerations: [],
  affinity: {},
  podAnnotations: {},
  podLabels: {},
  certManager: { issuerRef: {} },
  rbac: { restoreCommand: false },
  serviceMonitor: { enabled: false, interval: '30s', scrapeTimeout: '10s', labels: {} },
  prometheusRule: { enabled: false, labels: {} },
  argocd: { enabled: false, syncWave: '2', webhookSyncWave: '3' },
};

/** Values whose content is free-form (passed through to Kubernetes or to lifeboat's own config validation). */
export const FREE_FORM = new Set([
  'config',
  'resources',
  'serviceAccount.annotations',
  'podSecurityContext',
  'securityContext',
  'nodeSelector',
  'tolerations',
  'affinity',
  'podAnnotations',
  'podLabels',
  'imagePullSecrets',
  'certManager.issuerRef',
  'serviceMonitor.labels',
  'prometheusRule.labels',
]);

export const ENUMS: Readonly<Record<string, readonly unknown[]>> = {
  'image.pullPolicy': ['Always', 'IfNotPresent', 'Never'],
  logLevel: ['debug', 'info', 'warn', 'error'],
};

export class ValuesError extends Error {
  override readonly name = 'ValuesError';
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's coalescing: `override` on top of `base`; maps merge, other values replace, null deletes. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = mergeValues(out[key], value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function kind(value: unknown): string {
  return Array.isArray(value) ? 'list' : value === null ? 'null' : isMap(value) ? 'map' : typeof value;
}

/** Every problem in a merged values tree: unknown keys (typos), wrong types, values outside their set or range. */
export function valuesProblems(values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (actual: Record<string, unknown>, expected: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(actual)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (!(key in expected)) {
        problems.push(`${path}: unknown setting (known: ${Object.keys(expected).join(', ')})`);
        continue;
      }
      const want = expected[key];
      if (kind(value) !== kind(want)) {
        problems.push(`${path}: expected a ${kind(want)}, got a ${kind(value)}`);
        continue;
      }
      const allowed = ENUMS[path];
      if (allowed && !allowed.includes(value)) problems.push(`${path}: must be one of ${allowed.join(', ')}`);
      if (isMap(value) && isMap(want) && !FREE_FORM.has(path)) walk(value, want, path);
    }
    for (const key of Object.keys(expected)) {
      if (!(key in actual))
        problems.push(`${prefix ? `${prefix}.${key}` : key}: missing (null removed it; leave the default instead)`);
    }
  };
  walk(values, DEFAULT_VALUES as unknown as Record<string, unknown>, '');
  const v = values as unknown as Partial<ChartValues>;
  if (typeof v.replicaCount === 'number' && (!Number.isInteger(v.replicaCount) || v.replicaCount < 1)) {
    problems.push('replicaCount: must be a whole number of at least 1');
  }
  problems.push(...securityContextProblems(v.podSecurityContext));
  if (v.serviceAccount?.create === false && !v.serviceAccount.name) {
    problems.push(
      'serviceAccount.name: required when serviceAccount.create is false (name the existing ServiceAccount lifeboat runs as)',
    );
  }
  for (const key of ['nameOverride', 'fullnameOverride'] as const) {
    const name = v[key];
    if (typeof name === 'string' && name !== '' && !DNS_LABEL.test(name)) {
      problems.push(`${key}: "${name}" is not a valid name (lowercase letters, digits and "-", at most 63 characters)`);
    }
  }
  const minAvailable = v.podDisruptionBudget?.minAvailable;
  if (typeof minAvailable === 'number' && (!Number.isInteger(minAvailable) || minAvailable < 0)) {
    problems.push('podDisruptionBudget.minAvailable: must be a whole number of at least 0');
  }
  return problems;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The ids in the pod's securityContext that decide which repository files lifeboat may read. */
export const POD_IDS = ['runAsUser', 'runAsGroup', 'fsGroup'] as const;

function securityContextProblems(context: Record<string, unknown> | undefined): string[] {
  if (!isMap(context)) return [];
  const problems: string[] = [];
  const isId = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;
  for (const key of POD_IDS) {
    if (key in context && !isId(context[key])) {
      problems.push(`podSecurityContext.${key}: must be a whole number of at least 0 (a uid or gid)`);
    }
  }
  const groups = context.supplementalGroups;
  if (groups !== undefined && !(Array.isArray(groups) && groups.every(isId))) {
    problems.push('podSecurityContext.supplementalGroups: must be a list of gids (whole numbers of at least 0)');
  }
  return problems;
}

/** Defaults plus each override in order (like repeated `helm -f`), validated. Throws ValuesError listing problems. */
export function resolveValues(...overrides: Record<string, unknown>[]): ChartValues {
  let merged = structuredClone(DEFAULT_VALUES) as unknown as Record<string, unknown>;
  for (const override of overrides) merged = mergeValues(merged, override);
  const problems = valuesProblems(merged);
  if (problems.length > 0) throw new ValuesError(`invalid values:\n  ${problems.join('\n  ')}`);
  return merged as unknown as ChartValues;
}
