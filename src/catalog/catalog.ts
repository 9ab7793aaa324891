/**
 * The in-memory catalog: what every repository of one configured backend holds, per PVC, refreshed in the
 * background so that a decision never waits on repository I/O
 * (docs/design.md#slow-backends-inside-the-admission-deadline) — except the one documented, bounded
 * path: a PVC whose own restic repository has not been read yet is looked up on demand.
 *
 * - Periodic refresh (default every 60 s, timers from the injected clock; the next one is scheduled when the
 *   previous ends, so refreshes never overlap) and on-demand `refresh()`; concurrent callers share one run.
 * - Restic repositories are read with bounded concurrency; each repository keeps its own health, so one broken
 *   repository turns only its PVC unknown (docs/design.md#credentials-that-crash-the-process).
 * - A failed read keeps the previous good view; its age decides when answers become unknown (`staleAfterMs`,
 *   default 5 minutes), and errors are never cached as answers.
 */

import { raceAbort } from '../repository/abort.ts';
import { type CatalogSource, type PvcRef, pvcKey, pvcRefProblem, type RepositoryRef } from '../repository/source.ts';
import { type Clock, deadline, systemClock } from './clock.ts';
import { driftedSources, summarizeSource } from './drift.ts';
import { type RepositoryHealth, RepositoryState, toFailure } from './health.ts';
import { PinBook, type PinConflict, type PinStore, SHARED_PIN } from './pins.ts';
import type { DriftedSource, PvcFacts, ReadFailure } from './view.ts';

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
  /** Repository identity pinning and the first-installation declaration (see pins.ts). */
  identity?: CatalogIdentityOptions;
}

export interface CatalogIdentityOptions {
  /** Where pins are recorded (the cluster); without it only `expectedId` applies and nothing is remembered. */
  store?: PinStore;
  /** `repository.expectedId`: the ID the shared repository must have. */
  expectedId?: string;
  /** `repository.firstInstall`: a missing shared repository is expected while nothing is pinned. */
  firstInstall?: boolean;
}

export interface CatalogIdentityStatus {
  /** Recorded repository IDs by location. */
  pins: Record<string, string>;
  expectedId?: string;
  /** Set while `repository.firstInstall` is in the config; `ignored` once a repository was pinned. */
  firstInstall?: 'in-effect' | 'ignored';
  /** Locations answering with another repository than the pinned one (decisions there are `repository-changed`). */
  conflicts: PinConflict[];
  /** The last attempt to load or record pins failed. */
  storeFailure?: ReadFailure;
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
  /** Reads of one repository in flight outside a full refresh (lookups, rereads), shared by whoever needs one. */
  private readonly reads = new Map<string, { startedAtMs: number; done: Promise<void> }>();
  /** Re-reads in flight per repository, with when each started (see reread). */
  private inflight: Promise<RefreshReport> | undefined;
  private stopController = new AbortController();
  private timer: unknown;
  private running = false;
  private lastRefresh: RefreshReport | undefined;
  /** Orders read attempts by start (see RepositoryState.lastAttemptSeq). */
  private seq = 0;
  readonly pins: PinBook;
  private readonly identity: CatalogIdentityOptions;
  private pinFailure: ReadFailure | undefined;
  /** Repositories the last successful discovery found (per-PVC repositories), undefined before one. */
  private lastDiscovered: number | undefined;

  constructor(options: CatalogOptions) {
    this.source = options.source;
    this.refreshIntervalMs = positive('refreshIntervalMs', options.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs);
    this.staleAfterMs = positive('staleAfterMs', options.staleAfterMs ?? DEFAULTS.staleAfterMs);
    this.refreshTimeoutMs = positive('refreshTimeoutMs', options.refreshTimeoutMs ?? DEFAULTS.refreshTimeoutMs);
    this.lookupTimeoutMs = positive('lookupTimeoutMs', options.lookupTimeoutMs ?? DEFAULTS.lookupTimeoutMs);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULTS.concurrency));
    this.clock = options.clock ?? systemClock;
    this.identity = options.identity ?? {};
    this.pins = new PinBook(this.source.perPvcRepositories ? undefined : this.identity.expectedId);
    if (!this.identity.store) this.pins.markLoaded();
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
    await Promise.allSettled([this.inflight, ...[...this.reads.values()].map((r) => r.done)]);
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
   * repository share one read (so retried CREATEs of a PVC whose storage does not answer keep at most one read in
   * flight), and the result stays in the catalog until the next refresh supersedes it. A failure is not an answer:
   * the next lookup tries again, so a CREATE retried after the storage recovered is answered at once.
   */
  async lookup(ref: PvcRef): Promise<PvcFacts> {
    const { repository } = this.locate(ref);
    if (this.source.perPvcRepositories && !this.states.get(repository.key)?.view) {
      const started = this.clock.now();
      const joined = await this.readShared(repository, this.lookupTimeoutMs, Number.NEGATIVE_INFINITY);
      const failure = this.states.get(repository.key)?.lastFailure;
      if (!joined) this.emit((l) => l.lookedUp?.(repository.key, this.clock.now() - started, failure));
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
    await this.readShared(repository, this.refreshTimeoutMs, notBeforeMs);
    return this.facts(ref);
  }

  /** The facts for one PVC from memory, without any I/O. */
  facts(ref: PvcRef): PvcFacts {
    const { repository, source } = this.locate(ref);
    const state = this.states.get(repository.key);
    const shared = !this.source.perPvcRepositories;
    const facts: PvcFacts = {
      namespace: ref.namespace,
      pvc: ref.pvc,
      backend: this.source.backend,
      source,
      repository: repository.key,
      repositoryPreviouslyHadSnapshots: state?.hadSnapshots ?? false,
      sharedRepository: shared,
    };
    const expected = this.pins.expected(this.pinKey(repository));
    if (expected) facts.expectedRepository = expected;
    else if (shared && this.identity.firstInstall && this.pins.sizeOf('shared') === 0) facts.firstInstall = true;
    if (!shared && this.lastDiscovered === 0) {
      const recorded = this.pins.sizeOf('per-pvc');
      if (recorded > 0) facts.pinnedRepositoriesGone = recorded;
    }
    // Without the recorded pins, no answer can tell whether this is still the right repository.
    if (state?.view && this.pins.loaded) {
      const snapshots = state.view.pvcs.get(pvcKey(ref)) ?? [];
      facts.view = {
        observedAtMs: state.view.observedAtMs,
        repositoryExists: state.view.exists,
        snapshots,
        repositorySnapshotCount: state.view.snapshotCount,
        ...(state.view.repositoryId ? { repositoryId: state.view.repositoryId } : {}),
      };
      if (!snapshots.some((s) => !s.incomplete) && state.view.unmatchedSnapshots.size > 0) {
        const drifted = driftedSources(state.view.unmatchedSnapshots, ref);
        if (drifted.length > 0) facts.driftedSources = drifted;
      }
    }
    if (state?.lastFailure) facts.lastFailure = state.lastFailure;
    else if (!this.pins.loaded && this.pinFailure) facts.lastFailure = this.pinFailure;
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

  /** Each unmatched source with its complete snapshots, for listings that name the PVC it likely belongs to. */
  unmatchedDetails(): DriftedSource[] {
    const out: DriftedSource[] = [];
    for (const state of this.states.values()) {
      for (const [source, snapshots] of state.view?.unmatchedSnapshots ?? [])
        out.push(summarizeSource(source, snapshots));
    }
    return out.sort((a, b) => (a.source < b.source ? -1 : 1));
  }

  /** Identity, health and unmatched sources in one, for the ledger's repository report. */
  repositoryFacts(): {
    identity: CatalogIdentityStatus;
    health: RepositoryHealth[];
    unmatched: DriftedSource[];
    shared: boolean;
  } {
    return {
      identity: this.identityStatus(),
      health: this.health(),
      unmatched: this.unmatchedDetails(),
      shared: !this.source.perPvcRepositories,
    };
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

  /** Pins, conflicts and the first-installation flag, for `lifeboat status`, `lifeboat catalog` and /audit. */
  identityStatus(): CatalogIdentityStatus {
    const shared = !this.source.perPvcRepositories;
    const out: CatalogIdentityStatus = { pins: this.pins.pins(), conflicts: this.pins.conflicts() };
    if (this.pins.expectedId !== undefined) out.expectedId = this.pins.expectedId;
    if (shared && this.identity.firstInstall)
      out.firstInstall = this.pins.sizeOf('shared') === 0 ? 'in-effect' : 'ignored';
    if (this.pinFailure) out.storeFailure = this.pinFailure;
    return out;
  }

  /** The pin of a repository: the one shared repository's, or its PVC's (see pins.ts). */
  private pinKey(ref: RepositoryRef): string {
    if (!this.source.perPvcRepositories) return SHARED_PIN;
    return ref.pvc ? pvcKey(ref.pvc) : ref.key;
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
    // The refresh's own number: reads that started before it have smaller ones, reads ending after it larger ones.
    const refreshSeq = this.seq++;
    const bound = deadline(this.clock, this.refreshTimeoutMs, 'the catalog refresh');
    const signal = AbortSignal.any([bound.signal, this.stopController.signal]);
    try {
      await this.loadPins(signal);
      let discoveryFailure: ReadFailure | undefined;
      let discovered: RepositoryRef[] | undefined;
      try {
        discovered = await raceAbort(this.source.discover(signal), signal);
        this.lastDiscovered = discovered.length;
      } catch (error) {
        discoveryFailure = toFailure(error, this.clock.now(), signal);
      }
      const targets = this.refreshTargets(discovered);
      let failed = 0;
      await forEachLimit(targets, this.concurrency, async (ref) => {
        if (!(await this.read(ref, signal))) failed++;
      });
      this.forgetUnread(targets, refreshSeq);
      await this.savePins(signal);
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

  /** Loads the repository identities recorded in the cluster; a failed load keeps the ones loaded before. */
  private async loadPins(signal: AbortSignal): Promise<void> {
    const store = this.identity.store;
    if (!store) return;
    try {
      this.pins.load(await raceAbort(store.load(signal), signal));
      this.pinFailure = undefined;
    } catch (error) {
      // Pins loaded earlier stay in force; before the first load every answer stays unknown (see facts()).
      this.pinFailure = toFailure(error, this.clock.now(), signal);
    }
  }

  private async savePins(signal: AbortSignal): Promise<void> {
    const store = this.identity.store;
    const unsaved = this.pins.takeUnsaved();
    if (!store || !unsaved) return;
    try {
      if (!(await raceAbort(store.save(unsaved, signal), signal))) this.pins.markUnsaved();
    } catch (error) {
      this.pins.markUnsaved();
      this.pinFailure = toFailure(error, this.clock.now(), signal);
    }
  }

  /**
   * What a refresh reads: everything discovered, plus repositories known from before that still matter — those
   * that exist or once held snapshots (a repository that vanished must be noticed:
   * docs/design.md#authoritative-no-over-existing-data) and, when discovery failed,
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
    // The one shared repository is wherever the configuration points now: a location it pointed at before is not
    // "a repository that vanished", and reading it would read the current location under the old name.
    if (discovered && !this.source.perPvcRepositories) return [...targets.values()];
    for (const state of this.states.values()) {
      const keep = state.hadSnapshots || state.view?.exists === true || (!discovered && state.discovered);
      if (keep) targets.set(state.ref.key, state.ref);
    }
    return [...targets.values()];
  }

  private forgetUnread(targets: RepositoryRef[], refreshSeq: number): void {
    const read = new Set(targets.map((t) => t.key));
    for (const [key, state] of this.states) {
      // An on-demand read still in flight, or one that ended after this refresh started, is at least as new as the
      // refresh: keep its answer (dropping it would leave the admission that asked for it with no answer at all —
      // "catalog-not-loaded" for a PVC whose repository was just read).
      if (read.has(key) || this.reads.has(key) || state.endedSeq > refreshSeq) continue;
      this.states.delete(key);
    }
  }

  /**
   * Joins a read of `ref` in flight that started at or after `notBeforeMs` (true), or starts one bounded by
   * `timeoutMs` (false).
   */
  private async readShared(ref: RepositoryRef, timeoutMs: number, notBeforeMs: number): Promise<boolean> {
    const pending = this.reads.get(ref.key);
    if (pending && pending.startedAtMs >= notBeforeMs) {
      this.emit((l) => l.deduplicated?.('lookup'));
      await pending.done;
      return true;
    }
    const entry = { startedAtMs: this.clock.now(), done: Promise.resolve() };
    entry.done = (async () => {
      const bound = deadline(this.clock, timeoutMs, `reading ${ref.key}`);
      try {
        await this.read(ref, AbortSignal.any([bound.signal, this.stopController.signal]));
      } finally {
        bound.release();
        if (this.reads.get(ref.key) === entry) this.reads.delete(ref.key);
      }
    })();
    this.reads.set(ref.key, entry);
    await entry.done;
    return false;
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
      state.recordSuccess(read, seq, started, this.clock.now(), this.seq);
      if (read.exists && read.repositoryId) {
        this.pins.observe(this.pinKey(ref), read.repositoryId, ref.key);
      }
      return true;
    } catch (error) {
      state.recordFailure(toFailure(error, this.clock.now(), signal), seq, started, this.clock.now(), this.seq);
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
