import { createHash } from 'node:crypto';
import { SPREAD_MINUTE } from '../config/formats.ts';
import type { TierTrigger } from '../config/types.ts';
import type { VolSyncTrigger } from './objects.ts';

/**
 * The PVC's own minute: the first 4 bytes of sha256(`namespace/pvc`) as a big-endian uint32, mod 60. Byte-identical
 * with pvc-plumber v2.1+ so that a cluster moving to lifeboat keeps its backup times
 * (docs/design.md#compatibility-kept-on-purpose), and stable across
 * restarts, unlike the seed's length-based spread that clustered similar names.
 */
export function spreadMinute(namespace: string, pvc: string): number {
  return createHash('sha256').update(`${namespace}/${pvc}`).digest().readUInt32BE(0) % 60;
}

/** A tier's trigger for one PVC: `H` in the minute field becomes the PVC's minute; manual tokens pass through. */
export function renderTrigger(trigger: TierTrigger, namespace: string, pvc: string): VolSyncTrigger {
  if ('manual' in trigger) return { manual: trigger.manual };
  const fields = trigger.schedule.trim().split(/\s+/);
  if (fields[0] !== SPREAD_MINUTE) return { schedule: trigger.schedule };
  return { schedule: [String(spreadMinute(namespace, pvc)), ...fields.slice(1)].join(' ') };
}
