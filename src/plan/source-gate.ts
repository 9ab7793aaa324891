import { formatDuration } from '../config/formats.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { isStaleSource, type ObservedObject } from './observed.ts';
import { normal, type WaitingVerdict, waiting } from './verdict.ts';

/** Re-plan this soon after deleting a stale source, so its replacement follows promptly. */
export const STALE_SOURCE_REQUEUE_MS = 5_000;

/**
 * Whether the ReplicationSource may exist now; undefined when it may. An existing source of this PVC stays: binding
 * and age gate only its creation. A source left by an earlier PVC of the same name is replaced first.
 */
export function sourceGate(
  pvc: PersistentVolumeClaim,
  tier: string,
  liveSource: ObservedObject | undefined,
  minAge: number,
  now: number,
): WaitingVerdict | undefined {
  if (liveSource !== undefined && isStaleSource(liveSource, pvc)) {
    const event = normal('ReplacingStaleSource', 'deleting a backup source left by an earlier PVC of this name');
    return waiting(tier, 'stale-source', event, STALE_SOURCE_REQUEUE_MS);
  }
  return liveSource === undefined ? readiness(pvc, tier, minAge, now) : undefined;
}

/**
 * The source is created only for a Bound PVC at least `minAge` old, so a new or just-restored volume is not backed
 * up (and retention rotated) before the application wrote to it. A PVC without `creationTimestamp` (a manifest never
 * applied) counts as old enough: its age is the caller's assumption to make.
 */
function readiness(pvc: PersistentVolumeClaim, tier: string, minAge: number, now: number): WaitingVerdict | undefined {
  const phase = pvc.status?.phase;
  if (phase !== 'Bound') {
    const state = phase ? `PVC is ${phase}` : 'PVC is not Bound yet';
    return waiting(tier, 'unbound', normal('WaitingForBind', `${state}; backups start once it is Bound`));
  }
  const created = pvc.metadata.creationTimestamp ? Date.parse(pvc.metadata.creationTimestamp) : Number.NaN;
  const age = Math.max(now - created, 0);
  if (Number.isNaN(created) || age >= minAge) return undefined;
  const rest = minAge - age;
  const message =
    `PVC is ${formatDuration(age)} old; its first backup is scheduled once it is ${formatDuration(minAge)} old ` +
    `(in ${formatDuration(rest)}), so a new or just-restored volume is not backed up before the application wrote to it`;
  return waiting(tier, 'min-age', normal('WaitingForMinAge', message), rest);
}
