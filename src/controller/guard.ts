/**
 * The mass-deletion guard. A GitOps prune gone wrong or a namespace deletion can make many PVCs "lose their label" at
 * once; cleaning up after each would delete every restore point in the cluster. So deletions are counted in a
 * sliding window, and once more than `threshold` would happen within `window`, the guard trips: no further deletion
 * runs until an operator confirms (or the configuration raises the limit). Repository data is never deleted anyway;
 * the guard protects the restore points and credentials lifeboat generated.
 *
 * Pure state machine: the caller passes `now` and persists `state()` where an operator can see and confirm it.
 */

export interface GuardState {
  /** When the guard tripped (ms since epoch), or undefined while it lets deletions through. */
  trippedAt?: number;
  /** Deletions held back since it tripped (distinct object references). */
  held: string[];
}

export type GuardAnswer = { allowed: true } | { allowed: false; reason: string };

export class MassDeletionGuard {
  readonly threshold: number;
  readonly windowMs: number;
  #recent: number[] = [];
  #trippedAt: number | undefined;
  #held = new Set<string>();
  /** Confirmed deletions: they pass once without counting against the window (they were already judged). */
  #released = new Set<string>();

  constructor(threshold: number, windowMs: number) {
    this.threshold = threshold;
    this.windowMs = windowMs;
  }

  /** Asks to delete `ref` at `now`; an allowed deletion is counted. */
  request(ref: string, now: number): GuardAnswer {
    if (this.#released.delete(ref)) return { allowed: true };
    this.#recent = this.#recent.filter((t) => now - t < this.windowMs);
    if (this.#trippedAt === undefined && this.#recent.length >= this.threshold) this.#trippedAt = now;
    if (this.#trippedAt !== undefined) {
      this.#held.add(ref);
      return {
        allowed: false,
        reason:
          `mass-deletion guard tripped: more than ${this.threshold} cleanups within ${Math.round(this.windowMs / 1000)}s ` +
          `(${this.#held.size} held back). If these deletions are intended, confirm them (see the guard's status); ` +
          'otherwise restore the labels or namespaces that went missing.',
      };
    }
    this.#recent.push(now);
    return { allowed: true };
  }

  /** An operator confirmed: held deletions may proceed (each once), and the window starts afresh. */
  confirm(): string[] {
    const held = [...this.#held];
    this.#released = new Set(held);
    this.#trippedAt = undefined;
    this.#held.clear();
    this.#recent = [];
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
