/**
 * kopia snapshot sources, `username@hostname:path`: the template every config carries (`repository.identity`), its
 * rules, and one PVC's identity rendered from it. Stated explicitly on every source and destination, so history never
 * depends on object names (docs/design.md#movers-and-secrets).
 */
import { renderTemplate } from '../../template.ts';

/** Records the kopia identity on the PVC's source and destination. */
export const KOPIA_IDENTITY_ANNOTATION = 'lifeboat.dev/kopia-identity';

/** The CRD pattern of the fork's `kopia.username` and `kopia.hostname`. */
export const KOPIA_IDENTITY_PART = /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$|^[a-zA-Z0-9]$/;

/** kopia requires the snapshot source path to be where VolSync mounts the volume. */
export const KOPIA_SOURCE_PATH = '/data';

export interface IdentityTemplate {
  username: string;
  hostname: string;
  path: string;
}

/** Splits `user@host:/path` into its templates; undefined when it has another shape. */
export function splitIdentity(template: string): IdentityTemplate | undefined {
  const match = /^([^@:]+)@([^@:]+):(\/.*)$/.exec(template);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { username: match[1], hostname: match[2], path: match[3] };
}

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
