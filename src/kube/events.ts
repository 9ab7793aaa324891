/**
 * Kubernetes Events for what lifeboat did or could not do, visible in `kubectl describe` of the object.
 *
 * events.k8s.io/v1 Events with reportingController `lifeboat` and reportingInstance = the pod's name. An Event the
 * same object already got (same type, reason, action and note) within `aggregateWindowMs` is not created again: the
 * existing Event's `series.count` grows instead, written at most every `seriesFlushMs` (kubectl shows "x5 over 3m").
 * Two budgets keep a storm of failures from becoming a storm of writes: per object (client-go's spam filter: 25, then
 * one per 5 min) and overall (10 writes per second, burst 50); what exceeds them is dropped and counted.
 *
 * Recording never throws and never waits: an Event is a side note, and a failing API server must not fail the
 * reconcile that wanted to report it. Failures are logged and counted. `flush()` writes pending counts and waits
 * for in-flight writes (tests, shutdown).
 *
 * `kubectl describe` finds Events by the object's uid: pass objects that still carry `metadata.uid`.
 */
import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { KubeClient } from './client.ts';
import { formatKubeError, isNotFound } from './errors.ts';
import { type Logger, silentLogger } from './log.ts';
import { microTime } from './time.ts';
import { TokenBucket } from './token-bucket.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about: any object of a reflector's store, or a reference built by hand. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecord {
  type: EventType;
  /** Why, in UpperCamelCase: `BackupRestored`, `RepositoryUnreachable`. At most 128 characters. */
  reason: string;
  /** What lifeboat did or tried: `Reconcile`, `Restore`, `Admit`. At most 128 characters. */
  action: string;
  /** Human-readable detail; cut at 1 KiB. Never put credentials here: Events are readable by many. */
  note: string;
  /** A second object involved (e.g. the ReplicationDestination a PVC restores from). */
  related?: EventSubject;
}

export interface EventRecorderOptions {
  /** The pod's name (or another stable name of this replica). */
  reportingInstance: string;
  reportingController?: string;
  aggregateWindowMs?: number;
  seriesFlushMs?: number;
  perObject?: { perSecond: number; burst: number };
  overall?: { perSecond: number; burst: number };
  /** Series remembered for aggregation; the oldest are forgotten beyond this. Default 4096. */
  maxSeries?: number;
  registry?: Registry;
  logger?: Logger;
}

type Result = 'created' | 'aggregated' | 'series_updated' | 'rate_limited' | 'failed';

interface Series {
  /** A digest of the subject and the Event's type, reason, action and note: thousands of series are kept for the
   * aggregation window, and the whole text (the note may be a KiB) would be held once more for each. */
  key: string;
  subject: string;
  namespace: string;
  /** The Event's name once created. */
  name?: string;
  count: number;
  /** The count the API server has. */
  written: number;
  lastObserved: number;
  lastWriteAt: number;
  busy: boolean;
  timer?: NodeJS.Timeout;
}

const NOTE_LIMIT_BYTES = 1024;
const FIELD_LIMIT = 128;

function truncateBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > limit - 3) break;
    out += char;
  }
  return `${out}...`;
}

function reference(subject: EventSubject) {
  return {
    apiVersion: subject.apiVersion,
    kind: subject.kind,
    name: subject.metadata.name,
    namespace: subject.metadata.namespace,
    uid: subject.metadata.uid,
    resourceVersion: subject.metadata.resourceVersion,
  };
}

/** `<object>.<hex timestamp>` like client-go, cut so the whole stays a valid 253-character name. */
function eventName(objectName: string): string {
  const suffix = (BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16);
  const base = objectName.slice(0, 253 - suffix.length - 1).replace(/[.-]+$/, '');
  return `${base}.${suffix}`;
}

export class EventRecorder {
  private readonly kube: KubeClient;
  private readonly controller: string;
  private readonly instance: string;
  private readonly windowMs: number;
  private readonly flushMs: number;
  private readonly maxSeries: number;
  private readonly perObjectRate: { perSecond: number; burst: number };
  private readonly overall: TokenBucket;
  private readonly perObject = new Map<string, TokenBucket>();
  private readonly series = new Map<string, Series>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly counter: Counter<'result'> | undefined;
  private closed = false;

  constructor(kube: KubeClient, opts: EventRecorderOptions) {
    this.kube = kube;
    this.controller = opts.reportingController ?? 'lifeboat';
    this.instance = opts.reportingInstance.slice(0, FIELD_LIMIT);
    this.windowMs = opts.aggregateWindowMs ?? 10 * 60_000;
    this.flushMs = opts.seriesFlushMs ?? 30_000;
    this.maxSeries = opts.maxSeries ?? 4096;
    this.perObjectRate = opts.perObject ?? { perSecond: 1 / 300, burst: 25 };
    const overall = opts.overall ?? { perSecond: 10, burst: 50 };
    this.overall = new TokenBucket(overall.perSecond, overall.burst);
    this.log = opts.logger ?? silentLogger;
    if (opts.registry) {
      const name = 'lifeboat_kube_events_total';
      this.counter =
        (opts.registry.getSingleMetric(name) as Counter<'result'> | undefined) ??
        new Counter({
          name,
          help: 'Kubernetes Events lifeboat recorded, by result (created, aggregated, series_updated, rate_limited, failed)',
          labelNames: ['result'],
          registers: [opts.registry],
        });
    }
  }

  /** Records an Event about `subject`. Returns at once; never throws. */
  record(subject: EventSubject, event: EventRecord): void {
    try {
      if (this.closed) return;
      const namespace = subject.metadata.namespace || 'default';
      const subjectKey = `${subject.kind}/${namespace}/${subject.metadata.name}/${subject.metadata.uid ?? ''}`;
      const key = createHash('sha256')
        .update([subjectKey, event.type, event.reason, event.action, event.note].join('\u0000'))
        .digest('base64');
      const now = Date.now();
      const existing = this.series.get(key);
      if (existing && now - existing.lastObserved <= this.windowMs) {
        existing.count++;
        existing.lastObserved = now;
        this.count('aggregated');
        this.schedule(existing);
        return;
      }
      if (existing) this.forget(existing);
      if (!this.budget(subjectKey).tryTake() || !this.overall.tryTake()) {
        this.count('rate_limited');
        this.log.debug('event dropped by rate limit', { subject: subjectKey, reason: event.reason });
        return;
      }
      const series: Series = {
        key,
        subject: subjectKey,
        namespace,
        count: 1,
        written: 0,
        lastObserved: now,
        lastWriteAt: now,
        busy: true,
      };
      this.remember(series);
      this.track(this.create(series, subject, event));
    } catch (error) {
      this.count('failed');
      this.log.warn('recording an event failed', { error: formatKubeError(error) });
    }
  }

  normal(subject: EventSubject, reason: string, action: string, note: string): void {
    this.record(subject, { type: 'Normal', reason, action, note });
  }

  warning(subject: EventSubject, reason: string, action: string, note: string): void {
    this.record(subject, { type: 'Warning', reason, action, note });
  }

  /**
   * Writes every pending series count now and waits for all writes in flight. Counts the overall rate limit holds
   * back stay scheduled for later: flushing again without progress would spin (and did, into a stack overflow).
   */
  async flush(): Promise<void> {
    for (;;) {
      let started = 0;
      for (const series of this.series.values()) {
        if (series.timer) {
          clearTimeout(series.timer);
          series.timer = undefined;
        }
        const wasBusy = series.busy;
        this.writeSeries(series);
        if (!wasBusy && series.busy) started++;
      }
      const waited = this.inFlight.size > 0;
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      // A create that finished during the wait may have left a count to write; without a write started or awaited in
      // this round, another round could not do better (the rate limit holds the rest).
      const pending = [...this.series.values()].some((s) => s.name && s.count > s.written && !s.busy);
      if (!pending || (started === 0 && !waited)) return;
    }
  }

  /** Flushes, then ignores further records. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    for (const series of this.series.values()) clearTimeout(series.timer);
  }

  private async create(series: Series, subject: EventSubject, event: EventRecord): Promise<void> {
    const name = eventName(subject.metadata.name);
    try {
      await this.kube.http.request(
        'POST',
        `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(series.namespace)}/events`,
        {
          body: {
            apiVersion: 'events.k8s.io/v1',
            kind: 'Event',
            metadata: { name, namespace: series.namespace },
            eventTime: microTime(new Date(series.lastObserved)),
            reportingController: this.controller,
            reportingInstance: this.instance,
            action: event.action.slice(0, FIELD_LIMIT),
            reason: event.reason.slice(0, FIELD_LIMIT),
            type: event.type,
            note: truncateBytes(event.note, NOTE_LIMIT_BYTES),
            regarding: reference(subject),
            ...(event.related ? { related: reference(event.related) } : {}),
          },
        },
      );
      series.name = name;
      series.written = 1;
      this.count('created');
    } catch (error) {
      this.forget(series);
      this.count('failed');
      this.log.warn('creating an event failed', {
        subject: series.subject,
        reason: event.reason,
        error: formatKubeError(error),
      });
    } finally {
      series.busy = false;
      series.lastWriteAt = Date.now();
    }
    this.schedule(series);
  }

  /** Arranges a series write no sooner than `seriesFlushMs` after the previous write of this Event. */
  private schedule(series: Series): void {
    if (series.timer || series.busy || !series.name || series.count <= series.written) return;
    const delay = Math.max(0, series.lastWriteAt + this.flushMs - Date.now());
    series.timer = setTimeout(() => {
      series.timer = undefined;
      this.writeSeries(series);
    }, delay);
  }

  private writeSeries(series: Series): void {
    if (series.busy || !series.name || series.count <= series.written || this.series.get(series.key) !== series) return;
    if (!this.overall.tryTake()) {
      // The count stays pending; it goes out with the next write.
      this.count('rate_limited');
      series.lastWriteAt = Date.now();
      this.schedule(series);
      return;
    }
    series.busy = true;
    const count = series.count;
    const path = `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(series.namespace)}/events/${encodeURIComponent(series.name)}`;
    this.track(
      this.kube.http
        .request('PATCH', path, {
          contentType: 'application/merge-patch+json',
          body: { series: { count, lastObservedTime: microTime(new Date(series.lastObserved)) } },
        })
        .then(
          () => {
            series.written = count;
            this.count('series_updated');
          },
          (error: unknown) => {
            this.count('failed');
            // The Event expired (the API server keeps Events one hour) or was deleted: the next occurrence creates a
            // new one.
            if (isNotFound(error)) this.forget(series);
            else
              this.log.warn('updating an event series failed', {
                subject: series.subject,
                error: formatKubeError(error),
              });
          },
        )
        .finally(() => {
          series.busy = false;
          series.lastWriteAt = Date.now();
          this.schedule(series);
        }),
    );
  }

  private budget(subjectKey: string): TokenBucket {
    let bucket = this.perObject.get(subjectKey);
    if (!bucket) {
      if (this.perObject.size >= this.maxSeries) {
        const oldest = this.perObject.keys().next().value;
        if (oldest !== undefined) this.perObject.delete(oldest);
      }
      bucket = new TokenBucket(this.perObjectRate.perSecond, this.perObjectRate.burst);
      this.perObject.set(subjectKey, bucket);
    }
    return bucket;
  }

  private remember(series: Series): void {
    const now = Date.now();
    // Forget series that ended (window passed) or, beyond the cap, the oldest: Map order is insertion order.
    for (const old of this.series.values()) {
      if (this.series.size < this.maxSeries && now - old.lastObserved <= this.windowMs) break;
      if (old.busy) break;
      this.forget(old);
    }
    this.series.set(series.key, series);
  }

  private forget(series: Series): void {
    clearTimeout(series.timer);
    series.timer = undefined;
    if (this.series.get(series.key) === series) this.series.delete(series.key);
  }

  private track(write: Promise<void>): void {
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
  }

  private count(result: Result): void {
    this.counter?.inc({ result });
  }
}
