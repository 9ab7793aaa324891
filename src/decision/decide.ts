/**
 * The restore decision for one PVC: pure, from the catalog's facts and "now" (ARCHITECTURE.md: nothing in decision/
 * touches the network, the clock or the file system).
 *
 * The contract (docs/design.md#fail-open-answers, #authoritative-no-over-existing-data): `restore` and `fresh` are
 * authoritative answers; whenever the facts cannot prove
 * either, the answer is `unknown` with a cause saying why and what to do. In particular `fresh` needs a successful,
 * recent read that found no complete snapshot, with no sign that history went missing.
 */

import type { DriftedSource, FailureCode, PvcFacts } from '../catalog/view.ts';
import type { Snapshot } from '../repository/types.ts';

export type DecisionValue = 'restore' | 'fresh' | 'unknown';

export type DecisionCause =
  // restore
  | 'snapshots-found'
  // fresh
  | 'no-snapshots' // the repository is readable and holds nothing for this PVC
  | 'repository-not-found' // nothing was ever written at the PVC's (reachable) location
  // unknown: the repository could not be read
  | 'repository-unreachable'
  | 'wrong-password'
  | 'corrupt'
  | 'timeout'
  | 'access-denied'
  | 'unsupported'
  | 'backend-error'
  | 'credentials-missing'
  | 'internal-error'
  // unknown: the catalog cannot vouch for its facts
  | 'catalog-stale'
  | 'catalog-not-loaded'
  // unknown: the repository was read, but what it says contradicts what is expected
  | 'history-missing'
  | 'repository-empty-unexpectedly'
  | 'only-incomplete-snapshots'
  // unknown: the repository at the location is not the one lifeboat reads, or is absent where one must be
  | 'repository-changed'
  | 'repository-missing'
  | 'identity-mismatch';

/**
 * What is known about a PVC's backup history from outside the repository (the expected-history ledger,
 * docs/design.md#authoritative-no-over-existing-data).
 * The ledger itself is another component; the decision only needs these facts.
 */
export interface ExpectedHistory {
  /** Snapshots of this PVC were seen before (by lifeboat, at any time). */
  hadSnapshots: boolean;
  /** The newest snapshot recorded, for the message. */
  lastSnapshotId?: string;
  lastSnapshotTime?: string;
}

export interface DecisionInput {
  facts: PvcFacts;
  /** Milliseconds since the epoch. */
  nowMs: number;
  /** Facts older than this are not trusted (default in the catalog: 5 minutes). */
  staleAfterMs: number;
  expected?: ExpectedHistory;
  /**
   * Remedies that replace the generic ones for this caller, e.g. the CLI naming the password source it actually used
   * (`--password-file <path>`) instead of the repository Secret's variable.
   */
  remedies?: Partial<Record<UnknownCause, string>>;
}

export interface Decision {
  decision: DecisionValue;
  /** True exactly when `decision` is `restore` or `fresh`. */
  authoritative: boolean;
  cause: DecisionCause;
  /** One sentence naming the cause and, for `unknown`, the remedy. Never contains credentials. */
  message: string;
  /** Complete snapshots (restore points), newest first; for `unknown`, the last known ones (informational). */
  snapshots: readonly Snapshot[];
  /** The restore point a restore would use. */
  newest?: Snapshot;
  /** Unfinished Kopia checkpoints, newest first: reported, never restored from. */
  checkpoints: readonly Snapshot[];
  /** Age of the facts the answer rests on, when there are any. */
  factsAgeMs?: number;
}

/** The causes of an `unknown` decision. */
export type UnknownCause = Exclude<DecisionCause, 'snapshots-found' | 'no-snapshots' | 'repository-not-found'>;

const FAILURE_CAUSE: Record<FailureCode, UnknownCause> = {
  // A reader reports `repository-not-found` as a successful read (repositoryExists: false), never as a failure; if
  // one arrives here anyway, "could not tell" is the safe reading.
  'repository-not-found': 'backend-error',
  'wrong-password': 'wrong-password',
  corrupt: 'corrupt',
  unsupported: 'unsupported',
  unreachable: 'repository-unreachable',
  'access-denied': 'access-denied',
  timeout: 'timeout',
  'backend-error': 'backend-error',
  'credentials-missing': 'credentials-missing',
  'internal-error': 'internal-error',
};

/** The remedy half of every unknown message, keyed by cause, so messages, Events and metrics share one code. */
export const REMEDIES: Record<UnknownCause, string> = {
  'repository-unreachable':
    'check that the storage endpoint or mount is reachable from lifeboat (address, DNS, network policy, NFS mount) and that the bucket or directory exists',
  'wrong-password':
    'give lifeboat the same repository password the VolSync movers use (KOPIA_PASSWORD or RESTIC_PASSWORD in the repository Secret)',
  corrupt:
    'the repository metadata is damaged (the password was not the problem): do not rotate passwords; restore the named file from a copy of the repository or a storage snapshot, then check with `kopia repository validate-provider` / `kopia snapshot verify` or `restic check`; a maintenance or prune run in progress can cause a missing index briefly and the next refresh retries',
  timeout: 'the storage did not answer in time: check its latency and load, or raise the timeout',
  'access-denied':
    'the credentials may not read this location: for S3 check the access key and its bucket policy; for a filesystem (NFS) repository the movers create files 0600 and directories 0700 as their own user, so run lifeboat as that user or group (Helm values podSecurityContext.runAsUser, runAsGroup, fsGroup, supplementalGroups, see docs/install.md) or relax the export',
  unsupported:
    'the repository uses a format or feature lifeboat cannot read; report it together with the repository version',
  'backend-error': 'the storage reported an error: check its logs and status',
  'credentials-missing':
    'provide the repository password (and S3 keys) to lifeboat: the mounted Secret or environment variable is missing or empty',
  'internal-error': 'this is a lifeboat bug: report it with this message',
  'catalog-stale':
    'background refreshes of the catalog have not succeeded recently: check lifeboat logs and the lifeboat_catalog_refresh_* metrics',
  'catalog-not-loaded':
    'lifeboat has not finished its first read of the repository yet: retry in a few seconds (GitOps retries on its own)',
  'history-missing':
    'backups of this PVC were recorded before but the repository shows none: check that the repository location and snapshot identity still point at them; if the history was removed on purpose, create the PVC with the skip-restore annotation and a reason',
  'repository-empty-unexpectedly':
    'the repository held snapshots at an earlier read but holds none now: check that the location (bucket, prefix, path) still points at the backups; if it was emptied on purpose, create the PVC with the skip-restore annotation and a reason',
  'repository-changed':
    'another repository answers at this location than the one lifeboat recorded: point the location (path, bucket, prefix, mount) back at the recorded repository; if the change is intended, confirm the new ID with `kubectl -n <lifeboat namespace> annotate configmap lifeboat-repository-identity lifeboat.dev/confirm-repository=<new ID> --overwrite` (or set repository.expectedId to it), see docs/runbooks.md',
  'repository-missing':
    'no repository exists at this location although one must: check the NFS export and sub-path, bucket and prefix, and that the mount is in place; only for a first installation set repository.firstInstall: true (and remove it after the first backup), see docs/runbooks.md',
  'identity-mismatch':
    'the repository holds snapshots of this PVC under another source identity than repository.identity: set repository.identity to the shape the movers wrote (see `lifeboat catalog`), or, if that source is not this PVC, create the PVC with the skip-restore annotation and a reason',
  'only-incomplete-snapshots':
    'only an unfinished checkpoint exists, so the backup was interrupted: let a backup complete, or create the PVC with the skip-restore annotation and a reason',
};

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function describeDrift(drifted: readonly DriftedSource[]): string {
  const [first] = drifted;
  const more = drifted.length > 1 ? ` and ${drifted.length - 1} more source(s)` : '';
  const newest = first?.newest ? `, newest ${first.newest}` : '';
  return `source ${first?.source} (${first?.snapshots} snapshot(s)${newest})${more}`;
}

export function decide(input: DecisionInput): Decision {
  const unknown = (
    cause: UnknownCause,
    what: string,
    base: Omit<Decision, 'decision' | 'authoritative' | 'cause' | 'message'>,
  ): Decision => ({
    ...base,
    decision: 'unknown',
    authoritative: false,
    cause,
    message: `${cause}: ${what}; ${input.remedies?.[cause] ?? REMEDIES[cause]}`,
  });
  const { facts, nowMs, staleAfterMs, expected } = input;
  const { view, lastFailure } = facts;
  const where = `source ${facts.source} in ${facts.repository}`;

  if (!view) {
    const empty = { snapshots: [], checkpoints: [] };
    if (lastFailure) {
      return unknown(
        FAILURE_CAUSE[lastFailure.code],
        `reading ${facts.repository} failed: ${lastFailure.message}`,
        empty,
      );
    }
    return unknown('catalog-not-loaded', `no read of ${facts.repository} has completed yet`, empty);
  }

  const snapshots = view.snapshots.filter((s) => !s.incomplete);
  const checkpoints = view.snapshots.filter((s) => s.incomplete === true);
  const factsAgeMs = Math.max(0, nowMs - view.observedAtMs);
  // An unknown answer still carries the last known snapshots (for operators), but only `restore` names a newest.
  const base = { snapshots, checkpoints, factsAgeMs };

  if (factsAgeMs > staleAfterMs) {
    const age = `the last good read of ${facts.repository} is ${seconds(factsAgeMs)} old (bound ${seconds(staleAfterMs)})`;
    if (lastFailure) {
      return unknown(
        FAILURE_CAUSE[lastFailure.code],
        `${age} and reading it again failed: ${lastFailure.message}`,
        base,
      );
    }
    return unknown('catalog-stale', age, base);
  }

  const pinned = facts.expectedRepository;
  if (view.repositoryExists && pinned && view.repositoryId !== pinned.id) {
    return unknown(
      'repository-changed',
      `the repository at ${facts.repository} has ID ${view.repositoryId ?? '(none)'}, but ${pinned.from === 'config' ? 'repository.expectedId is' : 'lifeboat recorded'} ${pinned.id}`,
      base,
    );
  }

  const newest = snapshots[0];
  if (newest) {
    const count = snapshots.length === 1 ? '1 restore point' : `${snapshots.length} restore points`;
    return {
      ...base,
      newest,
      decision: 'restore',
      authoritative: true,
      cause: 'snapshots-found',
      message: `snapshots-found: ${count} for ${where}; the newest is ${newest.id} from ${newest.time}`,
    };
  }

  const drifted = facts.driftedSources?.filter((d) => d.snapshots > 0) ?? [];
  if (drifted.length > 0) {
    return unknown(
      'identity-mismatch',
      `no snapshot under ${facts.source} in ${facts.repository}, but ${describeDrift(drifted)} names this PVC`,
      base,
    );
  }
  if (expected?.hadSnapshots) {
    const last = expected.lastSnapshotId
      ? ` (last recorded: ${expected.lastSnapshotId}${expected.lastSnapshotTime ? ` from ${expected.lastSnapshotTime}` : ''})`
      : '';
    return unknown('history-missing', `no complete snapshot for ${where} although backups were recorded${last}`, base);
  }
  if (!view.repositoryExists) {
    if (pinned) {
      return unknown(
        'repository-missing',
        `no repository exists at ${facts.repository}, but repository ${pinned.id} was ${pinned.from === 'config' ? 'expected there (repository.expectedId)' : 'recorded there'}`,
        base,
      );
    }
    if (facts.pinnedRepositoriesGone) {
      return unknown(
        'repository-missing',
        `the location root of ${facts.repository} holds no repository at all, although ${facts.pinnedRepositoriesGone} were recorded`,
        base,
      );
    }
    if (facts.sharedRepository && !facts.firstInstall) {
      return unknown(
        'repository-missing',
        `no repository exists at ${facts.repository} and no first installation was declared`,
        base,
      );
    }
  }
  if (facts.repositoryPreviouslyHadSnapshots && view.repositorySnapshotCount === 0) {
    const state = view.repositoryExists ? 'holds no snapshot at all' : 'no longer exists';
    return unknown('repository-empty-unexpectedly', `${facts.repository} ${state} after holding snapshots`, base);
  }
  if (checkpoints.length > 0) {
    return unknown(
      'only-incomplete-snapshots',
      `${where} has ${checkpoints.length} checkpoint(s) and no complete snapshot`,
      base,
    );
  }
  if (!view.repositoryExists) {
    return {
      ...base,
      decision: 'fresh',
      authoritative: true,
      cause: 'repository-not-found',
      message: facts.sharedRepository
        ? `repository-not-found: no repository exists at ${facts.repository} and repository.firstInstall declares a first installation, so the PVC was never backed up`
        : `repository-not-found: no repository exists at ${facts.repository}, so the PVC was never backed up`,
    };
  }
  return {
    ...base,
    decision: 'fresh',
    authoritative: true,
    cause: 'no-snapshots',
    message: `no-snapshots: ${facts.repository} holds no snapshot of ${facts.source}, so the PVC was never backed up`,
  };
}
