/**
 * Parsing a decrypted Kopia index blob, format v1 or v2 (repo/content/index/index_v1.go, index_v2.go;
 * kopia's source, repo/format and repo/content). Only entries whose key starts with the wanted prefix byte are
 * decoded: the catalog
 * needs the manifest ('m') contents, not the millions of data contents a large index can hold.
 */
import { contentIdFromKey } from './content-id.ts';

export interface IndexEntry {
  contentId: string;
  /** Unix seconds when the entry was written; the newest entry for a content wins. */
  timestamp: number;
  deleted: boolean;
  packBlobId: string;
  packOffset: number;
  packedLength: number;
  originalLength: number;
  /** 0 = not compressed; otherwise the compression header ID (index v2 only). */
  compressionHeaderId: number;
  formatVersion: number;
  encryptionKeyId: number;
}

export class IndexFormatError extends Error {
  override readonly name = 'IndexFormatError';
}

const V1_HEADER_SIZE = 8;
const V1_ENTRY_SIZE = 20;
const V2_HEADER_SIZE = 17;
const V2_PACK_INFO_SIZE = 5;
const V2_FORMAT_INFO_SIZE = 6;
const V2_MIN_ENTRY_SIZE = 16;
const V2_MAX_ENTRY_SIZE = 19;
const MAX_STRIDE = 256;
/** Key size an index without entries carries (the builders write byte(-1)). */
const UNKNOWN_KEY_SIZE = 0xff;

/**
 * Decodes the entries of one index blob whose content-ID key starts with `prefixByte` (0x6d for manifests).
 * Throws IndexFormatError on anything malformed (the caller reports it as corruption: the bytes did authenticate).
 */
export function parseIndexBlob(data: Uint8Array, prefixByte: number): IndexEntry[] {
  if (data.length < V1_HEADER_SIZE) throw new IndexFormatError(`index of ${data.length} bytes has no header`);
  const version = data[0];
  if (version === 1) return parseV1(data, prefixByte);
  if (version === 2) return parseV2(data, prefixByte);
  throw new IndexFormatError(`unknown index version ${version}`);
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

function slice(data: Uint8Array, offset: number, length: number, what: string): Uint8Array {
  if (offset < 0 || length < 0 || offset + length > data.length) {
    throw new IndexFormatError(`${what} at ${offset}+${length} lies outside the ${data.length}-byte index`);
  }
  return data.subarray(offset, offset + length);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function parseV1(data: Uint8Array, prefixByte: number): IndexEntry[] {
  const dv = view(data);
  const keySize = data[1] ?? 0;
  const entrySize = dv.getUint16(2, false);
  const count = dv.getUint32(4, false);
  if (count === 0) return [];
  if (keySize <= 1 || keySize === UNKNOWN_KEY_SIZE) throw new IndexFormatError(`invalid v1 key size ${keySize}`);
  if (entrySize !== V1_ENTRY_SIZE) throw new IndexFormatError(`invalid v1 entry size ${entrySize}`);
  const stride = keySize + entrySize;
  if (stride > MAX_STRIDE) throw new IndexFormatError(`v1 entry stride ${stride} is too large`);
  slice(data, V1_HEADER_SIZE, count * stride, 'v1 entries');
  const packNames = new Map<number, string>();
  const result: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = V1_HEADER_SIZE + i * stride;
    if (data[at] !== prefixByte) continue;
    const e = at + keySize;
    const nameLength = data[e + 7] ?? 0;
    const nameOffset = dv.getUint32(e + 8, false);
    let pack = packNames.get(nameOffset);
    if (pack === undefined) {
      pack = latin1(slice(data, nameOffset, nameLength, 'v1 pack name'));
      packNames.set(nameOffset, pack);
    }
    const offsetAndFlags = dv.getUint32(e + 12, false);
    result.push({
      contentId: contentIdFromKey(data.subarray(at, at + keySize)),
      timestamp: dv.getUint16(e, false) * 2 ** 32 + dv.getUint32(e + 2, false),
      formatVersion: data[e + 6] ?? 0,
      deleted: (offsetAndFlags & 0x80000000) !== 0,
      packOffset: offsetAndFlags & 0x7fffffff,
      packBlobId: pack,
      packedLength: dv.getUint32(e + 16, false),
      // v1 does not store it; Kopia derives it from the encryption overhead. Not needed for reading.
      originalLength: -1,
      compressionHeaderId: 0,
      encryptionKeyId: 0,
    });
  }
  return result;
}

function parseV2(data: Uint8Array, prefixByte: number): IndexEntry[] {
  const header = slice(data, 0, V2_HEADER_SIZE, 'v2 header');
  const dv = view(header);
  const keySize = header[1] ?? 0;
  const entrySize = dv.getUint16(2, false);
  const count = dv.getUint32(4, false);
  const packCount = dv.getUint32(8, false);
  const formatCount = header[12] ?? 0;
  const baseTimestamp = dv.getUint32(13, false);
  if (count === 0) return [];
  if (keySize <= 1 || keySize === UNKNOWN_KEY_SIZE) throw new IndexFormatError(`invalid v2 key size ${keySize}`);
  if (entrySize < V2_MIN_ENTRY_SIZE || entrySize > V2_MAX_ENTRY_SIZE) {
    throw new IndexFormatError(`invalid v2 entry size ${entrySize}`);
  }
  const stride = keySize + entrySize;
  if (stride > MAX_STRIDE) throw new IndexFormatError(`v2 entry stride ${stride} is too large`);
  const packsOffset = V2_HEADER_SIZE + count * stride;
  const formatsOffset = packsOffset + packCount * V2_PACK_INFO_SIZE;
  const packInfos = slice(data, packsOffset, packCount * V2_PACK_INFO_SIZE, 'v2 pack table');
  const formatInfos = slice(data, formatsOffset, formatCount * V2_FORMAT_INFO_SIZE, 'v2 format table');
  const formats = Array.from({ length: formatCount }, (_, i) => {
    const f = view(formatInfos.subarray(i * V2_FORMAT_INFO_SIZE, (i + 1) * V2_FORMAT_INFO_SIZE));
    return { compressionHeaderId: f.getUint32(0, false), formatVersion: f.getUint8(4), encryptionKeyId: f.getUint8(5) };
  });
  const packs = new Map<number, string>();
  const packName = (index: number): string => {
    let name = packs.get(index);
    if (name !== undefined) return name;
    if (index >= packCount) throw new IndexFormatError(`v2 entry refers to pack #${index} of ${packCount}`);
    const info = view(packInfos.subarray(index * V2_PACK_INFO_SIZE, (index + 1) * V2_PACK_INFO_SIZE));
    name = latin1(slice(data, info.getUint32(1, false), info.getUint8(0), 'v2 pack name'));
    packs.set(index, name);
    return name;
  };

  const entries = view(slice(data, V2_HEADER_SIZE, count * stride, 'v2 entries'));
  const result: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = V2_HEADER_SIZE + i * stride;
    if (data[at] !== prefixByte) continue;
    const e = i * stride + keySize;
    const offsetAndFlags = entries.getUint32(e + 4, false);
    let originalLength = (entries.getUint8(e + 8) << 16) | entries.getUint16(e + 9, false);
    let packedLength = (entries.getUint8(e + 11) << 16) | entries.getUint16(e + 12, false);
    let packIndex = entries.getUint16(e + 14, false);
    const formatIndex = entrySize > 16 ? entries.getUint8(e + 16) : 0;
    if (entrySize > 17) packIndex |= entries.getUint8(e + 17) << 16;
    if (entrySize > 18) {
      const high = entries.getUint8(e + 18);
      originalLength += (high >> 4) * 2 ** 24;
      packedLength += (high & 0x0f) * 2 ** 24;
    }
    const format = formats[formatIndex];
    if (!format) throw new IndexFormatError(`v2 entry refers to format #${formatIndex} of ${formatCount}`);
    result.push({
      contentId: contentIdFromKey(data.subarray(at, at + keySize)),
      timestamp: baseTimestamp + entries.getUint32(e, false),
      deleted: (offsetAndFlags & 0x80000000) !== 0,
      packOffset: offsetAndFlags & 0x7fffffff,
      packBlobId: packName(packIndex),
      packedLength,
      originalLength,
      ...format,
    });
  }
  return result;
}
