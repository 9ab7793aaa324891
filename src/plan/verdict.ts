import type { Retention } from '../config/types.ts';
import type { VolSyncTrigger } from './objects.ts';

/** A Kubernetes Event the controller emits on the PVC: reason CamelCase, message a sentence with the fix. */
export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The state of one PVC, as a status line, an Event and (for the CLI) a table row. */
export type Verdict =
  | ProtectedVerdict
  | WaitingVerdict
  | { kind: 'exempt'; exemptReason: string; event: PlanEvent }
  | { kind: 'not-opted-in'; tier: string; event: PlanEvent }
  | { kind: 'excluded'; event: PlanEvent }
  | { kind: 'unlabelled'; event: PlanEvent }
  /** A database operator's claim without a backup label: its own backup is expected (intent/database.ts). */
  | { kind: 'database'; operator: string; event: PlanEvent }
  | { kind: 'invalid'; event: PlanEvent }
  | { kind: 'unsupported'; event: PlanEvent };

export interface ProtectedVerdict {
  kind: 'protected';
  tier: string;
  /** The source's trigger as generated, e.g. `{schedule: '17 * * * *'}`. */
  trigger: VolSyncTrigger;
  event: PlanEvent;
}

/**
 * Protected, but the ReplicationSource is not created yet.
 * - `unbound`: the PVC is not Bound; a watch event brings it back.
 * - `min-age`: younger than `minPvcAge`; requeue after the rest of it.
 * - `credentials`: the copy-mode source Secret is missing or incomplete; a watch on it brings it back.
 * - `stale-source`: a source made for an earlier PVC of the same name is being deleted first.
 */
export interface WaitingVerdict {
  kind: 'waiting';
  tier: string;
  cause: 'unbound' | 'min-age' | 'credentials' | 'stale-source';
  /** When to plan again; undefined: when a watched object changes. */
  requeueAfterMs?: number;
  event: PlanEvent;
}

export function normal(reason: string, message: string): PlanEvent {
  return { type: 'Normal', reason, message };
}

export function warning(reason: string, message: string): PlanEvent {
  return { type: 'Warning', reason, message };
}

export function waiting(
  tier: string,
  cause: WaitingVerdict['cause'],
  event: PlanEvent,
  requeueAfterMs?: number,
): WaitingVerdict {
  return { kind: 'waiting', tier, cause, event, ...(requeueAfterMs !== undefined && { requeueAfterMs }) };
}

/** `tier hourly: backups schedule "17 * * * *", keeping 24 hourly + 7 daily`. */
export function describeProtection(tier: string, trigger: VolSyncTrigger, retain: Retention): string {
  const when =
    'schedule' in trigger ? `schedule "${trigger.schedule}"` : `on demand (trigger.manual "${trigger.manual}")`;
  const keeps = Object.entries(retain)
    .map(([rule, n]) => `${n} ${rule === 'last' ? 'newest' : rule}`)
    .join(' + ');
  return `tier ${tier}: backups ${when}, keeping ${keeps}`;
}
