/** The controller's Prometheus metrics: controller-runtime names for reconciles, `lifeboat_*` for the domain. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ControllerMetrics {
  reconciles: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  applies: Counter<'kind' | 'reason'>;
  cleanups: Counter<'kind' | 'result'>;
  guardTripped: Gauge;
  guardHeld: Gauge;
  verdicts: Gauge<'verdict'>;
  conflicts: Gauge;
  databaseFileCopies: Gauge;
  breakGlass: Gauge<'scope'>;
  lastBackup: Gauge<'namespace' | 'pvc' | 'tier'>;
  tierInterval: Gauge<'tier'>;
  restores: Counter<'outcome'>;
}

/** The metric of that name already in the registry (a new leader term reuses it), or a new one. */
export function once<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** Every outcome of `lifeboat_restores_total`, exported at 0 from the start so that `increase()` sees the first one. */
const RESTORE_OUTCOMES = ['verified', 'mismatch', 'empty', 'unverified', 'refused', 'failed'] as const;

export function controllerMetrics(registry: Registry): ControllerMetrics {
  const registers = [registry];
  const restores = once(
    registry,
    'lifeboat_restores_total',
    () =>
      new Counter({
        name: 'lifeboat_restores_total',
        help:
          'Restores by what the evidence shows: verified (the pinned snapshot), mismatch (another snapshot), empty ' +
          '(nothing restored), unverified (cannot be proven), refused (pinned snapshot gone before the restore point ' +
          'was created), failed (mover attempts that failed)',
        labelNames: ['outcome'],
        registers,
      }),
  );
  for (const outcome of RESTORE_OUTCOMES) restores.inc({ outcome }, 0);
  return {
    restores,
    reconciles: once(
      registry,
      'controller_runtime_reconcile_total',
      () =>
        new Counter({
          name: 'controller_runtime_reconcile_total',
          help: 'Reconciliations per controller and result (success, error, requeue_after)',
          labelNames: ['controller', 'result'],
          registers,
        }),
    ),
    reconcileErrors: once(
      registry,
      'controller_runtime_reconcile_errors_total',
      () =>
        new Counter({
          name: 'controller_runtime_reconcile_errors_total',
          help: 'Reconciliations that ended in an error',
          labelNames: ['controller'],
          registers,
        }),
    ),
    reconcileTime: once(
      registry,
      'controller_runtime_reconcile_time_seconds',
      () =>
        new Histogram({
          name: 'controller_runtime_reconcile_time_seconds',
          help: 'Time per reconciliation',
          labelNames: ['controller'],
          buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    applies: once(
      registry,
      'lifeboat_objects_applied_total',
      () =>
        new Counter({
          name: 'lifeboat_objects_applied_total',
          help: 'Generated objects written (created, or repaired after drift)',
          labelNames: ['kind', 'reason'],
          registers,
        }),
    ),
    cleanups: once(
      registry,
      'lifeboat_cleanups_total',
      () =>
        new Counter({
          name: 'lifeboat_cleanups_total',
          help: 'Generated objects deleted by cleanup, or held back by the mass-deletion guard',
          labelNames: ['kind', 'result'],
          registers,
        }),
    ),
    guardTripped: once(
      registry,
      'lifeboat_mass_deletion_guard_tripped',
      () =>
        new Gauge({
          name: 'lifeboat_mass_deletion_guard_tripped',
          help: '1 while the mass-deletion guard holds cleanups back until an operator confirms',
          registers,
        }),
    ),
    guardHeld: once(
      registry,
      'lifeboat_mass_deletion_guard_held',
      () =>
        new Gauge({
          name: 'lifeboat_mass_deletion_guard_held',
          help: 'Deletions held back by the mass-deletion guard',
          registers,
        }),
    ),
    verdicts: once(
      registry,
      'lifeboat_pvc_verdicts',
      () =>
        new Gauge({
          name: 'lifeboat_pvc_verdicts',
          help:
            'PVCs by verdict (protected, waiting, exempt, database, invalid, not-opted-in, unsupported, conflict); ' +
            'database: unlabelled claims of database operators, left to their native backup',
          labelNames: ['verdict'],
          registers,
        }),
    ),
    conflicts: once(
      registry,
      'lifeboat_pvc_conflicts',
      () =>
        new Gauge({
          name: 'lifeboat_pvc_conflicts',
          help: 'PVCs whose generated object name is taken by an object lifeboat does not own',
          registers,
        }),
    ),
    databaseFileCopies: once(
      registry,
      'lifeboat_pvc_database_file_copies',
      () =>
        new Gauge({
          name: 'lifeboat_pvc_database_file_copies',
          help:
            'Claims of database operators that a backup label has lifeboat copy at file level (crash-consistent at ' +
            "best; the operator's own backup is the one to restore from)",
          registers,
        }),
    ),
    breakGlass: once(
      registry,
      'lifeboat_break_glass',
      () =>
        new Gauge({
          name: 'lifeboat_break_glass',
          help: 'Break-glass in force: scope="global" is 1 when admission.breakGlass is set; scope="namespace" counts namespaces labelled lifeboat.dev/break-glass=true',
          labelNames: ['scope'],
          registers,
        }),
    ),
    lastBackup: once(
      registry,
      'lifeboat_pvc_last_backup_timestamp_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_pvc_last_backup_timestamp_seconds',
          help: 'Time of the newest complete backup of the PVC found in the repository (Unix time)',
          labelNames: ['namespace', 'pvc', 'tier'],
          registers,
        }),
    ),
    tierInterval: once(
      registry,
      'lifeboat_tier_backup_interval_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_tier_backup_interval_seconds',
          help: 'Longest gap between two scheduled backups of the tier, from its cron (manual tiers have no series)',
          labelNames: ['tier'],
          registers,
        }),
    ),
  };
}
