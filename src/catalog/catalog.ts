/**
 * The in-memory catalog: what every repository of one configured backend holds, per PVC, refreshed in the
 * background so that a decision never waits on repository I/O (lessons F6) — except the one documented, bounded
 * path: a PVC whose own restic repository has not been read yet is looked up on demand.
 *
 * - Periodic refresh (default every 60 s, timers from the injected clock; the next one is scheduled when the
 *   previous ends, so refreshes never overlap) and on-demand `refresh()`; concurrent callers share one run.
 * - Restic repositories are read with bounded concurrency; each repository keeps its own health, so one broken
 *   repository turns only its PVC unknown (F15).
 * - A failed read keeps the previous good view; its age decides when answers become unknown (`staleAfterMs`,
 *   default 5 minutes), and errors are never cached as answers.
 */

import { raceAbort } from './abort.ts';
import { type Clock, deadline, systemClock } from './clock.ts';
import { type RepositoryHealth, RepositoryState, toFailure } from './health.ts';
import { type CatalogSource, type PvcRef, pvcKey, pvcRefProblem, type RepositoryRef } from './source.ts';
import type { PvcFacts, ReadFailure } from './view.ts';

export interface CatalogOptions {
  source: CatalogSource;
  /** Pause between the end of one background refresh and the start of the next. Default 60 s. */
  refreshIntervalMs?: number;
  /** Facts older than this make decisions unknown. Default 5 min. */
  staleAfterMs?: number;
  /** Bound on one full refresh (discovery plus every read). Default 2 min. */
  refreshTimeoutMs?: number;
  /** Bound on an on-demand read of one PVC's repository. Default 3 s (PVC Plumber's HTTP_TIMEOUT). */
  lookupTimeoutMs?: number;
  /** Repositories read at once during a refresh (restic has one per PVC). Default 4. */
  concurrency?: number;
  clock?: Clock;
}

export interface RefreshReport {
  startedAtMs: number;
  durationMs: number;
  /** `partial`: some repositories (or the discovery) failed; `failure`: nothing could be read. */
  result: 'success' | 'partial' | 'failure';
  repositories: number;
  failed: number;
  discoveryFailure?: ReadFailure;
}

export interface CatalogListener {
  refreshed?(report: RefreshReport): void;
  /** A caller joined a refresh or an on-demand read already in flight instead of starting another. */
  deduplicated?(what: 'refresh' | 'lookup'): void;
  /** An on-demand read of one repository finished. */
  lookedUp?(repository: string, durationMs: number, failure?: ReadFailure): void;
}

export interface CatalogStatus {
  /** The first refresh has finished (successfully or not): from now on every answer reflects a read attempt. */
  loaded: boolean;
  backend: string;
  description: string;
  lastRefresh?: RefreshReport;
  /** Age of the oldest good view among the repositories; undefined before any read succeeded. */
  ageMs?: number;
  refreshing: boolean;
}

export const DEFAULTS = {
  refreshIntervalMs: 60_000,
  staleAfterMs: 5 * 60_000,
  refreshTimeoutMs: 2 * 60_000,
  lookupTimeoutMs: 3_000,
  concurrency: 4,
} as const;

export class Catalog {
  readonly source: CatalogSource;
  readonly staleAfterMs: number;
  readonly refreshIntervalMs: number;
  private readonly refreshTimeoutMs: number;
  private readonly lookupTimeoutMs: number;
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly states = new Map<string, RepositoryState>();
  private readonly listeners: CatalogListener[] = [];
  private readonly lookups = new Map<string, Promise<void>>();
  /** Re-reads in flight per repository, with when each started (see reread). */
  private readonly rereads = new Map<string, { startedAtMs: number; done: Promise<void> }>();
  private inflight: Promise<RefreshReport> | undefined;
  private stopController = new AbortController();
  private timer: unknown;
  private running = false;
  private lastRefresh: RefreshReport | undefined;
  /** Orders read attempts by start (see RepositoryState.attemptSeq). */
  private seq = 0;

  constructor(options: CatalogOptions) {
    this.source = options.source;
    this.refreshIntervalMs = positive('refreshIntervalMs', options.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs);
    this.staleAfterMs = positive('staleAfterMs', options.staleAfterMs ?? DEFAULTS.staleAfterMs);
    this.refreshTimeoutMs = positive('refreshTimeoutMs', options.refreshTimeoutMs ?? DEFAULTS.refreshTimeoutMs);
    this.lookupTimeoutMs = positive('lookupTimeoutMs', options.lookupTimeoutMs ?? DEFAULTS.lookupTimeoutMs);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULTS.concurrency));
    this.clock = options.clock ?? systemClock;
  }

  addListener(listener: CatalogListener): void {
    this.listeners.push(listener);
  }

  now(): number {
    return this.clock.now();
  }

  /** Starts background refreshing: one refresh now, then one `refreshIntervalMs` after each ends. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.stopController.signal.aborted) this.stopController = new AbortController();
    this.tick();
  }

  /** Stops background refreshing and cancels reads in flight; resolves once they have ended. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopController.abort(new Error('the catalog was stopped'));
    await Promise.allSettled([this.inflight, ...this.lookups.values()]);
  }

  /** Refreshes every repository now; joins a refresh already running instead of starting a second one. */
  refresh(): Promise<RefreshReport> {
    if (this.inflight) {
      this.emit((l) => l.deduplicated?.('refresh'));
      return this.inflight;
    }
    const run = this.runRefresh().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = run;
    return run;
  }

  /**
   * The facts for one PVC. Memory only — except when each PVC has its own repository (restic) and this PVC's has
   * not been read successfully yet: then it is read now, bounded by `lookupTimeoutMs`, concurrent lookups of the same
   * repository share one read, and the result stays in the catalog until the next refresh supersedes it.
   */
  async lookup(ref: PvcRef): Promise<PvcFacts> {
    const { repository } = this.locate(ref);
    if (this.source.perPvcRepositories && !this.states.get(repository.key)?.view) {
      await this.readOnDemand(repository);
    }
    return this.facts(ref);
  }

  /**
   * The facts for one PVC from a read of its repository that started at or after `notBeforeMs`: the catalog's own
   * when it is that recent, else a read in flight that started late enough, else a new read (the view's
   * `observedAtMs` is when the read started; `lastFailure` is set when it failed). For the controller's restore
   * evidence, which must know that a snapshot exists *after* a given moment; sharing reads keeps a storm of restores
   * (a cluster rebuild) from reading a shared repository once per PVC. Bounded by the full-refresh timeout: it runs in
   * a reconcile, never in an admission.
   */
  async reread(ref: PvcRef, notBeforeMs: number): Promise<PvcFacts> {
    const { repository } = this.locate(ref);
    const known = this.facts(ref);
    if (!known.lastFailure && known.view && known.view.observedAtMs >= notBeforeMs) return known;
    const inflight = this.rereads.get(repository.key);
    if (inflight && inflight.startedAtMs >= notBeforeMs) {
      await inflight.done;
      return this.facts(ref);
    }
    const startedAtMs = this.clock.now();
    const done = (async () => {
      const bound = deadline(this.clock, this.refreshTimeoutMs, `reading ${repository.key}`);
      try {
        await this.read(repository, AbortSignal.any([bound.signal, this.stopController.signal]));
      } finally {
        bound.release();
      }
    })();
    const entry = { startedAtMs, done };
    this.rereads.set(repository.key, entry);
    try {
      await done;
    } finally {
      if (this.rereads.get(repository.key) === entry) this.rereads.delete(repository.key);
    }
    return this.facts(ref);
  }

  /** The facts for one PVC from memory, without any I/O. */
  facts(ref: PvcRef): PvcFacts {
    const { repository, source } = this.locate(ref);
    const state = this.states.get(repository.key);
    const facts: PvcFacts = {
      namespace: ref.namespace,
      pvc: ref.pvc,
      backend: this.source.backend,
      source,
      repository: repository.key,
      repositoryPreviouslyHadSnapshots: state?.hadSnapshots ?? false,
    };
    if (state?.view) {
      facts.view = {
        observedAtMs: state.view.observedAtMs,
        repositoryExists: state.view.exists,
        snapshots: state.view.pvcs.get(pvcKey(ref)) ?? [],
        repositorySnapshotCount: state.view.snapshotCount,
      };
    }
    if (state?.lastFailure) facts.lastFailure = state.lastFailure;
    return facts;
  }

  /**
   * Every PVC the catalog knows: each PVC with snapshots or a repository in a good view, plus the PVC of each
   * per-PVC repository that could not be read (so listings show broken repositories), sorted by namespace and name.
   */
  pvcs(): PvcRef[] {
    const found = new Map<string, PvcRef>();
    for (const state of this.states.values()) {
      if (state.view) {
        for (const key of state.view.pvcs.keys()) {
          const [namespace = '', pvc = ''] = key.split('/');
          found.set(key, { namespace, pvc });
        }
      } else if (state.ref.pvc) {
        found.set(pvcKey(state.ref.pvc), state.ref.pvc);
      }
    }
    return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ref]) => ref);
  }

  /** Sources present in the repositories that map to no PVC under the identity template. */
  unmatchedSources(): string[] {
    const out: string[] = [];
    for (const state of this.states.values()) out.push(...(state.view?.unmatchedSources ?? []));
    return out.sort();
  }

  health(): RepositoryHealth[] {
    return [...this.states.values()].map((s) => s.health()).sort((a, b) => (a.repository < b.repository ? -1 : 1));
  }

  status(): CatalogStatus {
    const status: CatalogStatus = {
      loaded: this.lastRefresh !== undefined,
      backend: this.source.backend,
      description: this.source.description,
      refreshing: this.inflight !== undefined,
    };
    if (this.lastRefresh) status.lastRefresh = this.lastRefresh;
    let oldest: number | undefined;
    for (const state of this.states.values()) {
      const observed = state.view?.observedAtMs;
      if (observed !== undefined && (oldest === undefined || observed < oldest)) oldest = observed;
    }
    if (oldest !== undefined) status.ageMs = Math.max(0, this.clock.now() - oldest);
    return status;
  }

  /** Names are checked before they are rendered into a repository location or identity (callers get a message). */
  private locate(ref: PvcRef): ReturnType<CatalogSource['locate']> {
    const problem = pvcRefProblem(ref);
    if (problem) throw new RangeError(problem);
    return this.source.locate(ref);
  }

  private tick(): void {
    this.timer = undefined;
    void this.refresh().finally(() => {
      if (this.running) this.timer = this.clock.setTimeout(() => this.tick(), this.refreshIntervalMs);
    });
  }

  private async runRefresh(): Promise<RefreshReport> {
    const startedAtMs = this.clock.now();
    const firstSeq = this.seq;
    const bound = deadline(this.clock, this.refreshTimeoutMs, 'the catalog refresh');
    const signal = AbortSignal.any([bound.signal, this.stopController.signal]);
    try {
      let discoveryFailure: ReadFailure | undefined;
      let discovered: RepositoryRef[] | undefined;
      try {
        discovered = await raceAbort(this.source.discover(signal), signal);
      } catch (error) {
        discoveryFailure = toFailure(error, this.clock.now(), signal);
      }
      const targets = this.refreshTargets(discovered);
      let failed = 0;
      await forEachLimit(targets, this.concurrency, async (ref) => {
        if (!(await this.read(ref, signal))) failed++;
      });
      this.forgetUnread(targets, firstSeq);
      const nothingRead = failed === targets.length;
      const report: RefreshReport = {
        startedAtMs,
        durationMs: this.clock.now() - startedAtMs,
        result: failed === 0 && !discoveryFailure ? 'success' : nothingRead ? 'failure' : 'partial',
        repositories: targets.length,
        failed,
      };
      if (discoveryFailure) report.discoveryFailure = discoveryFailure;
      this.lastRefresh = report;
      this.emit((l) => l.refreshed?.(report));
      return report;
    } finally {
      bound.release();
    }
  }

  /**
   * What a refresh reads: everything discovered, plus repositories known from before that still matter — those
   * that exist or once held snapshots (a repository that vanished must be noticed, F16) and, when discovery failed,
   * every previously discovered one. Repositories looked up on demand and found absent are dropped afterwards, so
   * their "never backed up" answer lives until the next refresh at most.
   */
  private refreshTargets(discovered: RepositoryRef[] | undefined): RepositoryRef[] {
    const targets = new Map<string, RepositoryRef>();
    if (discovered) {
      for (const state of this.states.values()) state.discovered = false;
      for (const ref of discovered) {
        targets.set(ref.key, ref);
        this.stateOf(ref).discovered = true;
      }
    }
    for (const state of this.states.values()) {
      const keep = state.hadSnapshots || state.view?.exists === true || (!discovered && state.discovered);
      if (keep) targets.set(state.ref.key, state.ref);
    }
    return [...targets.values()];
  }

  private forgetUnread(targets: RepositoryRef[], firstSeq: number): void {
    const read = new Set(targets.map((t) => t.key));
    for (const [key, state] of this.states) {
      // An on-demand read that started during this refresh is newer than the refresh: keep its answer.
      if (!read.has(key) && state.attemptSeq < firstSeq) this.states.delete(key);
    }
  }

  private readOnDemand(ref: RepositoryRef): Promise<void> {
    const pending = this.lookups.get(ref.key);
    if (pending) {
      this.emit((l) => l.deduplicated?.('lookup'));
      return pending;
    }
    const run = (async () => {
      const bound = deadline(this.clock, this.lookupTimeoutMs, `reading ${ref.key}`);
      const started = this.clock.now();
      try {
        const signal = AbortSignal.any([bound.signal, this.stopController.signal]);
        await this.read(ref, signal);
        const state = this.states.get(ref.key);
        const failure = state?.lastFailure;
        this.emit((l) => l.lookedUp?.(ref.key, this.clock.now() - started, failure));
      } finally {
        bound.release();
        this.lookups.delete(ref.key);
      }
    })();
    this.lookups.set(ref.key, run);
    return run;
  }

  /** Reads one repository into its state; true on success. Never throws. */
  private async read(ref: RepositoryRef, signal: AbortSignal): Promise<boolean> {
    const state = this.stateOf(ref);
    const seq = this.seq++;
    const started = this.clock.now();
    try {
      signal.throwIfAborted();
      // The reader may not honour the signal promptly (a hung NFS call): stop waiting when it fires.
      const read = await raceAbort(this.source.read(ref, signal), signal);
      state.recordSuccess(read, seq, started, this.clock.now());
      return true;
    } catch (error) {
      state.recordFailure(toFailure(error, this.clock.now(), signal), seq, started, this.clock.now());
      return false;
    }
  }

  private stateOf(ref: RepositoryRef): RepositoryState {
    let state = this.states.get(ref.key);
    if (!state) {
      state = new RepositoryState(ref);
      this.states.set(ref.key, state);
    }
    return state;
  }

  private emit(fn: (listener: CatalogListener) => void): void {
    for (const listener of this.listeners) {
      try {
        fn(listener);
      } catch {
        // A metrics hook must never break the catalog.
      }
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}

/** Runs `fn` over `items` with at most `limit` running at once; `fn` must not throw. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
