/**
 * Poly1305 (RFC 8439 §2.5) on BigInt. Node exposes Poly1305 only inside ChaCha20-Poly1305, and restic uses it raw
 * (Poly1305-AES, see crypto.ts), so lifeboat computes it itself.
 *
 * Why BigInt and not 26-bit limbs in Numbers (as poly1305-donna and most JavaScript ports do): V8 runs BigInt
 * arithmetic in native code, so the dozen BigInt operations per 16-byte block cost about as much without V8's JIT as
 * with it, while a limb implementation's ~60 Number operations per block are 15-70× slower when the JIT is off (the
 * image runs `--jitless`: docs/install.md). Measured on 256 KiB: 3.8 ms with the JIT, 6.4 ms without (@noble/ciphers'
 * limbs: 1.3 ms and 90 ms).
 *
 * Not constant time. The MAC protects against whoever can write the repository without holding its key; to learn
 * anything from timing they would have to time individual verifications inside lifeboat, which only the duration of
 * a whole refresh (thousands of MACs) reveals. The comparison of the tag itself (crypto.ts) is constant time.
 */

const P = (1n << 130n) - 5n;
const MASK_128 = (1n << 128n) - 1n;
const MASK_130 = (1n << 130n) - 1n;
const MASK_64 = (1n << 64n) - 1n;
/** RFC 8439 §2.5.1: r's top four bits of bytes 3, 7, 11, 15 and bottom two bits of bytes 4, 8, 12 are cleared. */
const CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffffn;
/** The 2^128 bit every full block gets (the "one" appended to each 16-byte chunk). */
const FULL_BLOCK_BIT = 1n << 128n;

/** Little-endian 128-bit number at `offset`. */
function read128(view: DataView, offset: number): bigint {
  return (view.getBigUint64(offset + 8, true) << 64n) | view.getBigUint64(offset, true);
}

/** The 16-byte Poly1305 tag of `message` under the 32-byte one-time key `r ‖ s`. */
export function poly1305(message: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError(`a Poly1305 key is 32 bytes, got ${key.length}`);
  const keyView = new DataView(key.buffer, key.byteOffset, 32);
  const r = read128(keyView, 0) & CLAMP;
  const s = read128(keyView, 16);
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const fullEnd = message.length - (message.length % 16);
  let h = 0n;
  for (let offset = 0; offset < fullEnd; offset += 16) {
    h = (h + (read128(view, offset) | FULL_BLOCK_BIT)) * r;
    // Partial reduction (2^130 ≡ 5 mod p) keeps h below 2^131, so the product stays below 2^256; the full reduction
    // waits for the end.
    h = (h & MASK_130) + (h >> 130n) * 5n;
  }
  if (fullEnd < message.length) {
    // The last, short block: its bytes, then a 1 byte, then zeros.
    const last = new Uint8Array(16);
    last.set(message.subarray(fullEnd));
    last[message.length - fullEnd] = 1;
    h = (h + read128(new DataView(last.buffer), 0)) * r;
    h = (h & MASK_130) + (h >> 130n) * 5n;
  }
  const tag = ((h % P) + s) & MASK_128;
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  outView.setBigUint64(0, tag & MASK_64, true);
  outView.setBigUint64(8, tag >> 64n, true);
  return out;
}
