/**
 * Decoding restic's small "unpacked" files once decrypted: `config` (A.5) and snapshots/index/locks (A.6).
 * Errors here are plain FormatErrors; the repository code decides what they mean (corrupt vs unsupported).
 */

import { zstdDecompressSync } from 'node:zlib';

export class FormatError extends Error {
  override readonly name = 'FormatError';
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.unsupported = unsupported;
  }
}

export interface ResticConfig {
  version: 1 | 2;
  id: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses the decrypted `config` (never compressed, even in v2). Versions other than 1 and 2 are unsupported. */
export function parseConfig(plaintext: Uint8Array): ResticConfig {
  const json = parseJson(plaintext, 'config');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError('config is not a JSON object');
  }
  const { version, id } = json as { version?: unknown; id?: unknown };
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new FormatError('config has no integer "version"');
  }
  if (version !== 1 && version !== 2) {
    throw new FormatError(`repository version ${version} is not supported (this reader knows versions 1 and 2)`, true);
  }
  if (typeof id !== 'string' || !HEX64.test(id)) throw new FormatError('config "id" is not 64 hex characters');
  return { version, id };
}

/**
 * The JSON text of a decrypted unpacked file. v1: the plaintext is JSON. v2: `{`/`[` first = JSON written before an
 * upgrade from v1; 0x02 = one zstd frame follows; anything else is an encoding this reader does not know.
 */
export function decodeUnpacked(plaintext: Uint8Array, version: 1 | 2): Uint8Array {
  if (version === 1) return plaintext;
  if (plaintext.length === 0) throw new FormatError('the file is empty after decryption');
  const first = plaintext[0];
  if (first === 0x7b || first === 0x5b) return plaintext;
  if (first === 0x02) {
    try {
      return zstdDecompressSync(plaintext.subarray(1));
    } catch (error) {
      throw new FormatError(`zstd data does not decompress: ${error instanceof Error ? error.message : error}`);
    }
  }
  throw new FormatError(`unknown encoding byte 0x${(first ?? 0).toString(16).padStart(2, '0')}`, true);
}

export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new FormatError(`${what} is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
}
