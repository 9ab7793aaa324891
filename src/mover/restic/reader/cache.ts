/**
 * What the restic reader remembers between catalog refreshes (every 60 s over hundreds of repositories,
 * docs/design.md#slow-backends-inside-the-admission-deadline).
 *
 * Everything cached is derived from immutable inputs, so it never goes stale:
 * - key results by (key file name, password): a key file's name is the sha256 of its bytes (checked before caching),
 *   and scrypt is deterministic. Negative results are cached too, so a wrong password does not re-run scrypt for
 *   every key file on every refresh.
 * - decoded snapshots by (master key, snapshot ID): the ID is the sha256 of the encrypted file.
 * - the `config` a remembered key last verified, by (key file, password), with its encrypted bytes: the same bytes
 *   under the same key decrypt to the same config, so an unchanged `config` is compared, not decrypted again; any
 *   other bytes are verified afresh.
 * A refresh of an unchanged repository therefore costs three requests (config, keys/ and snapshots/ listings), no
 * scrypt and no decryption at all.
 */
import { createHash } from 'node:crypto';
import type { ResticKey } from './crypto.ts';
import type { ResticConfig } from './format.ts';
import { LruMap } from './lru.ts';
import type { ParsedSnapshot } from './snapshot.ts';

export interface ResticCacheOptions {
  /** Remembered (key file, password) results. Default 4096 (a few per repository). */
  maxKeyResults?: number;
  /** Remembered decoded snapshots over all repositories. Default 100000 (well under 100 MB). */
  maxSnapshots?: number;
}

export class ResticCache {
  /** master key, or null when the password does not open that key file. */
  readonly keyResults: LruMap<string, ResticKey | null>;
  readonly snapshots: LruMap<string, ParsedSnapshot>;
  /** The config each remembered key last verified, by the same id as keyResults, with its encrypted bytes. */
  readonly verifiedConfigs: LruMap<string, { sealed: Uint8Array; config: ResticConfig }>;
  /** Key derivations in progress, so concurrent opens of one repository share one scrypt run. */
  readonly keyInFlight = new Map<string, Promise<ResticKey | null>>();
  /** Counters for metrics and tests. */
  readonly stats = { kdfRuns: 0, snapshotFilesRead: 0 };

  constructor(options: ResticCacheOptions = {}) {
    this.keyResults = new LruMap(options.maxKeyResults ?? 4096);
    this.snapshots = new LruMap(options.maxSnapshots ?? 100_000);
    this.verifiedConfigs = new LruMap(options.maxKeyResults ?? 4096);
  }

  clear(): void {
    this.keyResults.clear();
    this.verifiedConfigs.clear();
    this.snapshots.clear();
  }
}

/** Shared by every reader that does not bring its own cache. */
export const defaultResticCache = new ResticCache();

/** Cache key of a (key file, password) pair; the password only enters as a hash. */
export function keyResultId(keyFileName: string, password: string): string {
  return `${keyFileName}:${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

/** A short, non-secret fingerprint of a master key, so two repositories never share cached snapshots. */
export function masterKeyFingerprint(key: ResticKey): string {
  return createHash('sha256').update(key.encrypt).update(key.macK).update(key.macR).digest('hex').slice(0, 32);
}
