/**
 * Which behind standbys (persistent ReplicationDestinations, ./standby.ts) one sync pass re-arms, under the caps that keep a mass re-sync from overloading shared
 * storage (docs/design.md#restore-storms): at most `concurrency` syncs in flight in the cluster, at most
 * `perRepository` per repository
 * (a shared Kopia repository is one repository for every PVC). Syncs already in flight count against both caps.
 * Pure: the loop (controller/restore-point-sync.ts) does the I/O and the pacing.
 */
import type { StandbyState } from './standby.ts';

export interface SyncCaps {
  /** Syncs in flight at once in the cluster. */
  concurrency: number;
  /** Syncs in flight at once per repository. */
  perRepository: number;
}

export interface PassEntry {
  /** `namespace/pvc`. */
  key: string;
  /** The catalog's repository key: the unit the per-repository cap counts. */
  repository: string;
  state: StandbyState;
}

export interface PassPlan {
  /** Keys to re-arm, most urgent first. */
  arm: string[];
  /** Behind (or stuck) restore points left for a later pass, with why. */
  held: { key: string; why: string }[];
}

/** Whether the state asks for a re-arm. A stuck sync is restarted with a new token, like a behind one. */
export function needsArming(state: StandbyState): boolean {
  return state.kind === 'behind' || state.kind === 'stuck';
}

/**
 * Most urgent first: never recorded, then the oldest recorded snapshot; ties by key so a pass is deterministic (and
 * two passes over the same cluster never starve the same PVC).
 */
function urgency(a: PassEntry, b: PassEntry): number {
  const time = (e: PassEntry) =>
    e.state.kind !== 'current' && e.state.record ? Date.parse(e.state.record.snapshotTime) : 0;
  return time(a) - time(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export function planPass(entries: readonly PassEntry[], caps: SyncCaps): PassPlan {
  const running = entries.filter((e) => e.state.kind === 'syncing');
  const wanted = entries.filter((x) => needsArming(x.state)).sort(urgency);
  const { admit, held } = admitUnderCaps(running, wanted, caps, 'restore-point syncs');
  return { arm: admit, held };
}

/**
 * The candidates (most urgent first) that may start now: at most `concurrency` in flight in the cluster and
 * `perRepository` per repository, counting those `running` already. Shared by the restore-point sync and the restore
 * drills (plan/drill.ts); `noun` names what is counted in the reasons.
 */
export function admitUnderCaps(
  running: readonly { repository: string }[],
  candidates: readonly { key: string; repository: string }[],
  caps: SyncCaps,
  noun: string,
): { admit: string[]; held: { key: string; why: string }[] } {
  const perRepository = new Map<string, number>();
  let total = 0;
  for (const e of running) {
    total++;
    perRepository.set(e.repository, (perRepository.get(e.repository) ?? 0) + 1);
  }
  const out: { admit: string[]; held: { key: string; why: string }[] } = { admit: [], held: [] };
  for (const e of candidates) {
    const inRepository = perRepository.get(e.repository) ?? 0;
    if (total >= caps.concurrency) {
      out.held.push({ key: e.key, why: `${total} ${noun} in flight (cap ${caps.concurrency})` });
    } else if (inRepository >= caps.perRepository) {
      out.held.push({
        key: e.key,
        why: `${inRepository} ${noun} in flight on ${e.repository} (cap ${caps.perRepository} per repository)`,
      });
    } else {
      out.admit.push(e.key);
      total++;
      perRepository.set(e.repository, inRepository + 1);
    }
  }
  return out;
}
