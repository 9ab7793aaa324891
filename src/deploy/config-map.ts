/**
 * The lifeboat configuration as installed: the values' `config` with `namespace` set to the install namespace (the
 * Lease, the guard ConfigMap and the webhook Secret live there, and it is always excluded from protection) and, unless
 * given, `admission.service.name` set to the installation's name (the Service the chart creates; lifeboat writes that
 * name into its serving certificate), mounted from a ConfigMap at /etc/lifeboat/config.yaml. It is validated here with the loader `lifeboat run` uses, so a bad
 * config fails at render time instead of in a crash-looping pod.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { ConfigError } from '../config/issues.ts';
import { CONFIG_API_VERSION, CONFIG_KIND, parseConfig } from '../config/load.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/client.ts';
import { goJson } from './go-json.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { fullname, type NameInput } from './names.ts';
import { ValuesError } from './values.ts';

/** The config document as written into the ConfigMap. */
type ConfigInput = Pick<RenderContext, 'values' | 'namespace'> & NameInput;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function installedConfig(ctx: ConfigInput): Record<string, unknown> {
  const given = ctx.values.config.namespace;
  if (given !== undefined && given !== ctx.namespace) {
    throw new ValuesError(
      `config.namespace is "${String(given)}" but lifeboat is installed into "${ctx.namespace}": lifeboat's namespace ` +
        'is where it runs; remove config.namespace or install into that namespace',
    );
  }
  const config: Record<string, unknown> = structuredClone(ctx.values.config);
  // Only into mappings: anything else is left for the loader to report.
  const admission = config.admission ?? {};
  if (isMap(admission)) {
    const service = admission.service ?? {};
    if (isMap(service) && service.name == null) {
      config.admission = { ...admission, service: { ...service, name: fullname(ctx) } };
    }
  }
  return { ...config, apiVersion: CONFIG_API_VERSION, kind: CONFIG_KIND, namespace: ctx.namespace };
}

/**
 * The validated configuration, for the objects that depend on it (webhook settings and exclusions, backup label, NFS
 * repository). Also refuses what `lifeboat run` would refuse at start: a webhook whose catalog has no Secret to read
 * credentials from.
 */
export function loadInstalledConfig(ctx: ConfigInput): LifeboatConfig {
  let config: LifeboatConfig;
  try {
    config = parseConfig(installedConfig(ctx), 'values.config');
  } catch (error) {
    if (error instanceof ConfigError) throw new ValuesError(error.message);
    throw error;
  }
  if (
    config.admission.enabled &&
    config.credentials.mode === 'external-secret' &&
    !config.catalog.credentialsSecretRef
  ) {
    throw new ValuesError(
      'config.catalog.credentialsSecretRef is required in external-secret mode: name the Secret that holds the ' +
        'repository password (and S3 keys), or set config.admission.enabled: false',
    );
  }
  return config;
}

/** sha256 of the config as Helm's `toJson` writes it: a config change rolls the pods (they read it at start). */
export function configChecksum(ctx: ConfigInput): string {
  return createHash('sha256')
    .update(goJson(installedConfig(ctx)))
    .digest('hex');
}

export function configMap(ctx: RenderContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(ctx, ctx.names.configMap),
    data: { 'config.yaml': stringify(installedConfig(ctx)) },
  };
}
