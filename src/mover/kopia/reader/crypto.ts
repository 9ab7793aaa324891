/**
 * Kopia's cryptography (kopia's source, repo/format and repo/content), on node:crypto only.
 *
 * - Password → format key: scrypt (N=65536, r=8, p=1) or PBKDF2-HMAC-SHA256 (600,000 rounds), salt = uniqueID.
 * - Format blob: AES-256-GCM under HKDF(formatKey, salt=uniqueID, info="AES"), AAD = HKDF(…, info="CHECKSUM").
 * - Contents and index blobs: per-content key = HMAC-SHA256(HKDF(masterKey, salt="encryption", info=""), iv),
 *   AEAD AES-256-GCM or ChaCha20-Poly1305 with AAD = iv; stored as nonce(12) ‖ ciphertext ‖ tag(16).
 */
import {
  createDecipheriv,
  createHmac,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  hkdfSync,
  pbkdf2,
  scrypt,
} from 'node:crypto';

export type ContentEncryption = 'AES256-GCM-HMAC-SHA256' | 'CHACHA20-POLY1305-HMAC-SHA256';
export const CONTENT_ENCRYPTIONS: readonly ContentEncryption[] = [
  'AES256-GCM-HMAC-SHA256',
  'CHACHA20-POLY1305-HMAC-SHA256',
];

export const SCRYPT_ALGORITHM = 'scrypt-65536-8-1';
export const PBKDF2_ALGORITHM = 'pbkdf2-sha256-600000';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const KEY_SIZE = 32;

/** Thrown when an AEAD tag does not verify; callers decide whether that means wrong password or corruption. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

export function isSupportedKeyAlgorithm(keyAlgo: string): boolean {
  return keyAlgo === '' || keyAlgo === SCRYPT_ALGORITHM || keyAlgo === PBKDF2_ALGORITHM;
}

/**
 * The format encryption key. Asynchronous so the 64 MiB scrypt (~0.2 s) runs on the libuv pool instead of blocking
 * the operator's event loop. An empty keyAlgo is treated as scrypt: that was the only algorithm before the field
 * existed (Kopia 0.21 itself rejects an empty value).
 */
export async function deriveFormatKey(password: string, uniqueId: Uint8Array, keyAlgo: string): Promise<Buffer> {
  const pass = Buffer.from(password, 'utf8');
  if (keyAlgo === PBKDF2_ALGORITHM) {
    return await new Promise((resolve, reject) =>
      pbkdf2(pass, uniqueId, 600_000, KEY_SIZE, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
    );
  }
  if (keyAlgo !== SCRYPT_ALGORITHM && keyAlgo !== '') throw new Error(`unsupported key derivation "${keyAlgo}"`);
  return await new Promise((resolve, reject) =>
    scrypt(pass, uniqueId, KEY_SIZE, { N: 65536, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length = KEY_SIZE): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** Decrypts `encryptedBlockFormat` of `kopia.repository`; AuthenticationError means the password is wrong. */
export function decryptFormatBlock(formatKey: Uint8Array, uniqueId: Uint8Array, sealed: Uint8Array): Buffer {
  const aesKey = hkdf(formatKey, uniqueId, 'AES');
  const authData = hkdf(formatKey, uniqueId, 'CHECKSUM');
  return openAead('aes-256-gcm', aesKey, sealed, authData);
}

export interface ContentDecryptor {
  /** Opens `nonce ‖ ciphertext ‖ tag` for the given iv; AuthenticationError when the tag does not verify. */
  decrypt(sealed: Uint8Array, iv: Uint8Array): Buffer;
}

export function contentDecryptor(algorithm: ContentEncryption, masterKey: Uint8Array): ContentDecryptor {
  // Kopia passes the purpose as HKDF *salt* with empty info (hkdf.Key(sha256, masterKey, purpose, "", 32)).
  const secret = hkdf(masterKey, Buffer.from('encryption'), '');
  const cipher = algorithm === 'AES256-GCM-HMAC-SHA256' ? 'aes-256-gcm' : 'chacha20-poly1305';
  return {
    decrypt(sealed, iv) {
      const key = createHmac('sha256', secret).update(iv).digest();
      return openAead(cipher, key, sealed, iv);
    },
  };
}

function openAead(
  cipher: 'aes-256-gcm' | 'chacha20-poly1305',
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Buffer {
  if (sealed.length < NONCE_SIZE + TAG_SIZE) {
    throw new AuthenticationError(`ciphertext of ${sealed.length} bytes is shorter than nonce and tag`);
  }
  const nonce = sealed.subarray(0, NONCE_SIZE);
  const body = sealed.subarray(NONCE_SIZE, sealed.length - TAG_SIZE);
  const tag = sealed.subarray(sealed.length - TAG_SIZE);
  // The two cipher names select different overloads in @types/node (ChaCha20's setAAD wants the plaintext length).
  let decipher: DecipherGCM | DecipherChaCha20Poly1305;
  if (cipher === 'aes-256-gcm') {
    const d = createDecipheriv(cipher, key, nonce, { authTagLength: TAG_SIZE });
    d.setAAD(aad);
    decipher = d;
  } else {
    const d = createDecipheriv(cipher, key, nonce, { authTagLength: TAG_SIZE });
    d.setAAD(aad, { plaintextLength: body.length });
    decipher = d;
  }
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (error) {
    throw new AuthenticationError(`${cipher} authentication failed`, { cause: error });
  }
}

/** The iv of a content: the last 16 bytes of its hash (the ID without its prefix letter). */
export function contentIv(contentId: string): Buffer {
  const hash = /^[g-z]?([0-9a-f]+)$/.exec(contentId)?.[1];
  if (!hash || hash.length % 2 !== 0 || hash.length < 32) throw new Error(`malformed content ID "${contentId}"`);
  return Buffer.from(hash.slice(-32), 'hex');
}

/** The iv of an index/compaction-log blob: the 32 hex characters before the first '-' (Kopia's getIndexBlobIV). */
export function indexBlobIv(blobId: string): Buffer {
  const dash = blobId.indexOf('-');
  const base = dash >= 0 ? blobId.slice(0, dash) : blobId;
  const hex = base.slice(-32);
  if (base.length < 32 || !/^[0-9a-f]{32}$/.test(hex)) throw new Error(`blob ID "${blobId}" carries no iv`);
  return Buffer.from(hex, 'hex');
}
