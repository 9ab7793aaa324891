/**
 * What the catalog remembers about one repository between reads: the last good view (kept when later reads fail,
 * so its age — not the failure — decides when answers turn unknown), the most recent failure, and health counters.
 * Failures are recorded as health, never as answers: a failed read leaves the previous view untouched.
 */
import { CredentialsError, type RepositoryRead, type RepositoryRef } from '../repository/source.ts';
import { RepositoryError, type Snapshot } from '../repository/types.ts';
import { DeadlineError } from './clock.ts';
import type { ReadFailure } from './view.ts';

export interface StoredView {
  observedAtMs: number;
  exists: boolean;
  /** Per PVC key, newest first (sorted once here so lookups never sort). */
  pvcs: Map<string, readonly Snapshot[]>;
  snapshotCount: number;
  unmatchedSources: readonly string[];
  unmatchedSnapshots: ReadonlyMap<string, readonly Snapshot[]>;
  repositoryId?: string;
}

export interface RepositoryHealth {
  repository: string;
  /** The last read succeeded (or none failed since the last success). */
  healthy: boolean;
  lastAttemptMs?: number;
  lastSuccessMs?: number;
  lastDurationMs?: number;
  consecutiveFailures: number;
  /** The most recent failure, even if a success followed (for status output). */
  lastError?: ReadFailure;
  exists?: boolean;
  snapshotCount?: number;
  pvcCount?: number;
  unmatchedSources?: number;
  /** The repository's identity at the last good read (Kopia unique ID, restic config id). */
  repositoryId?: string;
}

/** Newest first by start time; equal times by ID so the order is stable across refreshes. */
export function newestFirst(a: Snapshot, b: Snapshot): number {
  return b.timeMs - a.timeMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** Turns whatever a read threw into a ReadFailure; the message is the reader's (readers keep secrets out of it). */
export function toFailure(error: unknown, atMs: number, signal?: AbortSignal): ReadFailure {
  if (error instanceof RepositoryError) return { code: error.code, message: error.message, atMs };
  if (error instanceof CredentialsError) return { code: 'credentials-missing', message: error.message, atMs };
  if (error instanceof DeadlineError) return { code: 'timeout', message: error.message, atMs };
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    const message = reason instanceof Error ? reason.message : 'the read was cancelled';
    return { code: 'timeout', message, atMs };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal-error', message: `unexpected error while reading: ${message}`, atMs };
}

export class RepositoryState {
  readonly ref: RepositoryRef;
  view: StoredView | undefined;
  /** The newest failure, kept only while it is newer than `view`. */
  lastFailure: ReadFailure | undefined;
  /** Some read in this process found at least one snapshot in this repository. */
  hadSnapshots = false;
  /** Listed by the last successful discovery (rather than only looked up on demand). */
  discovered = false;
  /**
   * Sequence number (see Catalog) of the newest recorded attempt. Reads are ordered by when they started, by a
   * counter rather than the clock, so two reads in the same millisecond still have an order: a read that started
   * earlier and ends later cannot overwrite a newer answer.
   */
  private lastAttemptSeq = -1;
  private lastEndedSeq = -1;
  private lastAttemptMs: number | undefined;
  private lastSuccessMs: number | undefined;
  private lastDurationMs: number | undefined;
  private lastError: ReadFailure | undefined;
  private consecutiveFailures = 0;

  constructor(ref: RepositoryRef) {
    this.ref = ref;
  }

  /**
   * The catalog's sequence counter when the newest recorded attempt ended (-1: none ended yet). A refresh takes a
   * number when it starts, so an attempt that ended after a refresh started has a larger one than that refresh.
   */
  get endedSeq(): number {
    return this.lastEndedSeq;
  }

  recordSuccess(read: RepositoryRead, seq: number, startedMs: number, endedMs: number, endedSeq: number): void {
    if (seq < this.lastAttemptSeq) return; // an overlapping newer read already recorded its answer
    const pvcs = new Map<string, readonly Snapshot[]>();
    for (const [key, snapshots] of read.pvcs) pvcs.set(key, [...snapshots].sort(newestFirst));
    this.view = {
      observedAtMs: startedMs,
      exists: read.exists,
      pvcs,
      snapshotCount: read.snapshotCount,
      unmatchedSources: read.unmatchedSources,
      unmatchedSnapshots: read.unmatchedSnapshots ?? new Map(),
      ...(read.repositoryId ? { repositoryId: read.repositoryId } : {}),
    };
    if (read.snapshotCount > 0) this.hadSnapshots = true;
    this.lastFailure = undefined;
    this.consecutiveFailures = 0;
    this.lastSuccessMs = endedMs;
    this.noteAttempt(seq, startedMs, endedMs, endedSeq);
  }

  recordFailure(failure: ReadFailure, seq: number, startedMs: number, endedMs: number, endedSeq: number): void {
    if (seq < this.lastAttemptSeq) return;
    this.lastFailure = failure;
    this.lastError = failure;
    this.consecutiveFailures++;
    this.noteAttempt(seq, startedMs, endedMs, endedSeq);
  }

  health(): RepositoryHealth {
    const h: RepositoryHealth = {
      repository: this.ref.key,
      healthy: this.lastFailure === undefined && this.view !== undefined,
      consecutiveFailures: this.consecutiveFailures,
    };
    if (this.lastAttemptMs !== undefined) h.lastAttemptMs = this.lastAttemptMs;
    if (this.lastSuccessMs !== undefined) h.lastSuccessMs = this.lastSuccessMs;
    if (this.lastDurationMs !== undefined) h.lastDurationMs = this.lastDurationMs;
    if (this.lastError) h.lastError = this.lastError;
    if (this.view) {
      h.exists = this.view.exists;
      h.snapshotCount = this.view.snapshotCount;
      h.pvcCount = this.view.pvcs.size;
      h.unmatchedSources = this.view.unmatchedSources.length;
      if (this.view.repositoryId) h.repositoryId = this.view.repositoryId;
    }
    return h;
  }

  private noteAttempt(seq: number, startedMs: number, endedMs: number, endedSeq: number): void {
    this.lastAttemptSeq = seq;
    this.lastEndedSeq = endedSeq;
    this.lastAttemptMs = endedMs;
    this.lastDurationMs = endedMs - startedMs;
  }
}
