/**
 * Opening a restic repository's master key with a password (restic's design document, doc/design.rst).
 *
 * `keys/<id>` are plain JSON files, each holding the master key encrypted under scrypt(password). Every key file is
 * tried (restic itself stops at 20; the catalog must not call a repository with 25 keys "wrong password"). A MAC
 * failure on a key file means "not this key"; the first key whose MAC verifies gives the master key, which must
 * then also verify `config` — if it does not, the repository is damaged, not the password wrong.
 */
import { createHash } from 'node:crypto';
import { raceAbort } from '../../../repository/abort.ts';
import type { BlobStorage } from '../../../repository/storage/storage.ts';
import { RepositoryError } from '../../../repository/types.ts';
import { keyResultId, type ResticCache } from './cache.ts';
import { AuthenticationError, checkScryptParams, decrypt, deriveUserKey, type ResticKey } from './crypto.ts';
import { FormatError, parseConfig, parseJson, type ResticConfig } from './format.ts';
import { mapLimit } from './map-limit.ts';

export interface KeyFile {
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: Uint8Array;
  data: Uint8Array;
}

const SALT_LENGTH = 64;

/** Parses a key file's JSON. Throws FormatError (unsupported=true for a KDF other than scrypt). */
export function parseKeyFile(bytes: Uint8Array): KeyFile {
  const json = parseJson(bytes, 'key file');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FormatError('not a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.kdf !== 'scrypt') throw new FormatError(`key derivation '${String(raw.kdf)}' is not scrypt`, true);
  const { N, r, p } = raw;
  if (typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number') {
    throw new FormatError('N, r or p is missing or not a number');
  }
  const salt = base64(raw.salt, 'salt');
  if (salt.length !== SALT_LENGTH) throw new FormatError(`salt is ${salt.length} bytes, restic writes ${SALT_LENGTH}`);
  const problem = checkScryptParams({ N, r, p, salt });
  if (problem) throw new FormatError(`scrypt parameters refused: ${problem}`, true);
  return { kdf: raw.kdf, N, r, p, salt, data: base64(raw.data, 'data') };
}

/** The decrypted master key JSON `{"mac":{"k","r"},"encrypt"}`. */
export function parseMasterKey(plaintext: Uint8Array): ResticKey {
  const json = parseJson(plaintext, 'master key');
  const raw = (typeof json === 'object' && json !== null ? json : {}) as { mac?: { k?: unknown; r?: unknown } } & {
    encrypt?: unknown;
  };
  const key: ResticKey = {
    encrypt: base64(raw.encrypt, 'encrypt'),
    macK: base64(raw.mac?.k, 'mac.k'),
    macR: base64(raw.mac?.r, 'mac.r'),
  };
  if (key.encrypt.length !== 32 || key.macK.length !== 16 || key.macR.length !== 16) {
    throw new FormatError('master key has the wrong lengths (expected 32, 16 and 16 bytes)');
  }
  return key;
}

export interface OpenedKey {
  key: ResticKey;
  config: ResticConfig;
  /** The key file that opened it. */
  keyName: string;
}

export interface OpenKeyArgs {
  storage: BlobStorage;
  keyNames: string[];
  password: string;
  /** The encrypted `config`: the master key is only accepted once it verifies this. */
  sealedConfig: Uint8Array;
  cache: ResticCache;
  signal?: AbortSignal;
}

/** Finds the master key. Throws RepositoryError 'wrong-password', 'corrupt' or 'unsupported'. */
export async function openMasterKey(args: OpenKeyArgs): Promise<OpenedKey> {
  const { storage, keyNames, password, cache, signal } = args;
  const location = storage.location;

  // 1. Results remembered from earlier refreshes: no I/O beyond the listing, no scrypt.
  const uncached: string[] = [];
  let refused = 0;
  for (const name of keyNames) {
    const id = keyResultId(name, password);
    const known = cache.keyResults.get(id);
    if (known === undefined) uncached.push(name);
    else if (known === null) refused++;
    else {
      const verified = cache.verifiedConfigs.get(id);
      if (verified && Buffer.compare(verified.sealed, args.sealedConfig) === 0) {
        return { key: known, config: verified.config, keyName: name };
      }
      const config = tryConfig(known, args.sealedConfig);
      if (config) {
        cache.verifiedConfigs.set(id, { sealed: args.sealedConfig, config });
        return { key: known, config, keyName: name };
      }
      // A remembered key that no longer verifies this config belongs elsewhere: derive afresh.
      cache.keyResults.delete(id);
      cache.verifiedConfigs.delete(id);
      uncached.push(name);
    }
  }

  // 2. Fetch the other key files (small, in parallel), then run scrypt one key at a time.
  const problems: string[] = [];
  let unsupported = 0;
  const files = await mapLimit(uncached, 8, async (name) => {
    const bytes = await storage.get(`keys/${name}`, undefined, signal);
    if (bytes === undefined) return undefined; // removed since the listing (`restic key remove`)
    if (sha256Hex(bytes) !== name) {
      problems.push(`keys/${name}: content does not match its name (damaged)`);
      return undefined;
    }
    try {
      return { name, file: parseKeyFile(bytes) };
    } catch (error) {
      if (error instanceof FormatError && error.unsupported) unsupported++;
      problems.push(`keys/${name}: ${error instanceof Error ? error.message : error}`);
      return undefined;
    }
  });
  for (const entry of files) {
    if (!entry) continue;
    const key = await raceAbort(deriveOnce(entry.name, entry.file, password, cache, location), signal, {
      reason: () => new RepositoryError('timeout', location, 'the deadline passed while deriving the key (scrypt)'),
    });
    if (key === null) {
      refused++;
      continue;
    }
    const config = tryConfig(key, args.sealedConfig);
    if (!config) {
      throw new RepositoryError(
        'corrupt',
        location,
        `key file keys/${entry.name} accepted the password but its master key does not verify config: ` +
          'the config or the key file is damaged (restic check / restore from a copy)',
      );
    }
    cache.verifiedConfigs.set(keyResultId(entry.name, password), { sealed: args.sealedConfig, config });
    return { key, config, keyName: entry.name };
  }

  const detail = problems.length > 0 ? ` Skipped: ${problems.join('; ')}.` : '';
  if (refused > 0) {
    throw new RepositoryError(
      'wrong-password',
      location,
      `wrong password: none of the ${refused} key file(s) accepts it.${detail}`,
    );
  }
  throw new RepositoryError(
    unsupported > 0 ? 'unsupported' : 'corrupt',
    location,
    `no usable key file in keys/ (${keyNames.length} listed).${detail}`,
  );
}

/** Decrypts and parses config with a candidate master key; undefined when its MAC does not verify. */
function tryConfig(key: ResticKey, sealedConfig: Uint8Array): ResticConfig | undefined {
  let plaintext: Uint8Array;
  try {
    plaintext = decrypt(key, sealedConfig);
  } catch (error) {
    if (error instanceof AuthenticationError) return undefined;
    throw error;
  }
  return parseConfig(plaintext); // FormatErrors surface to the caller: the key verified, the content is bad
}

/** One scrypt run per (key file, password), shared by concurrent callers; the result is cached either way. */
function deriveOnce(
  name: string,
  file: KeyFile,
  password: string,
  cache: ResticCache,
  location: string,
): Promise<ResticKey | null> {
  const id = keyResultId(name, password);
  const running = cache.keyInFlight.get(id);
  if (running) return running;
  const job = (async () => {
    cache.stats.kdfRuns++;
    const userKey = await deriveUserKey(password, file);
    let plaintext: Uint8Array;
    try {
      plaintext = decrypt(userKey, file.data);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      cache.keyResults.set(id, null);
      return null;
    }
    let master: ResticKey;
    try {
      master = parseMasterKey(plaintext);
    } catch (error) {
      throw new RepositoryError(
        'corrupt',
        location,
        `key file keys/${name} accepted the password but holds no valid master key: ${error instanceof Error ? error.message : error}`,
      );
    }
    cache.keyResults.set(id, master);
    return master;
  })().finally(() => cache.keyInFlight.delete(id));
  cache.keyInFlight.set(id, job);
  return job;
}

function base64(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new FormatError(`"${field}" is not standard base64`);
  }
  return Buffer.from(value, 'base64');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
