/**
 * Kopia content compression (repo/compression): a compressed content's plaintext is a 4-byte big-endian header ID
 * followed by the compressed stream; the index entry repeats the header ID so a mismatch is detectable.
 */
import { gunzipSync, inflateRawSync, zstdDecompressSync } from 'node:zlib';

type Decoder = (stream: Uint8Array) => Uint8Array;

// gzip and pgzip streams are both gzip (pgzip may concatenate members; gunzipSync reads them all). zstd frames from
// klauspost's streaming encoder may omit the content size, which Node's zstd (libzstd's streaming decoder) handles;
// being native, it is ~4x faster than a JavaScript decoder and does not depend on the JIT. s2 (0x12xx) and lz4 (0x1400) have
// no decoder here; Kopia only applies them to file data by policy, never to manifests.
const DECODERS = new Map<number, { name: string; decode: Decoder }>([
  [0x1000, { name: 'gzip', decode: gunzipSync }],
  [0x1001, { name: 'gzip-best-speed', decode: gunzipSync }],
  [0x1002, { name: 'gzip-best-compression', decode: gunzipSync }],
  [0x1100, { name: 'zstd', decode: zstdDecompressSync }],
  [0x1101, { name: 'zstd-fastest', decode: zstdDecompressSync }],
  [0x1102, { name: 'zstd-better-compression', decode: zstdDecompressSync }],
  [0x1103, { name: 'zstd-best-compression', decode: zstdDecompressSync }],
  [0x1300, { name: 'pgzip', decode: gunzipSync }],
  [0x1301, { name: 'pgzip-best-speed', decode: gunzipSync }],
  [0x1302, { name: 'pgzip-best-compression', decode: gunzipSync }],
  [0x1500, { name: 'deflate', decode: inflateRawSync }],
  [0x1501, { name: 'deflate-best-speed', decode: inflateRawSync }],
  [0x1502, { name: 'deflate-best-compression', decode: inflateRawSync }],
]);

export class UnsupportedCompressionError extends Error {
  override readonly name = 'UnsupportedCompressionError';
}

export function hex(headerId: number): string {
  return `0x${headerId.toString(16).padStart(4, '0')}`;
}

/**
 * Undoes compression `headerId` (0 = stored as is). Throws UnsupportedCompressionError for algorithms without a
 * decoder and a plain Error when the header or the stream is damaged.
 */
export function decompressContent(plain: Uint8Array, headerId: number): Uint8Array {
  if (headerId === 0) return plain;
  const decoder = DECODERS.get(headerId);
  if (!decoder) throw new UnsupportedCompressionError(`compression ${hex(headerId)} has no decoder in this reader`);
  if (plain.length < 4) throw new Error(`compressed content of ${plain.length} bytes has no compression header`);
  const stored = new DataView(plain.buffer, plain.byteOffset, 4).getUint32(0, false);
  if (stored !== headerId) {
    throw new Error(`compression header ${hex(stored)} does not match the index entry's ${hex(headerId)}`);
  }
  return decoder.decode(plain.subarray(4));
}
