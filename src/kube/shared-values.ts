/**
 * One copy of each repeated sub-object in the cache (hash-consing). Thousands of cached objects carry parts that are
 * equal field for field: a tier's `trigger` and `retain`, the mover's security context, a PVC's access modes and
 * requests, the same labels. JSON.parse gives each its own copy; `share` returns one frozen copy per distinct value,
 * so the cache keeps it once. The objects of 5,000 PVCs take about 9 MiB instead of 13 (docs/install.md, Resources).
 *
 * A value is shared bottom-up: its children first, then the value itself, looked up by a short key made of its field
 * names and its children's keys (a shared child by its number, not by its whole text), so a key is never longer than
 * the value's own top level. Parts that are unique to one object (its metadata, a spec naming its PVC) still get a key
 * and take a place in the table; the table is therefore bounded and generational: when the young half fills, it
 * becomes the old half and the previous old half is dropped; a value found in the old half moves back to the young.
 * What is in use across the cluster stays found; a dropped value stays alive through the cache that holds it, only
 * later copies stop being shared with it.
 *
 * Everything `share` returns is deeply frozen, also the parts it could not share: a shared value is read by many
 * cached objects, so a consumer that writes into one must fail loudly (strict mode throws) rather than change the
 * others. Long strings (a certificate, a mover's log) are kept as they are and make their parents unshareable: a key
 * holding them would cost more than the copy it saves.
 */
import { StringInterner } from './intern.ts';

/** Longest string leaf that may be part of a key (as kube/intern.ts). */
const MAX_STRING = 256;
/** Longest key; a value with more fields than this allows is frozen but not shared. */
const MAX_KEY = 2048;
/** Entries per generation; the table holds at most two. */
const GENERATION = 256;

interface Entry {
  readonly value: object;
  readonly id: number;
}

/** A value's shared copy and its token in a parent's key (`undefined`: not shareable, nor is any parent). */
interface Shared {
  readonly value: unknown;
  readonly token: string | undefined;
}

export class ValueSharer {
  readonly #strings: StringInterner;
  readonly #generation: number;
  #young = new Map<string, Entry>();
  #old = new Map<string, Entry>();
  #nextId = 1;

  constructor(strings: StringInterner = new StringInterner(), generation = GENERATION) {
    this.#strings = strings;
    this.#generation = generation;
  }

  /** The shared, deeply frozen copy of `value` (JSON data; `undefined` fields are kept as they are). */
  share<T>(value: T): T {
    return this.#share(value).value as T;
  }

  /** Entries in the table now (both generations). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #share(value: unknown): Shared {
    if (typeof value === 'string') {
      if (value.length > MAX_STRING) return { value, token: undefined };
      return { value: this.#strings.intern(value), token: JSON.stringify(value) };
    }
    if (value === null || typeof value !== 'object') {
      return { value, token: value === undefined ? 'u' : JSON.stringify(value) };
    }
    let key: string | undefined;
    let out: unknown[] | Record<string, unknown>;
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      key = '[';
      for (const item of value) {
        const child = this.#share(item);
        items.push(child.value);
        key = key === undefined || child.token === undefined ? undefined : `${key}${child.token},`;
      }
      out = items;
    } else {
      const fields: Record<string, unknown> = {};
      key = '{';
      for (const [name, field] of Object.entries(value)) {
        const child = this.#share(field);
        // `__proto__` is a valid key in JSON (a Secret's data may have it); assigning it would set the prototype.
        if (name === '__proto__') Object.defineProperty(fields, name, { value: child.value, enumerable: true });
        else fields[name] = child.value;
        key =
          key === undefined || child.token === undefined ? undefined : `${key}${JSON.stringify(name)}:${child.token},`;
      }
      out = fields;
    }
    if (key === undefined || key.length > MAX_KEY) return { value: Object.freeze(out), token: undefined };
    const found = this.#lookup(key);
    if (found !== undefined) return { value: found.value, token: `#${found.id}` };
    const entry: Entry = { value: Object.freeze(out), id: this.#nextId++ };
    this.#remember(key, entry);
    return { value: entry.value, token: `#${entry.id}` };
  }

  #lookup(key: string): Entry | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#remember(key, old);
    }
    return old;
  }

  #remember(key: string, entry: Entry): void {
    if (this.#young.size >= this.#generation) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, entry);
  }
}
