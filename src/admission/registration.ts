/**
 * lifeboat's MutatingWebhookConfiguration and ValidatingWebhookConfiguration, generated as plain objects by a pure
 * function (so `lifeboat manifests` can print them) and applied by the leader whenever the CA bundle changes.
 *
 * Scoped so a broken lifeboat can only ever delay labelled PVCs, never the cluster (docs/design.md#webhook-outage):
 * - rules: PersistentVolumeClaim CREATE only (v1); `matchPolicy: Equivalent`;
 * - objectSelector: the backup label exists, so unlabelled PVCs never reach lifeboat;
 * - namespaceSelector: not a system namespace (config's excluded list plus kube-system and lifeboat's own), and not
 *   labelled break-glass, so break-glass works while lifeboat is down: the API server no longer calls it there;
 * - `timeoutSeconds` ≤ 5, `sideEffects: None`, `admissionReviewVersions: [v1]`;
 * - `failurePolicy: Fail` (enforcing, the default: a labelled PVC is not created while lifeboat cannot answer), or
 *   `Ignore` in permissive mode (lifeboat down → PVCs are created without the restore check);
 * - mutating `reinvocationPolicy: IfNeeded`: when a later mutating webhook changes the PVC (for example strips
 *   `dataSourceRef`), lifeboat is called again and re-adds the reference; the validating webhook checks the end
 *   result either way.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { excludedNamespaces } from '../intent/classify.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { BREAK_GLASS_LABEL, MUTATE_PATH, NAMESPACE_NAME_LABEL, VALIDATE_PATH } from './keys.ts';
import { splitCertificates } from './pki.ts';

export type WebhookEndpoint =
  /** In-cluster: the API server calls the Service. */
  | { service: { namespace: string; name: string; port?: number } }
  /** Out of cluster (tests, development): `https://host:port`; the webhook paths are appended. */
  | { url: string };

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface WebhookRegistrationOptions {
  config: LifeboatConfig;
  endpoint: WebhookEndpoint;
  /** PEM bundle the API server trusts for the webhook (the certificates Secret's `ca.crt`). */
  caBundlePem: string;
  /** Name of both configuration objects. Default `lifeboat`. */
  name?: string;
  /** failurePolicy Ignore instead of Fail. */
  permissive?: boolean;
  /** 1–5; default 5. */
  mutateTimeoutSeconds?: number;
  /** 1–5; default 5. */
  validateTimeoutSeconds?: number;
  /** Further namespaceSelector requirements, ANDed with the exclusions (e.g. only namespaces with a team label). */
  extraNamespaceSelector?: LabelSelectorRequirement[];
}

export interface WebhookConfigurations {
  mutating: KubeObject;
  validating: KubeObject;
}

export const DEFAULT_REGISTRATION_NAME = 'lifeboat';
export const MUTATING_WEBHOOK_NAME = 'restore.pvc.lifeboat.dev';
export const VALIDATING_WEBHOOK_NAME = 'validate.pvc.lifeboat.dev';

const API_VERSION = 'admissionregistration.k8s.io/v1';

function timeout(value: number | undefined, what: string): number {
  const seconds = value ?? 5;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 5) {
    throw new Error(
      `${what} must be a whole number of seconds from 1 to 5 (docs/design.md#webhook-outage: short timeouts), got ${value}`,
    );
  }
  return seconds;
}

function clientConfig(endpoint: WebhookEndpoint, path: string): Record<string, unknown> {
  if ('url' in endpoint) {
    const url = new URL(endpoint.url);
    if (url.protocol !== 'https:') throw new Error(`webhook URL ${endpoint.url} must use https`);
    return { url: `${url.origin}${path}` };
  }
  const { namespace, name, port } = endpoint.service;
  return { service: { namespace, name, path, port: port ?? 443 } };
}

/** The options that shape the configurations, without the trust bundle. */
export type WebhookDefinitionOptions = Omit<WebhookRegistrationOptions, 'caBundlePem'>;

/**
 * Both configurations without `caBundle`: the one builder behind run-time registration (below, which adds the
 * bundle) and the chart's objects (deploy/webhooks.ts, where whoever owns the CA fills it in). Throws on options the
 * API server would reject or docs/design.md#webhook-outage rules out.
 */
export function webhookDefinitions(options: WebhookDefinitionOptions): WebhookConfigurations {
  const name = options.name ?? DEFAULT_REGISTRATION_NAME;
  const metadata = { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } };
  const common = {
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['persistentvolumeclaims'],
        operations: ['CREATE'],
        scope: 'Namespaced',
      },
    ],
    matchPolicy: 'Equivalent',
    objectSelector: { matchExpressions: [{ key: options.config.keys.backupLabel, operator: 'Exists' }] },
    namespaceSelector: {
      matchExpressions: [
        { key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [...excludedNamespaces(options.config)].sort() },
        { key: BREAK_GLASS_LABEL, operator: 'NotIn', values: ['true'] },
        ...(options.extraNamespaceSelector ?? []),
      ],
    },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: options.permissive ? 'Ignore' : 'Fail',
  };
  return {
    mutating: {
      apiVersion: API_VERSION,
      kind: 'MutatingWebhookConfiguration',
      metadata,
      webhooks: [
        {
          name: MUTATING_WEBHOOK_NAME,
          clientConfig: clientConfig(options.endpoint, MUTATE_PATH),
          ...common,
          timeoutSeconds: timeout(options.mutateTimeoutSeconds, 'mutateTimeoutSeconds'),
          reinvocationPolicy: 'IfNeeded',
        },
      ],
    },
    validating: {
      apiVersion: API_VERSION,
      kind: 'ValidatingWebhookConfiguration',
      metadata,
      webhooks: [
        {
          name: VALIDATING_WEBHOOK_NAME,
          clientConfig: clientConfig(options.endpoint, VALIDATE_PATH),
          ...common,
          timeoutSeconds: timeout(options.validateTimeoutSeconds, 'validateTimeoutSeconds'),
        },
      ],
    },
  };
}

/** Both configurations as `lifeboat run` registers them: the definitions with the trust bundle. */
export function webhookConfigurations(options: WebhookRegistrationOptions): WebhookConfigurations {
  if (splitCertificates(options.caBundlePem).length === 0) throw new Error('caBundlePem holds no PEM certificate');
  const caBundle = Buffer.from(options.caBundlePem, 'utf8').toString('base64');
  const configurations = webhookDefinitions(options);
  for (const configuration of [configurations.mutating, configurations.validating]) {
    for (const webhook of (configuration as KubeObject & { webhooks: { clientConfig: Record<string, unknown> }[] })
      .webhooks) {
      webhook.clientConfig.caBundle = caBundle;
    }
  }
  return configurations;
}

/**
 * Applies both configurations (server-side apply, forced: lifeboat owns them). Idempotent: re-applying unchanged
 * objects writes nothing, so the leader may call it on every bundle change and on a slow resync (repairing edits).
 */
export async function applyWebhookConfigurations(
  kube: KubeClient,
  options: WebhookRegistrationOptions | WebhookConfigurations,
): Promise<WebhookConfigurations> {
  const configurations = 'mutating' in options ? options : webhookConfigurations(options);
  await kube.apply(configurations.validating, { force: true });
  await kube.apply(configurations.mutating, { force: true });
  return configurations;
}

/** Removes both configurations (uninstall, tests); missing ones are fine. */
export async function deleteWebhookConfigurations(kube: KubeClient, name = DEFAULT_REGISTRATION_NAME): Promise<void> {
  for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
    await kube.delete({ apiVersion: API_VERSION, kind, name });
  }
}
