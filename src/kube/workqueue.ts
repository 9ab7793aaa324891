/**
 * A deduplicating work queue with client-go's guarantees (docs/design.md#api-server-overload: events only enqueue
 * keys; the reconciler reads
 * current state itself, so a burst of events for one object costs one reconcile):
 *
 * - `add(key)` while the key waits is a no-op; while it is being processed, it marks the key to run once more after.
 * - One key is never processed by two workers at once; up to `concurrency` different keys run in parallel.
 * - A reconcile that throws is retried after a per-key exponential backoff (5 ms doubling to 5 min by default), also
 *   capped overall by a token bucket (10/s, burst 100) so a failing dependency cannot turn into a retry storm;
 *   success forgets the key's failures.
 * - A reconcile may ask to run again later (`{ requeueAfterMs }`), e.g. when a condition depends on time.
 * - `shutdown()` stops taking work, aborts the signal handed to reconciles, clears pending timers and resolves when
 *   in-flight reconciles have returned. Keys still queued are dropped: whoever starts next lists everything anew.
 */
import type { Registry } from 'prom-client';
import { formatKubeError } from './errors.ts';
import { type Logger, silentLogger } from './log.ts';
import { TokenBucket } from './token-bucket.ts';
import { noWorkQueueMetrics, type WorkQueueMetrics, workQueueMetrics } from './workqueue-metrics.ts';

export interface ReconcileResult {
  /** Process the key again after this many ms (even though it succeeded). */
  requeueAfterMs?: number;
}

/** Returns nothing, or when to run again. `signal` aborts at shutdown: stop at the next safe point. */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined> | Promise<void>;

export interface WorkQueueOptions {
  /** The `name` label of the metrics and logs. */
  name: string;
  /** Different keys processed in parallel; default 2. */
  concurrency?: number;
  /** First retry delay of a failing key; default 5 ms. */
  baseDelayMs?: number;
  /** Largest retry delay of a failing key; default 5 min. */
  maxDelayMs?: number;
  /** Overall retry rate across keys; `false` turns it off. Default 10 per second, burst 100 (client-go's). */
  retryRate?: { perSecond: number; burst: number } | false;
  /** Metrics are registered here when given. */
  registry?: Registry;
  logger?: Logger;
}

/** A FIFO of keys with O(1) push and shift. */
class Fifo {
  private items: string[] = [];
  private head = 0;

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export class WorkQueue {
  readonly name: string;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly retryBucket: TokenBucket | undefined;
  private readonly metrics: WorkQueueMetrics;
  private readonly log: Logger;

  private readonly queue = new Fifo();
  /** Keys that need processing: queued, or re-added while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** When each dirty key was added, for the queue-latency metric. */
  private readonly addedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly failureCounts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private reconcile: Reconcile | undefined;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    const rate = opts.retryRate ?? { perSecond: 10, burst: 100 };
    this.retryBucket = rate === false ? undefined : new TokenBucket(rate.perSecond, rate.burst);
    this.metrics = opts.registry ? workQueueMetrics(opts.registry, opts.name) : noWorkQueueMetrics;
    this.log = opts.logger ?? silentLogger;
  }

  /** Keys waiting for a worker (not counting those being processed or delayed). */
  get depth(): number {
    return this.queue.length;
  }

  /** Keys a worker is processing right now. */
  get active(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.added();
    this.dirty.add(key);
    this.addedAt.set(key, performance.now());
    // A key being processed runs again when its worker finishes (see `process`), never in parallel.
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.metrics.depth(1);
    this.pump();
  }

  /** Adds the key after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { timer, at });
  }

  /** Adds the key after its backoff: base·2^failures (capped), and no sooner than the overall retry rate allows. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    const failures = this.failureCounts.get(key) ?? 0;
    this.failureCounts.set(key, failures + 1);
    const itemDelay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
    const overallDelay = this.retryBucket?.reserve() ?? 0;
    this.metrics.retried();
    this.addAfter(key, Math.max(itemDelay, overallDelay));
  }

  /** Clears the key's failure history: its next failure starts again at the base delay. */
  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  /** How many times in a row the key has failed. */
  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /** Starts processing with `reconcile`; keys added earlier run now. */
  start(reconcile: Reconcile): void {
    if (this.reconcile) throw new Error(`work queue ${this.name} already started`);
    this.reconcile = reconcile;
    this.pump();
  }

  /** Stops taking work and resolves when every in-flight reconcile has returned. */
  async shutdown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.abort.abort();
      for (const { timer } of this.waiting.values()) clearTimeout(timer);
      this.waiting.clear();
      this.metrics.depth(-this.queue.length);
      this.queue.clear();
    }
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    const reconcile = this.reconcile;
    if (!reconcile) return;
    while (!this.shuttingDown && this.processing.size < this.concurrency) {
      const key = this.queue.shift();
      if (key === undefined) return;
      this.metrics.depth(-1);
      this.dirty.delete(key);
      this.processing.add(key);
      const addedAt = this.addedAt.get(key);
      this.addedAt.delete(key);
      if (addedAt !== undefined) this.metrics.queued((performance.now() - addedAt) / 1000);
      const run = this.process(key, reconcile);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
  }

  private async process(key: string, reconcile: Reconcile): Promise<void> {
    const started = performance.now();
    try {
      const result = (await reconcile(key, this.abort.signal)) as ReconcileResult | undefined;
      this.forget(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      if (!this.shuttingDown) {
        this.log.warn('reconcile failed; retrying with backoff', {
          queue: this.name,
          key,
          failures: this.failures(key) + 1,
          error: formatKubeError(error),
        });
        this.addRateLimited(key);
      }
    } finally {
      this.metrics.worked((performance.now() - started) / 1000);
      this.processing.delete(key);
      // Re-added while we worked: run it again now that no other worker can hold it.
      if (this.dirty.has(key) && !this.shuttingDown) {
        this.queue.push(key);
        this.metrics.depth(1);
      }
      this.pump();
    }
  }
}
