/**
 * A model of the perfectra1n/volsync fork's kopia identity rules (its `builder.go`), for tests: which identity the
 * fork's movers use for a ReplicationSource or ReplicationDestination as lifeboat generates them. lifeboat itself
 * states the identity explicitly and never needs these rules at run time. The real twin is the fork's controller, run by
 * the real-node data-path tests (test/integration/realnode-data-path-kopia-*.test.ts), where the real fork controller
 * builds the movers from lifeboat's objects and the restore finds the backup only if both resolve to the same identity.
 */
import type { KopiaIdentity } from '../../src/mover/kopia/identity.ts';

/** The kopia fields of a source or destination that decide its identity (fork CRD names). */
export interface KopiaIdentitySpec {
  username?: string;
  hostname?: string;
  sourcePathOverride?: string;
  sourceIdentity?: { sourceName?: string; sourceNamespace?: string; sourcePathOverride?: string };
}

/**
 * Which identity the perfectra1n/volsync fork uses for a ReplicationSource (docs/design.md#movers-and-secrets, from
 * the fork's
 * `builder.go`): explicit `username`/`hostname` verbatim, else the sanitized object name and namespace.
 */
export function resolveSourceIdentity(name: string, namespace: string, kopia: KopiaIdentitySpec): KopiaIdentity {
  return {
    username: kopia.username ?? sanitizeUsername(name),
    hostname: kopia.hostname ?? (sanitizeHostname(namespace) || sanitizeHostname(name) || DEFAULT_PART),
    path: kopia.sourcePathOverride ?? '/data',
  };
}

/**
 * Which identity the fork's destination mover restores from: explicit `username` + `hostname` (both required
 * together), else `sourceIdentity` (which does not read the source's explicit username), else the destination's own
 * name and namespace: an RD named unlike its RS then silently finds nothing.
 */
export function resolveDestinationIdentity(name: string, namespace: string, kopia: KopiaIdentitySpec): KopiaIdentity {
  const path = kopia.sourceIdentity?.sourcePathOverride ?? '/data';
  if (kopia.username !== undefined && kopia.hostname !== undefined) {
    return { username: kopia.username, hostname: kopia.hostname, path };
  }
  const source = kopia.sourceIdentity;
  if (source?.sourceName !== undefined) {
    return {
      username: sanitizeUsername(source.sourceName),
      hostname: sanitizeHostname(source.sourceNamespace ?? namespace) || DEFAULT_PART,
      path,
    };
  }
  return { username: sanitizeUsername(name), hostname: sanitizeHostname(namespace) || DEFAULT_PART, path };
}

const DEFAULT_PART = 'volsync-default';

/** Keep `[A-Za-z0-9_-]`, trim `-`/`_` at both ends, cut to 50; empty → `volsync-default`. */
function sanitizeUsername(name: string): string {
  const kept = name
    .replace(/[^A-Za-z0-9_-]/g, '')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 50);
  return kept || DEFAULT_PART;
}

/** `_` → `-`, keep `[A-Za-z0-9.-]`, trim `-`/`.` at both ends; may return '' for the caller's fallback. */
function sanitizeHostname(name: string): string {
  return name
    .replace(/_/g, '-')
    .replace(/[^A-Za-z0-9.-]/g, '')
    .replace(/^[-.]+|[-.]+$/g, '');
}
