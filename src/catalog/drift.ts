/**
 * Identity drift: a Kopia source that does not follow the identity template but still names a PVC. The movers
 * write `user@host:path`, and every convention in use puts the PVC's name and its namespace somewhere in user and
 * host (`<pvc>-backup@<ns>`, `<pvc>@<ns>`, the fork's older `<rs>-<ns>@<ns>-<pvc>`, a ReplicationSource named after
 * the PVC under the default identity). When the template no longer matches what was written, those snapshots are the
 * PVC's data, and answering "fresh" would start it empty.
 *
 * Both names must appear as whole dash-separated words (so `data` does not match `metadata`), which keeps a PVC from
 * claiming another namespace's or another tool's sources.
 */
import { type PvcRef, pvcRefProblem } from '../repository/source.ts';
import type { Snapshot } from '../repository/types.ts';
import type { DriftedSource } from './view.ts';

/** True when `part` contains `name` as a run of whole `-`/`.`/`_`-separated words. */
function hasWord(part: string, name: string): boolean {
  const lower = part.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(name, from); at >= 0; at = lower.indexOf(name, from)) {
    const before = at === 0 ? '' : (lower[at - 1] ?? '');
    const after = lower[at + name.length] ?? '';
    if ((before === '' || /[-._]/.test(before)) && (after === '' || /[-._]/.test(after))) return true;
    from = at + 1;
  }
  return false;
}

/** Whether the source `user@host:path` names both the PVC and its namespace in its user and host. */
export function sourceNamesPvc(source: string, ref: PvcRef): boolean {
  const colon = source.indexOf(':');
  const who = (colon < 0 ? source : source.slice(0, colon)).replace('@', '-');
  return hasWord(who, ref.pvc) && hasWord(who, ref.namespace);
}

/** A source's complete snapshots: how many, and when the newest started. */
export function summarizeSource(source: string, snapshots: readonly Snapshot[]): DriftedSource {
  const complete = snapshots.filter((s) => !s.incomplete);
  const newest = complete.reduce<Snapshot | undefined>((a, s) => (!a || s.timeMs > a.timeMs ? s : a), undefined);
  return { source, snapshots: complete.length, ...(newest ? { newest: newest.time } : {}) };
}

/** The unmatched sources that name `ref`, with their complete snapshots, most snapshots first. */
export function driftedSources(unmatched: ReadonlyMap<string, readonly Snapshot[]>, ref: PvcRef): DriftedSource[] {
  const out: DriftedSource[] = [];
  for (const [source, snapshots] of unmatched) {
    if (sourceNamesPvc(source, ref)) out.push(summarizeSource(source, snapshots));
  }
  return out.sort((a, b) => b.snapshots - a.snapshots || (a.source < b.source ? -1 : 1));
}

/**
 * The PVC an unmatched source most likely belongs to, among `candidates` (PVCs the caller knows: labelled PVCs,
 * catalog entries), for listings; undefined when none is named by it. Longer names win over their prefixes.
 */
export function likelyPvc(source: string, candidates: readonly PvcRef[]): PvcRef | undefined {
  let best: PvcRef | undefined;
  for (const ref of candidates) {
    if (!sourceNamesPvc(source, ref)) continue;
    if (!best || ref.pvc.length + ref.namespace.length > best.pvc.length + best.namespace.length) best = ref;
  }
  return best;
}

/**
 * The PVC a source's own shape suggests, without knowing the cluster's PVCs: the fork's older
 * `<rs>-<ns>@<ns>-<pvc>`, else `<pvc>[-backup]@<ns>`. Undefined when the names would not be Kubernetes names.
 */
export function guessPvc(source: string): PvcRef | undefined {
  const colon = source.indexOf(':');
  const who = colon < 0 ? source : source.slice(0, colon);
  const at = who.indexOf('@');
  if (at < 0) return undefined;
  const user = who.slice(0, at);
  const host = who.slice(at + 1);
  let guess: PvcRef | undefined;
  for (let dash = host.indexOf('-'); dash > 0 && !guess; dash = host.indexOf('-', dash + 1)) {
    const ns = host.slice(0, dash);
    if (user.endsWith(`-${ns}`)) guess = { namespace: ns, pvc: host.slice(dash + 1) };
  }
  guess ??= { namespace: host, pvc: user.replace(/-backup$/, '') };
  return pvcRefProblem(guess) ? undefined : guess;
}
