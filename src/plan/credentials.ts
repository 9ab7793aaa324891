import { Buffer } from 'node:buffer';
import { defaultLocation } from '../catalog/environment.ts';
import { formatGoDuration } from '../config/formats.ts';
import { CREDENTIALS_FROM_ANNOTATION } from '../config/keys.ts';
import type { CopyCredentialsConfig, ExternalSecretCredentialsConfig, LifeboatConfig } from '../config/types.ts';
import { renderTemplate } from '../template.ts';
import { backendOf } from './backend/index.ts';
import { generatedMetadata } from './metadata.ts';
import { EXTERNAL_SECRETS_API_VERSION, type ExternalSecretObject, type SecretObject } from './objects.ts';
import { byCodeUnit } from './order.ts';

/**
 * What the controller knows about the copy-mode source Secret. `data` holds the `.data` map exactly as the API
 * returns it (base64 values). `not-read` is for offline rendering: the Secret is generated with only the keys
 * lifeboat renders itself, annotated with the source it will copy from; nothing is invented.
 */
export type SourceSecretFact =
  | { state: 'found'; data: Readonly<Record<string, string>> }
  | { state: 'not-found' }
  | { state: 'not-read' };

/**
 * Secret keys lifeboat renders per PVC, in plain text: the repository location from `repository.url` (or the
 * backend's default, kopia's NFS mount) in the backend's repository key.
 */
export function renderedSecretKeys(config: LifeboatConfig, namespace: string, pvc: string): Record<string, string> {
  const url = config.repository.url ?? defaultLocation(config);
  if (url === undefined) return {};
  return backendOf(config).renderedSecretKeys(renderTemplate(url, { namespace, pvc }));
}

export type CredentialsPlan =
  | { kind: 'ready'; object: SecretObject | ExternalSecretObject; notes: string[] }
  | { kind: 'waiting'; message: string };

export interface CredentialsInput {
  config: LifeboatConfig;
  namespace: string;
  pvc: string;
  secretName: string;
  source: SourceSecretFact;
}

/** The mover Secret (copy mode) or the ExternalSecret that will produce it; or why it cannot be written yet. */
export function planCredentials(input: CredentialsInput): CredentialsPlan {
  const credentials = input.config.credentials;
  return credentials.mode === 'copy' ? copySecret(input, credentials) : externalSecret(input, credentials);
}

function copySecret(input: CredentialsInput, copy: CopyCredentialsConfig): CredentialsPlan {
  const { config, namespace, pvc, secretName, source } = input;
  const from = `${copy.secretRef.namespace}/${copy.secretRef.name}`;
  const rendered = base64Values(renderedSecretKeys(config, namespace, pvc));
  const required = [...backendOf(config).requiredSecretKeys];
  const notes: string[] = [];
  let data: Record<string, string>;
  if (source.state === 'not-found') {
    return { kind: 'waiting', message: `source Secret ${from} not found: create it with ${required.join(' and ')}` };
  }
  if (source.state === 'found') {
    data = { ...source.data, ...rendered };
    const missing = required.filter((key) => !data[key]);
    if (missing.length > 0) {
      return { kind: 'waiting', message: `source Secret ${from} lacks ${missing.join(' and ')}: add the key(s)` };
    }
  } else {
    data = rendered;
    const copied = required.filter((key) => !(key in rendered));
    notes.push(`credential keys (${copied.join(', ')}, and any others) will be copied from Secret ${from}`);
  }
  return {
    kind: 'ready',
    notes,
    object: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: generatedMetadata(secretName, namespace, pvc, { annotations: { [CREDENTIALS_FROM_ANNOTATION]: from } }),
      type: 'Opaque',
      data: sortKeys(data),
    },
  };
}

function externalSecret(input: CredentialsInput, es: ExternalSecretCredentialsConfig): CredentialsPlan {
  const { config, namespace, pvc, secretName } = input;
  const rendered = renderedSecretKeys(config, namespace, pvc);
  const data = Object.entries(es.data)
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([secretKey, remoteRef]) => ({ secretKey, remoteRef: { ...remoteRef } }));
  return {
    kind: 'ready',
    notes: [],
    object: {
      apiVersion: EXTERNAL_SECRETS_API_VERSION,
      kind: 'ExternalSecret',
      metadata: generatedMetadata(secretName, namespace, pvc),
      spec: {
        refreshInterval: formatGoDuration(es.refreshInterval),
        secretStoreRef: { ...es.storeRef },
        target: {
          name: secretName,
          creationPolicy: 'Owner',
          // Merge keeps what the store provides and adds the per-PVC repository location on top.
          ...(Object.keys(rendered).length > 0 && {
            template: { engineVersion: 'v2', mergePolicy: 'Merge', data: sortKeys(rendered) },
          }),
        },
        ...(es.extract !== undefined && { dataFrom: [{ extract: { key: es.extract } }] }),
        ...(data.length > 0 && { data }),
      },
    },
  };
}

function base64Values(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

function sortKeys(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => byCodeUnit(a, b)));
}

/** The planner's view of the copy-mode source Secret, from a cache of it (undefined: not watched, external-secret mode). */
export function sourceSecretFactFrom(secrets: readonly object[] | undefined): SourceSecretFact {
  if (!secrets) return { state: 'not-read' };
  const secret = secrets[0] as { data?: Record<string, string> } | undefined;
  return secret ? { state: 'found', data: secret.data ?? {} } : { state: 'not-found' };
}
