import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  CRYPTO_OVERHEAD,
  decrypt,
  deriveUserKey,
  encrypt,
  type ResticKey,
  splitKey,
} from './crypto.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (s: string) => new TextEncoder().encode(s);

describe('restic crypto', () => {
  it('decrypts restic known-answer ciphertext (internal/crypto/crypto_int_test.go testValues)', () => {
    const key: ResticKey = {
      encrypt: hex('303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef'),
      macK: hex('ef4d8824cb80b2bcc5fbff8a9b12a42c'),
      macR: hex('cc8d4b948ee0ebfe1d415de921d10353'),
    };
    const sealed = hex(
      '69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750',
    );
    assert.equal(Buffer.from(decrypt(key, sealed)).toString('utf8'), 'Dies ist ein Test!');
  });

  // Poly1305-AES vectors from Bernstein's paper, as restic's TestPoly1305 uses them: the MAC of `msg` under (k, r)
  // with `nonce` as IV. decrypt() accepts IV ‖ msg ‖ mac exactly when our MAC equals the published one.
  const poly1305Vectors = [
    {
      msg: 'f3f6',
      r: '851fc40c3467ac0be05cc20404f3f700',
      k: 'ec074c835580741701425b623235add6',
      nonce: 'fb447350c4e868c52ac3275cf9d4327e',
      mac: 'f4c633c3044fc145f84f335cb81953de',
    },
    {
      msg: '',
      r: 'a0f3080000f46400d0c7e9076c834403',
      k: '75deaa25c09f208e1dc4ce6b5cad3fbf',
      nonce: '61ee09218d29b0aaed7e154a2c5509cc',
      mac: 'dd3fab2251f11ac759f0887129cc2ee7',
    },
    {
      msg: '663cea190ffb83d89593f3f476b6bc24d7e679107ea26adb8caf6652d0656136',
      r: '48443d0bb0d21109c89a100b5ce2c208',
      k: '6acb5f61a7176dd320c5c1eb2edcdc74',
      nonce: 'ae212a55399729595dea458bc621ff0e',
      mac: '0ee1c16bb73f0f4fd19881753c01cdbe',
    },
    {
      msg:
        'ab0812724a7f1e342742cbed374d94d136c6b8795d45b3819830f2c04491faf0' +
        '990c62e48b8018b2c3e4a0fa3134cb67fa83e158c994d961c4cb21095c1bf9',
      r: '12976a08c4426d0ce8a82407c4f48207',
      k: 'e1a5668a4d5b66a5f68cc5424ed5982d',
      nonce: '9ae831e743978d3a23527c7128149e3a',
      mac: '5154ad0d2cb26e01274fc51148491f1b',
    },
  ];
  for (const [i, v] of poly1305Vectors.entries()) {
    it(`computes the Poly1305-AES MAC of vector ${i + 1}`, () => {
      const key: ResticKey = { encrypt: new Uint8Array(32), macK: hex(v.k), macR: hex(v.r) };
      const sealed = Buffer.concat([hex(v.nonce), hex(v.msg), hex(v.mac)]);
      assert.equal(decrypt(key, sealed).length, v.msg.length / 2);
      const wrongMac = Buffer.from(sealed);
      wrongMac[wrongMac.length - 1] = (wrongMac[wrongMac.length - 1] as number) ^ 1;
      assert.throws(() => decrypt(key, wrongMac), AuthenticationError);
    });
  }

  it('round-trips and detects every kind of tampering', () => {
    const key = splitKey(randomBytes(64));
    const plaintext = text('{"time":"2026-01-02T03:04:05Z"}');
    const sealed = encrypt(key, plaintext);
    assert.equal(sealed.length, plaintext.length + CRYPTO_OVERHEAD);
    assert.deepEqual(decrypt(key, sealed), plaintext);
    for (const position of [0, 15, 16, 20, sealed.length - 17, sealed.length - 16, sealed.length - 1]) {
      const changed = Uint8Array.from(sealed);
      changed[position] = (changed[position] as number) ^ 0x40;
      assert.throws(() => decrypt(key, changed), AuthenticationError, `flip at ${position} not detected`);
    }
    assert.throws(() => decrypt(key, sealed.subarray(0, sealed.length - 1)), AuthenticationError);
    assert.throws(() => decrypt(key, sealed.subarray(0, 31)), /shorter than IV and MAC/);
    const otherKey = splitKey(randomBytes(64));
    assert.throws(() => decrypt(otherKey, sealed), AuthenticationError);
    // Same MAC key, another encryption key: the MAC still verifies (it covers the ciphertext), the text differs.
    const sameMac = { ...key, encrypt: randomBytes(32) };
    assert.notDeepEqual(decrypt(sameMac, sealed), plaintext);
  });

  it('derives the user key with scrypt (RFC 7914 test vector 2, split as restic does)', async () => {
    const key = await deriveUserKey('password', { salt: text('NaCl'), N: 1024, r: 8, p: 16 });
    const expected = hex(
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
        '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    );
    assert.deepEqual(key, splitKey(expected));
  });

  it('refuses scrypt parameters that would exhaust memory or are malformed', async () => {
    const salt = randomBytes(64);
    await assert.rejects(deriveUserKey('x', { salt, N: 2 ** 22, r: 8, p: 1 }), /more than 512 MiB/);
    await assert.rejects(deriveUserKey('x', { salt, N: 1000, r: 8, p: 1 }), /not a power of two/);
    await assert.rejects(deriveUserKey('x', { salt, N: 1024, r: 0, p: 1 }), /invalid/);
  });
});
