/**
 * One copy of each repeated string in the cache. JSON.parse gives every object its own copy of values that thousands
 * of cached objects share (a namespace, a label value, a storage class, `volsync.backube/v1alpha1`, a schedule); a
 * transform that passes them through `intern` keeps one (kube/shared-values.ts does the same for equal sub-objects).
 * The table is bounded: when it is full it starts over, so a churning cluster's unique values (names of deleted PVCs)
 * are not kept forever — the strings the cache still holds stay alive through the cache, only later copies stop being
 * shared with them.
 */
const MAX_LENGTH = 256;
const MAX_ENTRIES = 50_000;

export class StringInterner {
  readonly #table = new Map<string, string>();
  readonly #maxEntries: number;

  constructor(maxEntries = MAX_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  /** The shared copy of `value` (long values, rarely repeated, are returned as they are). */
  intern(value: string): string {
    if (value.length > MAX_LENGTH) return value;
    const shared = this.#table.get(value);
    if (shared !== undefined) return shared;
    if (this.#table.size >= this.#maxEntries) this.#table.clear();
    this.#table.set(value, value);
    return value;
  }

  get size(): number {
    return this.#table.size;
  }
}
