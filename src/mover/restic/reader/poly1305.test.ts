import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { poly1305 } from './poly1305.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const ascii = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const zeros = (n: number) => '00'.repeat(n);
const ones = (n: number) => 'ff'.repeat(n);

const IETF =
  'Any submission to the IETF intended by the Contributor for publication as all or part of an IETF Internet-Draft ' +
  'or RFC and any statement made within the context of an IETF activity is considered an "IETF Contribution". Such ' +
  'statements include oral statements in IETF sessions, as well as written and electronic communications made at ' +
  'any time or place, which are addressed to';
const JABBERWOCKY =
  "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\n" +
  'And the mome raths outgrabe.';
const R_A3_10 = `01${zeros(7)}04${zeros(7)}`;

// RFC 8439 §2.5.2 and Appendix A.3 (key = r ‖ s). Vectors 5-11 of A.3 are the reduction's edge cases: h reaching or
// passing p, carries through every limb. Each was also checked with `openssl mac POLY1305` when it was written here.
const vectors: { name: string; key: string; message: string; tag: string }[] = [
  {
    name: '§2.5.2',
    key: '85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b',
    message: ascii('Cryptographic Forum Research Group'),
    tag: 'a8061dc1305136c6c22b8baf0c0127a9',
  },
  { name: 'A.3 #1', key: zeros(32), message: zeros(64), tag: zeros(16) },
  {
    name: 'A.3 #2',
    key: `${zeros(16)}36e5f6b5c5e06070f0efca96227a863e`,
    message: ascii(IETF),
    tag: '36e5f6b5c5e06070f0efca96227a863e',
  },
  {
    name: 'A.3 #3',
    key: `36e5f6b5c5e06070f0efca96227a863e${zeros(16)}`,
    message: ascii(IETF),
    tag: 'f3477e7cd95417af89a6b8794c310cf0',
  },
  {
    name: 'A.3 #4',
    key: '1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0',
    message: ascii(JABBERWOCKY),
    tag: '4541669a7eaaee61e708dc7cbcc5eb62',
  },
  { name: 'A.3 #5', key: `02${zeros(31)}`, message: ones(16), tag: `03${zeros(15)}` },
  { name: 'A.3 #6', key: `02${zeros(15)}${ones(16)}`, message: `02${zeros(15)}`, tag: `03${zeros(15)}` },
  { name: 'A.3 #7', key: `01${zeros(31)}`, message: `${ones(16)}f0${ones(15)}11${zeros(15)}`, tag: `05${zeros(15)}` },
  {
    name: 'A.3 #8',
    key: `01${zeros(31)}`,
    message: `${ones(16)}fb${'fe'.repeat(15)}${'01'.repeat(16)}`,
    tag: zeros(16),
  },
  { name: 'A.3 #9', key: `02${zeros(31)}`, message: `fd${ones(15)}`, tag: `fa${ones(15)}` },
  {
    name: 'A.3 #10',
    key: `${R_A3_10}${zeros(16)}`,
    message: `e33594d7505e43b9${zeros(8)}3394d7505e4379cd01${zeros(7)}${zeros(16)}01${zeros(15)}`,
    tag: `14${zeros(7)}55${zeros(7)}`,
  },
  {
    name: 'A.3 #11',
    key: `${R_A3_10}${zeros(16)}`,
    message: `e33594d7505e43b9${zeros(8)}3394d7505e4379cd01${zeros(7)}${zeros(16)}`,
    tag: `13${zeros(15)}`,
  },
];

/**
 * A second, independent Poly1305: OpenSSL's, reached through Node's ChaCha20-Poly1305. RFC 8439 §2.8 makes the AEAD
 * tag the Poly1305 of `aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ le64(aad length) ‖ le64(ciphertext length)` under the first
 * 32 bytes of the ChaCha20 key stream (block counter 0). With an empty plaintext that is a Poly1305 of a message we
 * choose (aad), padded, under a key we can compute with plain ChaCha20.
 */
function opensslTag(key: Buffer, nonce: Buffer, aad: Buffer): { oneTimeKey: Buffer; padded: Buffer; tag: Buffer } {
  const stream = createCipheriv('chacha20', key, Buffer.concat([Buffer.alloc(4), nonce]));
  const oneTimeKey = Buffer.concat([stream.update(Buffer.alloc(32)), stream.final()]);
  const aead = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  aead.setAAD(aad, { plaintextLength: 0 });
  aead.update(Buffer.alloc(0));
  aead.final();
  const lengths = Buffer.alloc(16);
  lengths.writeBigUInt64LE(BigInt(aad.length), 0);
  const padded = Buffer.concat([aad, Buffer.alloc((16 - (aad.length % 16)) % 16), lengths]);
  return { oneTimeKey, padded, tag: aead.getAuthTag() };
}

describe('Poly1305', () => {
  for (const v of vectors) {
    it(`computes RFC 8439 ${v.name} (${v.message.length / 2} bytes)`, () => {
      assert.equal(Buffer.from(poly1305(hex(v.message), hex(v.key))).toString('hex'), v.tag);
    });
  }

  it('agrees with OpenSSL on random keys and messages of every length modulo 16, up to 64 KiB', () => {
    const lengths = [0, 1, 15, 16, 17, 31, 32, 33, 100, 255, 1000, 4095, 65_536 + 7];
    for (let round = 0; round < 4; round++) {
      for (const length of lengths) {
        const { oneTimeKey, padded, tag } = opensslTag(randomBytes(32), randomBytes(12), randomBytes(length));
        assert.deepEqual(Buffer.from(poly1305(padded, oneTimeKey)), tag, `length ${length}, round ${round}`);
      }
    }
  });

  it('reads message and key through their own offsets (subarrays of a larger buffer)', () => {
    const v = vectors[0] as (typeof vectors)[number];
    const backing = Buffer.concat([randomBytes(3), hex(v.key), hex(v.message), randomBytes(5)]);
    const key = backing.subarray(3, 35);
    const message = backing.subarray(35, backing.length - 5);
    assert.equal(Buffer.from(poly1305(message, key)).toString('hex'), v.tag);
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => poly1305(new Uint8Array(0), new Uint8Array(31)), /a Poly1305 key is 32 bytes, got 31/);
  });
});
