/**
 * One copy of each repeated string in the cache. JSON.parse gives every object its own copy of values that thousands
 * of cached objects share (a namespace, a label value, a storage class, `volsync.backube/v1alpha1`, a schedule); a
 * transform that passes them through `intern` keeps one. The table is bounded: when it is full it starts over, so a
 * churning cluster's unique values (names of deleted PVCs) are not kept forever — the strings the cache still holds
 * stay alive through the cache, only later copies stop being shared with them.
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

  /** A copy of `value` (JSON data) with every string in it interned; other values are kept as they are. */
  deep<T>(value: T): T {
    if (typeof value === 'string') return this.intern(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.deep(v)) as T;
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.deep(v);
      return out as T;
    }
    return value;
  }

  get size(): number {
    return this.#table.size;
  }
}
