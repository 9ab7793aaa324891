/**
 * The process's components under one owner, in the spirit of controller-runtime's Manager: the shared informer
 * cache, the components every replica runs (catalog, ops server, admission), and the ones only the Lease holder runs
 * (PVC controller, restore-point sync, repository maintenance, webhook registration).
 *
 * - Order: components start one after the other in the order they were added (a component's start resolves once it
 *   serves), and stop in the reverse order; the cache starts first and stops last.
 * - Leader-only components start when a term begins (`lead`) and stop when it ends, before anything else stops.
 * - Readiness: not ready while starting or stopping, while a cache the serving components read has not finished its
 *   first list, or while a component says why not. Caches only leader-only components read do not count: admission
 *   must keep answering while a new leader fills them.
 * - Graceful stop is bounded: a component that does not stop within its share of the deadline is logged by name and
 *   left behind, so one hung stop (a watch that never ends, say) cannot keep a terminating pod alive until SIGKILL
 *   without a word about why.
 */
import type { InformerCache } from '../kube/informers.ts';
import { type Logger, silentLogger } from '../kube/log.ts';

/** One component of the process. */
export interface Runnable {
  /** For logs and readiness messages. */
  readonly name: string;
  /** Runs only while this replica holds the controller Lease. */
  readonly leaderOnly?: boolean;
  /** Resolves once the component runs (serves, reconciles); `signal` aborts a start that waits. */
  start(signal: AbortSignal): Promise<void>;
  /** Ends the component; resolves once nothing of it runs. */
  stop(): Promise<void>;
  /** Called when the manager's drain begins (see `drainMs`): a server ends kept-alive connections, keeps answering. */
  drain?(): void;
  /** Why it cannot serve yet, or undefined when it can. */
  notReady?(): string | undefined;
}

export interface ManagerOptions {
  cache: InformerCache;
  logger?: Logger;
  /** The whole graceful stop, default 25 s (within Kubernetes' default 30 s grace period). */
  stopTimeoutMs?: number;
  /**
   * How long the every-replica components keep serving once the leader's term has ended, default 0. A pod that is
   * being deleted still receives requests through its Service until the endpoint change reaches every node's proxy;
   * closing the webhook's listener before that turns admission requests routed here into failures.
   */
  drainMs?: number;
}

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Manager {
  readonly cache: InformerCache;
  readonly log: Logger;
  readonly #stopTimeoutMs: number;
  readonly #drainMs: number;
  readonly #runnables: Runnable[] = [];
  /** Every-replica components that started, in start order. */
  readonly #started: Runnable[] = [];
  /** The caches the every-replica components read (asked for before they all started). */
  #servingCaches: string[] = [];
  #phase: Phase = 'new';
  #starting: string | undefined;
  readonly #abort = new AbortController();
  #term: Promise<void> | undefined;
  #stopping: Promise<boolean> | undefined;
  /** When the graceful stop must be over (set when it begins; a term ending during it shares the budget). */
  #deadline: number | undefined;

  constructor(opts: ManagerOptions) {
    this.cache = opts.cache;
    this.log = opts.logger ?? silentLogger;
    this.#stopTimeoutMs = opts.stopTimeoutMs ?? 25_000;
    this.#drainMs = opts.drainMs ?? 0;
  }

  /** Adds components; they start in this order, after those added before. */
  add(...runnables: Runnable[]): this {
    if (this.#phase !== 'new')
      throw new Error(`components are added before the manager starts (${runnables[0]?.name})`);
    this.#runnables.push(...runnables);
    return this;
  }

  /** Starts the cache, then every component that is not leader-only, in order. */
  async start(): Promise<void> {
    if (this.#phase !== 'new') return;
    this.#phase = 'starting';
    this.cache.start();
    for (const r of this.#runnables.filter((x) => !x.leaderOnly)) {
      if (this.#abort.signal.aborted) return;
      this.#starting = r.name;
      await r.start(this.#abort.signal);
      if (this.#stopping) {
        // The stop began while this one started (it ignored the signal): it is stopped here, not left running.
        await this.#stopAll([r], Date.now() + this.#stopTimeoutMs);
        return;
      }
      this.#started.push(r);
      this.log.debug('started', { component: r.name });
    }
    this.#starting = undefined;
    this.#servingCaches = this.cache.keys();
    if (this.#phase === 'starting') this.#phase = 'running';
  }

  /**
   * One leadership term: starts the leader-only components in order, waits until `signal` aborts (the term ended or
   * the process stops), then stops them in reverse order. Resolves once they stopped.
   */
  async lead(signal: AbortSignal): Promise<void> {
    const term = this.#runTerm(signal);
    this.#term = term;
    try {
      await term;
    } finally {
      if (this.#term === term) this.#term = undefined;
    }
  }

  async #runTerm(signal: AbortSignal): Promise<void> {
    const started: Runnable[] = [];
    try {
      for (const r of this.#runnables.filter((x) => x.leaderOnly)) {
        if (signal.aborted) break;
        await r.start(signal);
        started.push(r);
        this.log.debug('started', { component: r.name, leader: true });
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await this.#stopAll(started.reverse(), this.#deadline ?? Date.now() + this.#stopTimeoutMs);
    }
  }

  /** Why this replica cannot serve admission and `/exists` yet, or undefined when it can. */
  notReady(): string | undefined {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') return 'shutting down';
    if (this.#starting) return `starting ${this.#starting}`;
    for (const key of this.#servingCaches) {
      if (this.cache.hasSynced(key) === false) return `the cache of ${key} has not finished its first list`;
    }
    for (const r of this.#started) {
      const reason = r.notReady?.();
      if (reason) return reason;
    }
    return undefined;
  }

  /**
   * Graceful stop, bounded by `stopTimeoutMs`: the leader's term first (the caller's elector ends it), then `drainMs`
   * of serving while not ready, then the every-replica components in reverse order, then the cache. Resolves true
   * when everything stopped in time, false when something was left behind (it is logged by name).
   */
  stop(): Promise<boolean> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    this.#phase = 'stopping';
    const deadline = Date.now() + this.#stopTimeoutMs;
    this.#deadline = deadline;
    this.#abort.abort();
    let clean = true;
    if (this.#term) clean = (await this.#bounded('leader term', this.#term, deadline)) && clean;
    // At most half of what is left of the budget: the components still need time to stop cleanly.
    const drain = Math.min(this.#drainMs, (deadline - Date.now()) / 2);
    if (drain > 0 && this.#started.length > 0) {
      this.log.info('serving while the Service stops routing here', { ms: drain });
      for (const r of this.#started) r.drain?.();
      await new Promise((resolve) => setTimeout(resolve, drain));
    }
    clean = (await this.#stopAll([...this.#started].reverse(), deadline)) && clean;
    clean = (await this.#bounded('informer cache', this.cache.stop(), deadline)) && clean;
    this.#phase = 'stopped';
    return clean;
  }

  async #stopAll(runnables: Runnable[], deadline: number): Promise<boolean> {
    let clean = true;
    for (const r of runnables) {
      const stopping = r.stop().catch((error: unknown) => {
        this.log.warn('stopping failed', { component: r.name, error: String(error) });
      });
      clean = (await this.#bounded(r.name, stopping, deadline)) && clean;
    }
    return clean;
  }

  /** Waits for `work` until `deadline`; logs how long it took, or that it did not finish. */
  async #bounded(name: string, work: Promise<unknown>, deadline: number): Promise<boolean> {
    // A failed stop or term has been reported where it failed; here only its end counts.
    const done = () => 'done' as const;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - started));
    });
    const outcome = await Promise.race([work.then(done, done), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn('did not stop in time; left behind', { component: name, waitedMs: Date.now() - started });
      return false;
    }
    this.log.debug('stopped', { component: name, ms: Date.now() - started });
    return true;
  }
}
