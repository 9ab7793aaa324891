/**
 * DER, the one ASN.1 encoding X.509 certificates use: just the types pki.ts writes and reads, so the webhook's
 * certificates are built with node:crypto and no certificate library (docs/design.md#certificates-without-a-library:
 * a library cost every process megabytes of resident memory).
 *
 * Every value is one TLV: a tag byte, the length of the contents (one byte below 128, else 0x80 | number of length
 * bytes followed by them, big-endian), and the contents. Constructed values (SEQUENCE, SET, explicit context tags)
 * carry their children's encodings one after another. DER allows exactly one encoding per value, which is why
 * integers are minimal, BIT STRINGs of named bits drop trailing zero bits, and BOOLEAN TRUE is 0xff.
 */

/** Tag bytes (universal class unless noted). */
const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** One value: tag, length, contents. */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const sequence = (...items: readonly Uint8Array[]): Buffer => tlv(TAG.sequence, ...items);

/** A SET OF. DER sorts its elements by encoding; X.509 names here put one attribute in each set, so no sorting. */
export const set = (item: Uint8Array): Buffer => tlv(TAG.set, item);

export const boolean = (value: boolean): Buffer => tlv(TAG.boolean, Buffer.from([value ? 0xff : 0x00]));

/**
 * A non-negative INTEGER from its big-endian bytes (or a small number): leading zero bytes dropped, and one zero byte
 * put back in front when the top bit is set, which would otherwise make it negative.
 */
export function unsignedInteger(value: Uint8Array | number): Buffer {
  let bytes = typeof value === 'number' ? numberBytes(value) : Buffer.from(value);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.integer, bytes);
}

function numberBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`DER integer: ${n} is not a non-negative safe integer`);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes);
}

/**
 * An OBJECT IDENTIFIER from dotted form: the first two arcs share one number (40 × first + second), and every number
 * is written base 128, most significant group first, with the top bit set on all groups but the last.
 */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new Error(`DER object identifier: "${dotted}" is not a dotted list of numbers`);
  }
  const out: number[] = [];
  for (const arc of [40 * first + second, ...rest]) {
    const groups = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v % 128));
    out.push(...groups);
  }
  return tlv(TAG.oid, Buffer.from(out));
}

export const octetString = (bytes: Uint8Array): Buffer => tlv(TAG.octetString, bytes);
export const utf8String = (text: string): Buffer => tlv(TAG.utf8String, Buffer.from(text, 'utf8'));

/** A BIT STRING of whole bytes (a signature, a public key): the first content byte counts unused bits, here none. */
export const bitString = (bytes: Uint8Array): Buffer => tlv(TAG.bitString, Buffer.from([0]), bytes);

/**
 * A BIT STRING of named bits (bit 0 is the most significant bit of the first byte), as KeyUsage is: DER drops
 * trailing zero bits, so the string ends at the highest bit set and the first byte says how many bits of the last
 * byte are padding.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(TAG.bitString, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return tlv(TAG.bitString, Buffer.from([7 - (highest & 7)]), bytes);
}

/**
 * An X.509 Time: UTCTime (two-digit year) through 2049, GeneralizedTime from 2050, both in UTC to the second, as
 * RFC 5280 requires. Milliseconds are dropped.
 */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new Error(`X.509 time: year ${year} is out of range`);
  return year < 2050 ? tlv(TAG.utcTime, Buffer.from(digits.slice(2))) : tlv(TAG.generalizedTime, Buffer.from(digits));
}

/** `[n] EXPLICIT`: a constructed context tag around a whole encoded value. */
export const explicit = (n: number, value: Uint8Array): Buffer => tlv(0xa0 | n, value);

/** `[n] IMPLICIT` over a primitive type: the context tag replaces the type's own tag, the contents stay. */
export const implicit = (n: number, contents: Uint8Array): Buffer => tlv(0x80 | n, contents);

/** An IA5String's contents (ASCII), for implicit tags such as a subjectAltName dNSName. */
export function ia5(text: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point: IA5 is 7-bit ASCII
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Error(`"${text}" is not ASCII (IA5String)`);
  return Buffer.from(text, 'ascii');
}

/** One decoded value: its tag, and where its whole encoding and its contents lie in the buffer it was read from. */
export interface Element {
  tag: number;
  /** The whole TLV (tag, length, contents). */
  der: Buffer;
  contents: Buffer;
}

/** The values one after another in `bytes` (a constructed value's contents). Throws on a truncated encoding. */
export function children(bytes: Buffer): Element[] {
  const out: Element[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = byteAt(bytes, at);
    let length = byteAt(bytes, at + 1);
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw new Error('DER: unsupported length form');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + byteAt(bytes, at + 2 + i);
      header += count;
    }
    const end = at + header + length;
    if (end > bytes.length) throw new Error('DER: value runs past the end of its container');
    out.push({ tag, der: bytes.subarray(at, end), contents: bytes.subarray(at + header, end) });
    at = end;
  }
  return out;
}

function byteAt(bytes: Buffer, i: number): number {
  const b = bytes[i];
  if (b === undefined) throw new Error('DER: truncated value');
  return b;
}

/** The only value in `bytes`, which must have `tag`. */
export function single(bytes: Buffer, tag: number, what: string): Element {
  const [first, ...rest] = children(bytes);
  if (!first || rest.length > 0 || first.tag !== tag) throw new Error(`DER: ${what} is not one value of tag ${tag}`);
  return first;
}

export { TAG };
