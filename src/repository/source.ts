/**
 * The catalog's view of a configured backend: which repositories exist, which repository and source hold a PVC,
 * and how to read one repository. Two shapes fit behind it (README.md, "The backup catalog"):
 * - Kopia: one shared repository; every PVC is a source `user@host:/path` inside it, found through an identity
 *   template.
 * - restic: one repository per PVC at a location from a template; a repository that was never written is simply
 *   absent.
 * Implementations over the real readers live with each mover (src/mover/<name>/catalog-source.ts); tests may
 * implement it directly to drive the catalog through failures that are hard to stage with real storage.
 */
import type { Snapshot } from './types.ts';

export interface PvcRef {
  namespace: string;
  pvc: string;
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const NAMESPACE_NAME = new RegExp(`^${DNS_LABEL}$`);
const PVC_NAME = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/**
 * Why `ref` cannot name a PVC (namespaces are DNS-1123 labels of at most 63 characters, PVC names DNS-1123
 * subdomains of at most 253), or undefined when it can. Checked at every entry point (HTTP, CLI) before a name is
 * rendered into a repository location or identity.
 */
export function pvcRefProblem(ref: PvcRef): string | undefined {
  if (ref.namespace.length > 63 || !NAMESPACE_NAME.test(ref.namespace)) {
    return `"${shorten(ref.namespace)}" is not a valid namespace name (lower-case letters, digits and '-', at most 63 characters)`;
  }
  if (ref.pvc.length > 253 || !PVC_NAME.test(ref.pvc) || ref.pvc.split('.').some((part) => part.length > 63)) {
    return `"${shorten(ref.pvc)}" is not a valid PVC name (lower-case letters, digits, '-' and '.', at most 253 characters)`;
  }
  return undefined;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** `namespace/pvc`, the key of a PVC everywhere in the catalog (neither part can contain '/'). */
export function pvcKey(ref: PvcRef): string {
  return `${ref.namespace}/${ref.pvc}`;
}

export interface RepositoryRef {
  /** The repository's location without credentials; unique per repository, used as key and metrics label. */
  key: string;
  /** Set when the repository belongs to exactly one PVC (restic). */
  pvc?: PvcRef;
}

export interface RepositoryRead {
  /** False when the location is reachable but holds no repository (never backed up). */
  exists: boolean;
  /** Snapshots per PVC key (`namespace/pvc`), in any order; only sources that map to a PVC. */
  pvcs: Map<string, Snapshot[]>;
  /** Every snapshot in the repository, counting sources that map to no PVC too. */
  snapshotCount: number;
  /** Sources in the repository that do not follow the identity template (Kopia), for diagnostics. */
  unmatchedSources: string[];
  /** The snapshots of each unmatched source (Kopia), to recognise one that names a PVC under another identity. */
  unmatchedSnapshots?: Map<string, Snapshot[]>;
  /** The repository's identity when it exists: Kopia's unique ID (hex), restic's config id. */
  repositoryId?: string;
}

/** PVC Plumber's `backend` label (`s3` was its restic-on-S3 backend), plus `restic-fs`. */
export type BackendLabel = 'kopia-fs' | 'kopia-s3' | 's3' | 'restic-fs';

export interface CatalogSource {
  /** The mover's name in the registry (src/mover/index.ts), which this layer below it does not know. */
  readonly kind: string;
  readonly backend: BackendLabel;
  /** Where this source reads, without credentials (a location or a template), for messages. */
  readonly description: string;
  /** True when each PVC has its own repository, which the catalog may read on demand for an unknown PVC. */
  readonly perPvcRepositories: boolean;
  /** The repository holding a PVC, and the source name reported to callers (Kopia identity or restic location). */
  locate(ref: PvcRef): { repository: RepositoryRef; source: string };
  /** The repositories a full refresh reads. Throws when they cannot be enumerated. */
  discover(signal: AbortSignal): Promise<RepositoryRef[]>;
  /**
   * Reads one repository. Throws RepositoryError (or CredentialsError) when it cannot tell what the repository
   * holds; a reachable location without a repository is a successful read with `exists: false`.
   */
  read(repository: RepositoryRef, signal: AbortSignal): Promise<RepositoryRead>;
  /** Releases connections. */
  close(): void;
}

/**
 * The password or keys could not be obtained at refresh time (a Secret being rotated, a missing file). Credentials
 * are read lazily at each read, so this affects only the reads that need them and never stops the process
 * (docs/design.md#credentials-that-crash-the-process).
 */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}
