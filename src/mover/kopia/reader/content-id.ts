/**
 * Content IDs: an optional prefix letter g–z (m = manifest, k = directory, …) followed by the hash in hex. Index
 * keys store them as `prefixByte (0 when none) ‖ hash bytes` (repo/content/index/content_id_to_bytes.go).
 */

export const MANIFEST_PREFIX = 'm';

export function contentIdFromKey(key: Uint8Array): string {
  const prefix = key[0] ?? 0;
  const hash = Buffer.from(key.buffer, key.byteOffset + 1, key.length - 1).toString('hex');
  return prefix === 0 ? hash : String.fromCharCode(prefix) + hash;
}

/** The first key byte of contents with this prefix ('' = unprefixed data contents). */
export function prefixByte(prefix: string): number {
  if (prefix === '') return 0;
  if (!/^[g-z]$/.test(prefix)) throw new Error(`content prefix must be empty or one letter g–z, got "${prefix}"`);
  return prefix.charCodeAt(0);
}

/** The prefix letter of a content ID ('' for unprefixed). */
export function contentPrefix(contentId: string): string {
  const first = contentId[0] ?? '';
  return /^[g-z]$/.test(first) ? first : '';
}
