/**
 * Metrics of the kopia repository's maintenance, for the "maintenance failing" and "maintenance overdue" alerts. One
 * KopiaMaintenance at most, so one series each (label `kopiamaintenance`, `namespace/name`).
 */
import { Gauge, type Registry } from 'prom-client';
import type { MaintenancePlan } from '../plan/maintenance.ts';
import type { LiveKopiaMaintenance, MaintenanceStatus } from '../status/maintenance.ts';
import { once } from './metrics.ts';

const STATES: readonly MaintenancePlan['state'][] = ['maintained', 'off', 'waiting', 'unsupported'];

export class MaintenanceMetrics {
  readonly plan: Gauge<'state'>;
  readonly lastSuccess: Gauge<'kopiamaintenance'>;
  readonly created: Gauge<'kopiamaintenance'>;
  readonly failures: Gauge<'kopiamaintenance'>;
  readonly ready: Gauge<'kopiamaintenance'>;
  readonly overdueAfter: Gauge<'kopiamaintenance'>;

  constructor(registry: Registry) {
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
      once(registry, name, () => new Gauge<L>({ name, help, labelNames, registers: [registry] }));
    this.plan = gauge(
      'lifeboat_kopia_maintenance_plan',
      "1 for lifeboat's maintenance plan of the kopia repository: maintained, off, waiting (credentials) or unsupported",
      ['state'],
    );
    this.lastSuccess = gauge(
      'lifeboat_kopia_maintenance_last_success_timestamp_seconds',
      'End of the last successful full maintenance of the kopia repository (status.lastMaintenanceTime, Unix time)',
      ['kopiamaintenance'],
    );
    this.created = gauge(
      'lifeboat_kopia_maintenance_created_timestamp_seconds',
      'Creation time of the KopiaMaintenance (Unix time): the reference point while no maintenance has succeeded',
      ['kopiamaintenance'],
    );
    this.failures = gauge(
      'lifeboat_kopia_maintenance_failures',
      'Consecutive failed maintenance runs the VolSync fork counts (status.maintenanceFailures)',
      ['kopiamaintenance'],
    );
    this.ready = gauge(
      'lifeboat_kopia_maintenance_ready',
      "1 when the fork's controller reports the KopiaMaintenance Ready (its CronJob is in place), else 0",
      ['kopiamaintenance'],
    );
    this.overdueAfter = gauge(
      'lifeboat_kopia_maintenance_overdue_after_seconds',
      'Twice the longest gap of the maintenance schedule: no success for longer is overdue',
      ['kopiamaintenance'],
    );
  }

  /** Sets every series from the plan and the live object; series of a KopiaMaintenance that is gone are dropped. */
  update(plan: MaintenancePlan['state'], live: LiveKopiaMaintenance | undefined, status: MaintenanceStatus): void {
    for (const state of STATES) this.plan.set({ state }, state === plan ? 1 : 0);
    for (const g of [this.lastSuccess, this.created, this.failures, this.ready, this.overdueAfter]) g.reset();
    if (!live || status.kopiaMaintenance === null) return;
    const labels = { kopiamaintenance: status.kopiaMaintenance };
    const seconds = (t: string | null | undefined) => (t ? Date.parse(t) / 1000 : Number.NaN);
    if (status.lastMaintenanceTime) this.lastSuccess.set(labels, seconds(status.lastMaintenanceTime));
    const created = seconds(live.metadata.creationTimestamp);
    if (Number.isFinite(created)) this.created.set(labels, created);
    this.failures.set(labels, status.failures);
    const ready = live.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready) this.ready.set(labels, ready.status === 'True' ? 1 : 0);
    if (status.overdueAfterSeconds !== null) this.overdueAfter.set(labels, status.overdueAfterSeconds);
  }
}
