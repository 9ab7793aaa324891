/**
 * One restore decision per PVC CREATE, shared by the mutating and the validating call
 * (docs/design.md#slow-backends-inside-the-admission-deadline: the earlier system
 * made three checker calls per PVC). The API server gives each webhook call its own uid, so the two calls of one
 * CREATE are matched by `namespace/name` within a short window:
 *
 * - the mutating call always asks the source afresh (a new CREATE must not inherit the answer of an earlier, denied
 *   attempt) and remembers the answer;
 * - the validating call, and reinvocations of the mutating call, use that answer when it is younger than `ttlMs`, so
 *   validation judges the PVC by the same decision the mutation acted on (no race where mutate saw "fresh" and
 *   validate sees "restore");
 * - concurrent calls for one PVC share one in-flight question (singleflight).
 *
 * Bounded: at most `maxEntries` answers, oldest dropped first.
 */
import type { AdmissionFacts } from './facts.ts';

export interface DecisionMemoOptions {
  /** How long an answer is reused; longer than mutate + validate of one request. Default 15 s. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  atMs: number;
  facts: Promise<AdmissionFacts>;
  /** Still being answered: joined even by callers that want a fresh answer. */
  pending: boolean;
}

export class DecisionMemo {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: DecisionMemoOptions = {}) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The answer for `key`: reused when `reuse` is true and a young enough one exists, otherwise computed by `ask`
   * (joining a question already in flight for the same key). `ask` must not reject (callers convert failures to
   * unknown facts before they get here); a rejection is not remembered.
   */
  get(key: string, reuse: boolean, ask: () => Promise<AdmissionFacts>): Promise<AdmissionFacts> {
    const now = this.now();
    const existing = this.entries.get(key);
    if (existing && (reuse || existing.pending) && now - existing.atMs <= this.ttlMs) return existing.facts;
    const entry: Entry = { atMs: now, facts: ask(), pending: true };
    entry.facts.then(
      () => {
        entry.pending = false;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.entries.delete(key); // re-insert at the end: Map order is the eviction order
    this.entries.set(key, entry);
    this.evict(now);
    return entry.facts;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - entry.atMs <= this.ttlMs) break;
      this.entries.delete(key);
    }
  }
}
