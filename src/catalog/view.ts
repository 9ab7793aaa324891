/**
 * What the catalog knows about one PVC at one moment: the facts the pure decision (src/decision/decide.ts) turns
 * into `restore | fresh | unknown`. Types only, so `decision/` can depend on them without pulling in any I/O.
 */
import type { RepositoryErrorCode, Snapshot } from '../repository/types.ts';

/**
 * Why the catalog could not read a repository: the readers' codes plus two the catalog adds itself —
 * `credentials-missing` (the password or keys could not be read at refresh time,
 * docs/design.md#credentials-that-crash-the-process) and `internal-error`
 * (a reader threw something that is not a RepositoryError, i.e. a bug).
 */
export type FailureCode = RepositoryErrorCode | 'credentials-missing' | 'internal-error';

export interface ReadFailure {
  code: FailureCode;
  /** Human-readable, never containing credentials. */
  message: string;
  /** When the failed attempt ended (ms since the epoch). */
  atMs: number;
}

/** The result of the last successful read of a repository, restricted to one PVC. */
export interface PvcView {
  /** When the read that produced this view started (ms since the epoch): its age is measured from here. */
  observedAtMs: number;
  /** False when the location was reachable but held no repository (restic: no `config`; Kopia: no format blob). */
  repositoryExists: boolean;
  /** This PVC's snapshots, newest first, including Kopia checkpoints (`incomplete: true`). */
  snapshots: readonly Snapshot[];
  /** Snapshots in the whole repository at that read (every source for a shared Kopia repository). */
  repositorySnapshotCount: number;
  /**
   * The identity of the repository that answered (Kopia: the format blob's unique ID; restic: the `config` id), when
   * it exists. Another ID at the same location means another repository, whatever it holds.
   */
  repositoryId?: string;
}

/**
 * A source in the repository that does not follow the identity template but names this PVC (its name and its
 * namespace both appear in the user or host part): snapshots written under another identity shape (a changed
 * template, movers using the default identity, the fork's older identities).
 */
export interface DriftedSource {
  source: string;
  /** Complete snapshots under that source. */
  snapshots: number;
  /** Start time of its newest complete snapshot. */
  newest?: string;
}

/** The identity the repository at this PVC's location is expected to have. */
export interface ExpectedRepository {
  id: string;
  /** `config`: `repository.expectedId`; `recorded`: pinned by lifeboat at an earlier read (the identity ConfigMap). */
  from: 'config' | 'recorded';
}

export interface PvcFacts {
  namespace: string;
  pvc: string;
  /** PVC Plumber's backend label: `kopia-fs`, `kopia-s3`, `s3` (restic on S3) or `restic-fs`. */
  backend: string;
  /** Where this PVC's snapshots are looked up: a Kopia source `user@host:/path` or a restic repository location. */
  source: string;
  /** The repository (location without credentials) that holds the source. */
  repository: string;
  /** Absent until a read of the repository succeeded at least once. */
  view?: PvcView;
  /** The most recent failed read, present only when it is newer than `view` (so `view` is a kept previous state). */
  lastFailure?: ReadFailure;
  /**
   * An earlier read in this process found snapshots in the repository. Together with a current count of zero this
   * means the repository emptied or the location now points elsewhere
   * (docs/design.md#authoritative-no-over-existing-data), which must not read as fresh.
   */
  repositoryPreviouslyHadSnapshots: boolean;
  /**
   * One repository holds every PVC (Kopia). "No repository here" then means a wrong or unmounted location, never
   * "never backed up" — unless the operator declared a first installation (`firstInstall`).
   */
  sharedRepository?: boolean;
  /** The identity this location must have; a different one answers `repository-changed`. */
  expectedRepository?: ExpectedRepository;
  /** `repository.firstInstall` is set and nothing was ever pinned: a missing shared repository is expected. */
  firstInstall?: boolean;
  /**
   * Per-PVC repositories: a successful listing of the location root found no repository at all, although this many
   * were recorded (pinned) before — the root itself points elsewhere.
   */
  pinnedRepositoriesGone?: number;
  /** Sources that name this PVC under another identity shape, most snapshots first. */
  driftedSources?: readonly DriftedSource[];
}
