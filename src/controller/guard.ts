/**
 * The mass-deletion guard. A GitOps prune gone wrong or a namespace's opt-out can make many PVCs "lose their label"
 * at once; cleaning up after each would delete the restore point and the credentials of every PVC in the cluster. So
 * the PVCs whose cleanup takes their ability to be restored away are counted in a sliding window, and once more than
 * `threshold` would lose it within `window`, the guard trips: no further such cleanup runs until an operator confirms
 * (or the configuration raises the limit). Repository data is never deleted anyway; the guard protects the restore
 * points and credentials lifeboat generated.
 *
 * It counts PVCs, not objects, and only the cleanups that remove a restore capability (removesRestoreCapability):
 * routine work — a deleted PVC's ReplicationSource and per-snapshot restore points, a restore point deleted after its
 * restore was handed over — neither counts nor is held, so reinstalling apps and restoring them never trips it
 * (docs/design.md#cleanup-that-silently-did-nothing).
 *
 * Pure state machine: the caller passes `now` and persists `state()` where an operator can see and confirm it.
 */
import { isRestorePoint, type ObservedObject } from '../plan/observed.ts';

export interface GuardState {
  /** When the guard tripped (ms since epoch), or undefined while it lets deletions through. */
  trippedAt?: number;
  /** Deletions held back since it tripped (distinct object references). */
  held: string[];
}

export type GuardAnswer = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether deleting this generated object takes its PVC's ability to be restored away, and so goes through the
 * guard: the persistent restore point (a ReplicationDestination that is not a per-snapshot restore point) and the
 * credentials its movers read (the Secret, or the ExternalSecret that writes it). A ReplicationSource only stops
 * future backups, a per-snapshot restore point is made for one restore, and KopiaMaintenance only compacts the
 * repository: recreating the PVC or its label brings them back with nothing lost.
 */
export function removesRestoreCapability(o: ObservedObject): boolean {
  switch (o.kind) {
    case 'ReplicationDestination':
      return !isRestorePoint(o);
    case 'Secret':
    case 'ExternalSecret':
      return true;
    default:
      return false;
  }
}

export class MassDeletionGuard {
  readonly threshold: number;
  readonly windowMs: number;
  /** The PVCs counted in the window, with when each was first counted. */
  #recent = new Map<string, number>();
  #trippedAt: number | undefined;
  #held = new Set<string>();
  /** Confirmed deletions: they pass once without counting against the window (they were already judged). */
  #released = new Set<string>();

  constructor(threshold: number, windowMs: number) {
    this.threshold = threshold;
    this.windowMs = windowMs;
  }

  /**
   * Asks to delete `ref`, one of the objects whose deletion takes PVC `pvc`'s restore capability away, at `now`. The
   * PVC is counted once within the window however many of its objects go; a PVC counted already passes even after a
   * trip (it was within the threshold), any other is held.
   */
  request(pvc: string, ref: string, now: number): GuardAnswer {
    if (this.#released.delete(ref)) return { allowed: true };
    for (const [key, at] of this.#recent) if (now - at >= this.windowMs) this.#recent.delete(key);
    if (this.#recent.has(pvc)) return { allowed: true };
    if (this.#trippedAt === undefined && this.#recent.size >= this.threshold) this.#trippedAt = now;
    if (this.#trippedAt !== undefined) {
      this.#held.add(ref);
      return {
        allowed: false,
        reason:
          `mass-deletion guard tripped: more than ${this.threshold} PVCs would lose their restore point or ` +
          `credentials within ${Math.round(this.windowMs / 1000)}s (${this.#held.size} deletions held back). ` +
          "If these cleanups are intended, confirm them (see the guard's status); otherwise restore the labels or " +
          'namespaces that went missing.',
      };
    }
    this.#recent.set(pvc, now);
    return { allowed: true };
  }

  /** An operator confirmed: held deletions may proceed (each once), and the window starts afresh. */
  confirm(): string[] {
    const held = [...this.#held];
    this.#released = new Set(held);
    this.#trippedAt = undefined;
    this.#held.clear();
    this.#recent.clear();
    return held;
  }

  get tripped(): boolean {
    return this.#trippedAt !== undefined;
  }

  state(): GuardState {
    return { ...(this.#trippedAt !== undefined ? { trippedAt: this.#trippedAt } : {}), held: [...this.#held].sort() };
  }

  /** Restores a persisted trip (so a restart does not silently release held deletions). */
  restore(state: GuardState): void {
    this.#trippedAt = state.trippedAt;
    this.#held = new Set(state.held);
  }
}
