import { createHash } from 'node:crypto';
import { isLabelValue } from '../config/formats.ts';
import type { NamingConfig } from '../config/types.ts';
import { renderTemplate } from '../template.ts';

/** Kubernetes limit for object names that are DNS subdomains (Secrets, custom resources). */
export const MAX_OBJECT_NAME = 253;
/**
 * VolSync names a source's mover Job `volsync-src-<name>` and a destination's `volsync-dst-<name>`
 * (docs/design.md#objects-and-schema,
 * §8.3), and Job names stop at 63 characters, so ReplicationSource and ReplicationDestination names stop at 51.
 */
export const MAX_VOLSYNC_NAME = 63 - 'volsync-src-'.length;
/** Hex characters of the hash suffix of a shortened name: 40 bits, ample within one namespace. */
const NAME_HASH_HEX = 10;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * `name` unchanged when it fits, else its beginning plus `-` and a hash of the whole name: deterministic, distinct
 * for names that share a long prefix, and still a valid name (no trailing `-` or `.` before the suffix).
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const head = name.slice(0, max - NAME_HASH_HEX - 1).replace(/[-.]+$/, '');
  return `${head}-${sha256Hex(name).slice(0, NAME_HASH_HEX)}`;
}

/**
 * The value of the `lifeboat.dev/pvc` label: the PVC name when it is a valid label value (at most 63 characters),
 * else `pvc-<first 24 hex of sha256(name)>` as the earlier system did (docs/design.md#long-names-and-label-values).
 * The full name is always kept in
 * the `lifeboat.dev/pvc-name` annotation.
 */
export function pvcLabelValue(pvcName: string): string {
  return isLabelValue(pvcName) ? pvcName : `pvc-${sha256Hex(pvcName).slice(0, 24)}`;
}

export interface GeneratedNames {
  secret: string;
  replicationSource: string;
  replicationDestination: string;
}

/** Names of the objects generated for one PVC, from the configured templates and within every limit. */
export function generatedNames(pvcName: string, naming: NamingConfig): GeneratedNames {
  const render = (template: string) => renderTemplate(template, { pvc: pvcName, namespace: '' });
  return {
    secret: fitName(render(naming.secret), MAX_OBJECT_NAME),
    replicationSource: fitName(render(naming.replicationSource), MAX_VOLSYNC_NAME),
    replicationDestination: fitName(render(naming.replicationDestination), MAX_VOLSYNC_NAME),
  };
}
