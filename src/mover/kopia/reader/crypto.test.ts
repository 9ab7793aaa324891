import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  type ContentEncryption,
  contentDecryptor,
  contentIv,
  decryptFormatBlock,
  deriveFormatKey,
  indexBlobIv,
} from './crypto.ts';

// Kopia's own known-answer vectors: kopia/kopia v0.21.1 repo/encryption/encryption_test.go, TestCiphertextSamples.
// The "contentID" there is the iv handed to the encryptor (32 ASCII bytes in these samples).
const MASTER_KEY = Buffer.from('01234567890123456789012345678901');
const SAMPLES: { iv: string; plain: string; sealed: Record<ContentEncryption, string> }[] = [
  {
    iv: 'aabbccddeeffgghhiijjkkllmmnnoopp',
    plain: 'foo',
    sealed: {
      'AES256-GCM-HMAC-SHA256': 'e43ba07f85a6d70c5f1102ca06cf19c597e5f91e527b21f00fb76e8bec3fd1',
      'CHACHA20-POLY1305-HMAC-SHA256': '118359f3d4d589d939efbbc3168ae4c77c51bcebce6845fe6ef5d11342faa6',
    },
  },
  {
    iv: '00000000000000000000000000000000',
    plain: 'quick brown fox jumps over the lazy dog',
    sealed: {
      'AES256-GCM-HMAC-SHA256':
        'eaad755a238f1daa4052db2e5ccddd934790b6cca415b3ccfd46ac5746af33d9d30f4400ffa9eb3a64fb1ce21b888c12c043bf6787d4a5c15ad10f21f6a6027ee3afe0',
      'CHACHA20-POLY1305-HMAC-SHA256':
        '836d2ba87892711077adbdbe1452d3b2c590bbfdf6fd3387dc6810220a32ec19de862e1a4f865575e328424b5f178afac1b7eeff11494f719d119b7ebb924d1d0846a3',
    },
  },
];

describe('kopia content encryption', () => {
  for (const sample of SAMPLES) {
    for (const [algorithm, hex] of Object.entries(sample.sealed) as [ContentEncryption, string][]) {
      it(`decrypts Kopia's ${algorithm} sample "${sample.plain}"`, () => {
        const plain = contentDecryptor(algorithm, MASTER_KEY).decrypt(Buffer.from(hex, 'hex'), Buffer.from(sample.iv));
        assert.equal(plain.toString('utf8'), sample.plain);
      });

      it(`rejects a ${algorithm} sample with a flipped bit or the wrong iv`, () => {
        const dec = contentDecryptor(algorithm, MASTER_KEY);
        const sealed = Buffer.from(hex, 'hex');
        sealed[14] = (sealed[14] ?? 0) ^ 1;
        assert.throws(() => dec.decrypt(sealed, Buffer.from(sample.iv)), AuthenticationError);
        assert.throws(() => dec.decrypt(Buffer.from(hex, 'hex'), Buffer.alloc(32, 0x31)), AuthenticationError);
      });
    }
  }

  it('rejects ciphertext shorter than nonce plus tag', () => {
    assert.throws(
      () => contentDecryptor('AES256-GCM-HMAC-SHA256', MASTER_KEY).decrypt(new Uint8Array(27), Buffer.alloc(16)),
      AuthenticationError,
    );
  });
});

describe('kopia ivs', () => {
  it('takes the last 16 hash bytes of a content ID, without its prefix letter', () => {
    const hash = '00112233445566778899aabbccddeeff';
    assert.equal(contentIv(`m${hash}`).toString('hex'), hash);
    assert.equal(contentIv(hash).toString('hex'), hash);
    assert.equal(contentIv(`k${'ab'.repeat(16)}${hash}`).toString('hex'), hash);
    assert.throws(() => contentIv('mzz'), /malformed content ID/);
  });

  it('takes the 32 hex characters before the first dash of an index blob ID', () => {
    const hash = '0123456789abcdef0123456789abcdef';
    assert.equal(indexBlobIv(`xn0_${hash}-s5b7f3e0d1c2a4b69-c1`).toString('hex'), hash);
    assert.equal(indexBlobIv(`xs12_${hash}-sabc-c2`).toString('hex'), hash);
    assert.equal(indexBlobIv(`n${'f'.repeat(32)}${hash}`).toString('hex'), hash);
    assert.throws(() => indexBlobIv('xn0_abc-s1-c1'), /carries no iv/);
  });
});

describe('kopia format key', () => {
  // Seal a format block the way Kopia's EncryptAes256Gcm does, with an independently computed key, and check the
  // reader's derivation + decryption opens it (and that another password does not).
  const uniqueId = Buffer.from('4c6966656f61742d746573742d756e697175652d69642d33322d62797465732121', 'hex').subarray(
    0,
    32,
  );

  async function seal(formatKey: Buffer, plain: string): Promise<Buffer> {
    const aesKey = Buffer.from(hkdfSync('sha256', formatKey, uniqueId, 'AES', 32));
    const aad = Buffer.from(hkdfSync('sha256', formatKey, uniqueId, 'CHECKSUM', 32));
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', aesKey, nonce);
    c.setAAD(aad);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }

  it('derives scrypt-65536-8-1 and opens the format block; a wrong password fails authentication', async () => {
    const key = await deriveFormatKey('pässword', uniqueId, 'scrypt-65536-8-1');
    const sealed = await seal(key, '{"format":{}}');
    assert.equal(decryptFormatBlock(key, uniqueId, sealed).toString(), '{"format":{}}');
    const wrong = await deriveFormatKey('password', uniqueId, 'scrypt-65536-8-1');
    assert.throws(() => decryptFormatBlock(wrong, uniqueId, sealed), AuthenticationError);
    assert.deepEqual(await deriveFormatKey('pässword', uniqueId, ''), key, 'empty keyAlgo means scrypt');
  });

  it('refuses unknown key derivations', async () => {
    await assert.rejects(deriveFormatKey('x', uniqueId, 'argon2id'), /unsupported key derivation/);
  });
});
