/**
 * Metrics of the restore drills. Registered once per registry (a new leader term reuses them).
 *
 * Cardinality: the per-PVC gauges have one series per PVC that has a drill record (like the restore-point age); see
 * restore-point-metrics.ts for dropping them at scrape time on very large clusters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { DRILL_OUTCOMES } from '../decision/drill-verdict.ts';

export interface DrillMetrics {
  /** Finished drills by outcome. */
  drills: Counter<'outcome'>;
  /** Drills whose objects were deleted without a verdict (created only in part, or a spec that cannot be read). */
  cleanups: Counter;
  /** Drills in flight at the last pass. */
  running: Gauge;
  /** When the PVC's last passed drill ended (Unix seconds); only PVCs with a proof have a series. */
  proven: Gauge<'namespace' | 'pvc'>;
  /**
   * When lifeboat began protecting a PVC no drill has proven yet (its persistent RD's creation, Unix seconds); only
   * such PVCs have a series, and only while scheduled drills are on: a PVC never proven is the worst case of an old
   * proof, and without this series the alert on old proofs would never see it.
   */
  unproven: Gauge<'namespace' | 'pvc'>;
  /** 1 when the PVC's last drill failed, else 0; only PVCs with a drill record have a series. */
  failing: Gauge<'namespace' | 'pvc'>;
  /** `verify.maxAge` in seconds, for the alert that compares the proof's age with it. */
  maxAge: Gauge;
}

function once<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function drillMetrics(registry: Registry): DrillMetrics {
  const registers = [registry];
  const drills = once(
    registry,
    'lifeboat_restore_drills_total',
    () =>
      new Counter({
        name: 'lifeboat_restore_drills_total',
        help: `Finished restore drills by outcome: ${DRILL_OUTCOMES.join(', ')}`,
        labelNames: ['outcome'],
        registers,
      }),
  );
  // Every outcome from the start, so that increase() sees the first one.
  for (const outcome of DRILL_OUTCOMES) drills.inc({ outcome }, 0);
  return {
    drills,
    cleanups: once(
      registry,
      'lifeboat_restore_drill_cleanups_total',
      () =>
        new Counter({
          name: 'lifeboat_restore_drill_cleanups_total',
          help: 'Restore drills deleted without a verdict: created only in part (lifeboat stopped mid-create) or unreadable',
          registers,
        }),
    ),
    running: once(
      registry,
      'lifeboat_restore_drills_running',
      () => new Gauge({ name: 'lifeboat_restore_drills_running', help: 'Restore drills in flight', registers }),
    ),
    proven: once(
      registry,
      'lifeboat_restore_proven_timestamp_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_restore_proven_timestamp_seconds',
          help: "When the PVC's backups were last proven restorable by a drill that passed (Unix seconds)",
          labelNames: ['namespace', 'pvc'],
          registers,
        }),
    ),
    unproven: once(
      registry,
      'lifeboat_restore_unproven_since_timestamp_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_restore_unproven_since_timestamp_seconds',
          help: 'When lifeboat began protecting a PVC that no restore drill has proven yet (Unix seconds)',
          labelNames: ['namespace', 'pvc'],
          registers,
        }),
    ),
    failing: once(
      registry,
      'lifeboat_restore_drill_failing',
      () =>
        new Gauge({
          name: 'lifeboat_restore_drill_failing',
          help: "1 when the PVC's last restore drill failed, 0 when it passed",
          labelNames: ['namespace', 'pvc'],
          registers,
        }),
    ),
    maxAge: once(
      registry,
      'lifeboat_restore_proof_max_age_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_restore_proof_max_age_seconds',
          help: 'verify.maxAge: a proof older than this is overdue',
          registers,
        }),
    ),
  };
}
