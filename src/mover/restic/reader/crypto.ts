/**
 * restic's authenticated encryption (restic's design document, doc/design.rst): every encrypted unit is
 * `IV(16) ‖ AES-256-CTR ciphertext ‖ Poly1305-AES MAC(16)`, encrypt-then-MAC over the ciphertext only.
 * Node has AES but no raw Poly1305, which poly1305.ts computes.
 */

import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { poly1305 } from './poly1305.ts';

/** restic's key: 32 bytes AES-256 key plus the Poly1305-AES key pair (k: AES-128 key, r: Poly1305 multiplier). */
export interface ResticKey {
  encrypt: Uint8Array;
  macK: Uint8Array;
  macR: Uint8Array;
}

const IV_SIZE = 16;
const MAC_SIZE = 16;
export const CRYPTO_OVERHEAD = IV_SIZE + MAC_SIZE;

/** The MAC did not verify: wrong key, or the bytes were changed. The caller decides which of the two it means. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

/** Verifies the MAC (constant time), then decrypts. Throws AuthenticationError on a short or tampered input. */
export function decrypt(key: ResticKey, sealed: Uint8Array): Uint8Array {
  if (sealed.length < CRYPTO_OVERHEAD) {
    throw new AuthenticationError(`ciphertext of ${sealed.length} bytes is shorter than IV and MAC`);
  }
  const iv = sealed.subarray(0, IV_SIZE);
  const ciphertext = sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
  const mac = sealed.subarray(sealed.length - MAC_SIZE);
  const expected = poly1305Aes(key, iv, ciphertext);
  if (!timingSafeEqual(expected, mac)) throw new AuthenticationError('ciphertext verification failed');
  const decipher = createDecipheriv('aes-256-ctr', key.encrypt, iv);
  return concat(decipher.update(ciphertext), decipher.final());
}

/** The inverse of decrypt with a fresh random IV (tests write repositories with it). */
export function encrypt(key: ResticKey, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_SIZE);
  const cipher = createCipheriv('aes-256-ctr', key.encrypt, iv);
  const ciphertext = concat(cipher.update(plaintext), cipher.final());
  return concat(iv, ciphertext, poly1305Aes(key, iv, ciphertext));
}

/** Poly1305-AES: the one-time key is `r ‖ AES-128_k(IV)` (clamping of r is done by Poly1305 itself). */
function poly1305Aes(key: ResticKey, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const aes = createCipheriv('aes-128-ecb', key.macK, null).setAutoPadding(false);
  const s = concat(aes.update(iv), aes.final());
  return poly1305(ciphertext, concat(key.macR, s));
}

/** The KDF parameters of one key file. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  salt: Uint8Array;
}

/**
 * Memory a key file may make us spend. restic calibrates its keys to at most 60 MiB (128·N·r); anything far beyond
 * is a hostile or broken key file, refused instead of letting it exhaust the operator's memory.
 */
const MAX_SCRYPT_MEMORY = 512 * 1024 * 1024;

/** Why scrypt parameters are refused, or undefined when they are acceptable. */
export function checkScryptParams(params: ScryptParams): string | undefined {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) return `N=${N} is not a power of two`;
  if (!Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1) return `r=${r}, p=${p} are invalid`;
  if (128 * N * r > MAX_SCRYPT_MEMORY) return `N=${N}, r=${r} need more than ${MAX_SCRYPT_MEMORY >> 20} MiB`;
  if (r * p >= 2 ** 30) return `r·p=${r * p} is too large`;
  return undefined;
}

/**
 * The user key of a key file: scrypt(password UTF-8, salt, N, r, p) → 64 bytes, split into encrypt(32), mac.k(16),
 * mac.r(16). Runs in libuv's thread pool (asynchronous): with restic's calibrated parameters it takes ~0.5 s.
 */
export async function deriveUserKey(password: string, params: ScryptParams): Promise<ResticKey> {
  const problem = checkScryptParams(params);
  if (problem) throw new RangeError(`unsupported scrypt parameters: ${problem}`);
  const { N, r, p, salt } = params;
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      64,
      { N, r, p, maxmem: 256 * N * r + 64 * 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
  return splitKey(derived);
}

/** 64 bytes in restic's order (encrypt, mac.k, mac.r) as a key. */
export function splitKey(bytes: Uint8Array): ResticKey {
  if (bytes.length !== 64) throw new RangeError(`a restic key is 64 bytes, got ${bytes.length}`);
  const copy = (from: number, to: number) => new Uint8Array(bytes.subarray(from, to));
  return { encrypt: copy(0, 32), macK: copy(32, 48), macR: copy(48, 64) };
}

/** Plain Uint8Array (not Buffer) results, so callers and tests compare bytes, not classes. */
function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}
