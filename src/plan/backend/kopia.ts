/**
 * kopia (the perfectra1n/volsync fork's mover): one shared repository; each PVC is a snapshot source
 * `username@hostname:path` inside it, rendered from `repository.identity` and stated explicitly on every source and
 * destination, so history never depends on object names (docs/design.md#movers-and-secrets).
 */
import { passwordVariable, repositoryVariable } from '../../catalog/environment.ts';
import { KOPIA_IDENTITY_ANNOTATION } from '../../config/keys.ts';
import { splitIdentity } from '../../config/rules.ts';
import { renderTemplate } from '../../config/template.ts';
import type { LifeboatConfig, Retention } from '../../config/types.ts';
import type { KopiaSourceSpec } from '../objects.ts';
import { type BackendPvc, type MoverBackend, retentionCounts } from './backend.ts';

/** A kopia snapshot source, `username@hostname:path`. */
export interface KopiaIdentity {
  username: string;
  hostname: string;
  path: string;
}

export function formatIdentity(id: KopiaIdentity): string {
  return `${id.username}@${id.hostname}:${id.path}`;
}

/** The identity of one PVC from the configured template (validated by the config loader). */
export function identityFor(template: string, namespace: string, pvc: string): KopiaIdentity {
  const parts = splitIdentity(template);
  if (!parts) throw new Error(`invalid kopia identity template "${template}"`);
  const values = { namespace, pvc };
  return {
    username: renderTemplate(parts.username, values),
    hostname: renderTemplate(parts.hostname, values),
    path: parts.path,
  };
}

function identityOf(config: LifeboatConfig, at: BackendPvc): KopiaIdentity {
  return identityFor(config.repository.identity, at.namespace, at.pvc);
}

export const kopiaBackend: MoverBackend = {
  kind: 'kopia',
  requiredSecretKeys: [passwordVariable('kopia'), repositoryVariable('kopia')],
  renderedSecretKeys: (location) => ({ [repositoryVariable('kopia')]: location }),
  identityAnnotations: (config, at) => ({ [KOPIA_IDENTITY_ANNOTATION]: formatIdentity(identityOf(config, at)) }),
  source: (common, retain, config, at) => {
    const identity = identityOf(config, at);
    return {
      kopia: {
        ...common,
        retain: kopiaRetain(retain),
        compression: config.mover.kopia.compression,
        parallelism: config.mover.kopia.parallelism,
        username: identity.username,
        hostname: identity.hostname,
      },
    };
  },
  destination: (common, config, at) => {
    const identity = identityOf(config, at);
    return { kopia: { ...common, username: identity.username, hostname: identity.hostname } };
  },
};

/** kopia calls restic's `last` rule `latest`. */
function kopiaRetain(retain: Retention): KopiaSourceSpec['retain'] {
  return { ...retentionCounts(retain), ...(retain.last !== undefined && { latest: retain.last }) };
}
