/**
 * Work-queue metrics under controller-runtime's names (so existing dashboards and alerts apply), labelled by queue
 * `name`. Several queues share one registry: each metric is registered once and found again by name.
 */
import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from 'prom-client';

export interface WorkQueueMetrics {
  depth(delta: number): void;
  added(): void;
  retried(): void;
  /** Seconds an item waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds one reconcile took. */
  worked(seconds: number): void;
}

export const noWorkQueueMetrics: WorkQueueMetrics = { depth() {}, added() {}, retried() {}, queued() {}, worked() {} };

// controller-runtime's buckets: 10 ns … 1000 s.
const BUCKETS = exponentialBuckets(10e-9, 10, 12);

function shared<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function workQueueMetrics(registry: Registry, queue: string): WorkQueueMetrics {
  const registers = [registry];
  const labelNames = ['name'] as const;
  const depth = shared(
    registry,
    'workqueue_depth',
    () => new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames, registers }),
  );
  const adds = shared(
    registry,
    'workqueue_adds_total',
    () =>
      new Counter({
        name: 'workqueue_adds_total',
        help: 'Total number of adds handled by workqueue',
        labelNames,
        registers,
      }),
  );
  const retries = shared(
    registry,
    'workqueue_retries_total',
    () =>
      new Counter({
        name: 'workqueue_retries_total',
        help: 'Total number of retries handled by workqueue',
        labelNames,
        registers,
      }),
  );
  const queueDuration = shared(
    registry,
    'workqueue_queue_duration_seconds',
    () =>
      new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long in seconds an item stays in workqueue before being requested',
        labelNames,
        buckets: BUCKETS,
        registers,
      }),
  );
  const workDuration = shared(
    registry,
    'workqueue_work_duration_seconds',
    () =>
      new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long in seconds processing an item from workqueue takes',
        labelNames,
        buckets: BUCKETS,
        registers,
      }),
  );
  const labels = { name: queue };
  // Zero-valued series from the start, so "no adds yet" reads as 0 rather than as a missing series.
  depth.set(labels, 0);
  adds.inc(labels, 0);
  retries.inc(labels, 0);
  return {
    depth: (delta) => depth.inc(labels, delta),
    added: () => adds.inc(labels),
    retried: () => retries.inc(labels),
    queued: (seconds) => queueDuration.observe(labels, seconds),
    worked: (seconds) => workDuration.observe(labels, seconds),
  };
}
