/**
 * Metrics of the restore-point sync. Registered once per registry (a new leader term reuses them).
 *
 * Cardinality: `lifeboat_restore_point_age_seconds` has one series per protected PVC (`namespace`, `pvc`). That is
 * fine at home-lab and small-platform scale (tens to a few hundred PVCs) and is what an alert per volume needs; a
 * cluster with thousands of protected PVCs should drop the series at scrape time (metric_relabel_configs) and alert
 * on `lifeboat_restore_points{state}` instead, which has at most six series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type PointState = 'current' | 'behind' | 'syncing' | 'stuck' | 'no-backup' | 'unknown';

export interface RestorePointMetrics {
  /**
   * `synced`: a sync lifeboat armed was seen to complete; `skipped`: a behind restore point was left for a later pass
   * (caps, a sync in flight, or a catalog that cannot vouch for the newest snapshot); `failed`: arming was refused by
   * the API server, or an armed sync did not complete within the timeout.
   */
  syncs: Counter<'result'>;
  /** Re-arms written (new `trigger.manual` tokens). */
  arms: Counter;
  /** Seconds between now and the snapshot the RD's image holds, for RDs whose restore point is known. */
  age: Gauge<'namespace' | 'pvc'>;
  /** Persistent restore points by state at the last full pass. */
  states: Gauge<'state'>;
}

function once<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function restorePointMetrics(registry: Registry): RestorePointMetrics {
  const registers = [registry];
  return {
    syncs: once(
      registry,
      'lifeboat_restore_point_syncs_total',
      () =>
        new Counter({
          name: 'lifeboat_restore_point_syncs_total',
          help: 'Restore-point syncs by result: synced (an armed sync completed), skipped (left for a later pass), failed',
          labelNames: ['result'],
          registers,
        }),
    ),
    arms: once(
      registry,
      'lifeboat_restore_point_arms_total',
      () =>
        new Counter({
          name: 'lifeboat_restore_point_arms_total',
          help: 'Restore points re-armed with a new trigger.manual token because they were behind the newest snapshot',
          registers,
        }),
    ),
    age: once(
      registry,
      'lifeboat_restore_point_age_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_restore_point_age_seconds',
          help: 'Age of the snapshot the persistent ReplicationDestination holds, per PVC (one series per protected PVC)',
          labelNames: ['namespace', 'pvc'],
          registers,
        }),
    ),
    states: once(
      registry,
      'lifeboat_restore_points',
      () =>
        new Gauge({
          name: 'lifeboat_restore_points',
          help: 'Persistent restore points by state: current, behind, syncing, stuck, no-backup, unknown',
          labelNames: ['state'],
          registers,
        }),
    ),
  };
}
