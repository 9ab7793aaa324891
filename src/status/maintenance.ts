/**
 * How the kopia repository's maintenance is doing, from lifeboat's plan and the live KopiaMaintenance the fork's
 * controller reports on (`status.lastMaintenanceTime`, `status.maintenanceFailures`, the `Ready` condition). Pure: one
 * answer for `lifeboat status`, `/audit` and the controller's metrics.
 */
import type { MaintenancePlan } from '../plan/maintenance.ts';
import { schedulePeriodMs } from './schedule-period.ts';

/** A KopiaMaintenance as the API returns it (the fields read here). */
export interface LiveKopiaMaintenance {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; uid?: string };
  spec?: { trigger?: { schedule?: string }; schedule?: string };
  status?: {
    lastMaintenanceTime?: string;
    nextScheduledMaintenance?: string;
    maintenanceFailures?: number;
    activeCronJob?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/**
 * - `ok`: the last run succeeded within twice the schedule's interval.
 * - `pending`: created less than twice the interval ago and not run yet.
 * - `failing`: consecutive failures, or the fork's controller cannot run it (`Ready` false).
 * - `overdue`: no success within twice the interval (never run, suspended, or runs that never finish).
 * - `missing`: lifeboat wants one and there is none (yet).
 * - `off` / `waiting` / `unsupported`: lifeboat's plan (see plan/maintenance.ts).
 */
export type MaintenanceResult =
  | 'ok'
  | 'pending'
  | 'failing'
  | 'overdue'
  | 'missing'
  | 'off'
  | 'waiting'
  | 'unsupported';

export interface MaintenanceStatus {
  result: MaintenanceResult;
  /** One sentence, with the fix when something is wrong. */
  message: string;
  /** `namespace/name` of the KopiaMaintenance, or null. */
  kopiaMaintenance: string | null;
  schedule: string | null;
  /** End of the last successful run (RFC 3339), or null. */
  lastMaintenanceTime: string | null;
  nextScheduledMaintenance: string | null;
  /** Consecutive failures the fork counts. */
  failures: number;
  /** Twice the schedule's longest gap, in seconds: older than this without a success is overdue. */
  overdueAfterSeconds: number | null;
}

export function maintenanceStatus(
  plan: Pick<MaintenancePlan, 'state' | 'message'>,
  live: LiveKopiaMaintenance | undefined,
  nowMs: number,
): MaintenanceStatus {
  const schedule = live?.spec?.trigger?.schedule ?? live?.spec?.schedule ?? null;
  const period = schedule === null ? undefined : schedulePeriodMs(schedule);
  const overdueAfterMs = period === undefined ? undefined : 2 * period;
  const status = live?.status;
  const base: Omit<MaintenanceStatus, 'result' | 'message'> = {
    kopiaMaintenance: live ? `${live.metadata.namespace ?? ''}/${live.metadata.name}` : null,
    schedule,
    lastMaintenanceTime: status?.lastMaintenanceTime ?? null,
    nextScheduledMaintenance: status?.nextScheduledMaintenance ?? null,
    failures: status?.maintenanceFailures ?? 0,
    overdueAfterSeconds: overdueAfterMs === undefined ? null : overdueAfterMs / 1000,
  };
  if (plan.state !== 'maintained') return { ...base, result: plan.state, message: plan.message };
  if (!live) return { ...base, result: 'missing', message: `${plan.message}: not created yet` };
  const name = base.kopiaMaintenance;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && ready.reason !== 'MaintenanceDisabled') {
    return {
      ...base,
      result: 'failing',
      message: `KopiaMaintenance ${name} is not ready (${ready.reason ?? 'no reason'}): ${ready.message ?? ''}`.trim(),
    };
  }
  if (base.failures > 0) {
    return {
      ...base,
      result: 'failing',
      message:
        `the last ${base.failures} maintenance run(s) failed: see the logs of the Jobs of KopiaMaintenance ${name}; ` +
        'after 5 failures the fork suspends the CronJob until the annotation volsync.backube/reset-failures=true is set',
    };
  }
  const since = Date.parse(base.lastMaintenanceTime ?? live.metadata.creationTimestamp ?? '');
  const late = overdueAfterMs !== undefined && Number.isFinite(since) && nowMs - since > overdueAfterMs;
  if (late) {
    const what = base.lastMaintenanceTime ? `last succeeded at ${base.lastMaintenanceTime}` : 'has never succeeded';
    return {
      ...base,
      result: 'overdue',
      message:
        `maintenance of the kopia repository ${what}, more than twice the interval of "${schedule}" ago: check the ` +
        `CronJob ${status?.activeCronJob ?? '(none reported)'} and its Jobs`,
    };
  }
  if (!base.lastMaintenanceTime) {
    return { ...base, result: 'pending', message: `${plan.message}: no run has completed yet` };
  }
  return { ...base, result: 'ok', message: `last full maintenance succeeded at ${base.lastMaintenanceTime}` };
}
