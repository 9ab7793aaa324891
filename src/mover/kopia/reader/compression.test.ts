import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { decompressContent, UnsupportedCompressionError } from './compression.ts';

const text = Buffer.from('kopia '.repeat(200));
const framed = (id: number, body: Uint8Array) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(id);
  return Buffer.concat([header, body]);
};

describe('kopia content compression', () => {
  const decodable: [string, number, Uint8Array][] = [
    ['gzip', 0x1000, gzipSync(text)],
    ['gzip-best-compression', 0x1002, gzipSync(text, { level: 9 })],
    ['zstd', 0x1100, zstdCompressSync(text)],
    ['zstd-fastest', 0x1101, zstdCompressSync(text)],
    ['zstd-best-compression', 0x1103, zstdCompressSync(text)],
    [
      'pgzip (concatenated gzip members)',
      0x1300,
      Buffer.concat([gzipSync(text.subarray(0, 500)), gzipSync(text.subarray(500))]),
    ],
    ['deflate', 0x1500, deflateRawSync(text)],
  ];
  for (const [name, id, body] of decodable) {
    it(`decodes ${name} (0x${id.toString(16)})`, () => {
      assert.deepEqual(Buffer.from(decompressContent(framed(id, body), id)), text);
    });
  }

  it('decodes a zstd frame without a content size (klauspost streaming encoder)', () => {
    // A single raw block frame: magic, descriptor 0x00 (no content size, no checksum), window byte, raw last block.
    const payload = Buffer.from('streamed');
    const blockHeader = Buffer.alloc(3);
    blockHeader.writeUIntLE((payload.length << 3) | 1, 0, 3);
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x48]), blockHeader, payload]);
    assert.equal(Buffer.from(decompressContent(framed(0x1101, frame), 0x1101)).toString(), 'streamed');
  });

  it('passes uncompressed contents through', () => {
    assert.equal(decompressContent(text, 0), text);
  });

  it('refuses s2 and lz4 as unsupported, and a header that contradicts the index as an error', () => {
    for (const id of [0x1200, 0x1203, 0x1400]) {
      assert.throws(() => decompressContent(framed(id, text), id), UnsupportedCompressionError);
    }
    assert.throws(() => decompressContent(framed(0x1000, gzipSync(text)), 0x1101), /does not match/);
    assert.throws(() => decompressContent(Buffer.from([0, 0]), 0x1000), /no compression header/);
    assert.throws(() => decompressContent(framed(0x1000, text), 0x1000));
  });
});
