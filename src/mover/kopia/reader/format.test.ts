import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { RepositoryError } from '../../../repository/types.ts';
import { contentDecryptor, contentIv, deriveFormatKey, indexBlobIv } from './crypto.ts';
import { type FormatBlob, openRepositoryConfig, parseFormatBlob, verifyBlobCfg } from './format.ts';
import { parseIndexBlob } from './index-blob.ts';
import { parseManifestContent } from './manifests.ts';

// Known-answer vectors written by the real kopia v0.21.1 (`repository create filesystem` with password
// "kat-pässword"), so the whole read path is checked against Kopia's bytes without running the binary.
const PASSWORD = 'kat-pässword';
const AES_SCRYPT = {
  tool: 'https://github.com/kopia/kopia',
  buildVersion: 'v0.21.1',
  buildInfo: '-(unknown_revision)',
  uniqueID: 'pMhikB9ju4IVXTpntlJn6VBPQZf9cI9q3hbyp0MdGkI=',
  keyAlgo: 'scrypt-65536-8-1',
  encryption: 'AES256_GCM',
  encryptedBlockFormat:
    '7HkWq5kbKY3Exx5BwnH2fB59wfuW+/VeQgG+nO6h4COrvsraLg8xV3GMyKb3Hb9kWZZQxuyatcC2cEaDQmo0lJrVB7/KlQF+7gHCAfjDg/Bekk6mQb7w68Bdj5rlt3hfUl7p1E8JK7KZLv0IZrNynoFqDoUFTU0mIO/Spr3vFFZhHFkw6Uyo1e7Vr1ekik6ccdCnO+pP7WTSXQeO1qU/cD8dksBSkKCoplph83qGa9oMbEKN8CnQvXq4l1qFLnv0T9hiP3MqgyenPVBaCL6m9n3LYyPWq2JcHNZr7yrNNGFOpU+bDwW6B8pu3fKxXsW/t5SvCcAbTmxvEVg/0cDWZdBz0sJ4co3oAIA2a9dLA/QqRs203Issdu14EOyCTEMLFxPqWu7ae/a+I3M4UDtN+nB0iVv70BhlshMSv9LZELBz/ciLVFeRHElpf963yvmrzphsRtP62QZfam8xQhtoegXjDn8Qidds4ssTOY/787AiDUlbFgfp8Cwuft/xU/dHi1iCxvpb2bxLGKNZnBIR5lGUhY392dLXieBaRzs+8QjYON5lesRgqYK7zy+e5PVhMVRrYu1uquYQTTLVmiKfhyyOeSydwYfU6imC3KRA1jC3dv+enB8A9+LWAb2+tjPVO3AjTgAE9204N6DLQ9PFTqIF4qgkx5gUB4WgthEW70iWJ0TmdkkcyFhC2/U+0bOjDBbSAcXRdqbfS1WUjqXCAgcMFKLCADiZspIEzxTzw0EGoXjRbsvBLGPXZ+w0ixCMLXM5wD638ScFNVgRBCWF8FnuXakktb+ZcCUKUkvcQg==',
};
const CHACHA_PBKDF2 = {
  ...AES_SCRYPT,
  uniqueID: 'nN6I1g8/gf/+rm/0/BYGg4s30XmSoKhT719hqER6mOg=',
  keyAlgo: 'pbkdf2-sha256-600000',
  encryptedBlockFormat:
    'r7g0lKg9bNb67UDnHsazlhWJC8Qo9yq9ebi6QCVawRLXfqh3pDA0X/t4NNITdS6yUng15prHEtLDxrACYgPOy9PHzWq7zdTds4jDG+PWDQDC+oIIGEUa/bXvevLsAee/Fz7OmXl+0NkRpsE64tPce1yUUrSR1K8ia23b1OJ8uxKAmre7hXvSqf7wtOSQWXxPS+6ZaRUeLiVqHoiYrlqpwE9KMBDpWmZ7tFm9q5Ubt3BgJIugN5A8DUX5lpbOrE6jkrtAaa0wtp1gPq1YaS6j4ySHd6y+MZKaRh4tBPPOELMXs2rriTLHK83cuSxBubRYLD9LIsZaZtwB/tevkcOA+n25vRR01zfwDpjFQhYhRslnlTfvJxadwEk+BcwlIUBi+6z7tglDL9hqDu99nDCZ3jYfqAo/COsUsWrnjJLaKqNgQVzSTxNh1Atsf7szJGRqJYk/TqlwrtcP28ZzKCr7MGvKSRjwP2Aogx+xXdEuUu+UdOx63kPrkclVPErl9P7EW/H1v54mAXRfahSyUtFgrwoFp5jm0SpkZ/09BVWrvMPtM8ZIFcNq8qGHWFj2nKpg7apbafcUS5rPFG6tQ42JU9h8Enu1yhqIa47O8SJmZok9jnew2S1N2GJ+WIRRqTKFweuXuw45wnl7tt/+JFb7Gi2lDzv5ATCN+syogltSWmQzSlPPV5ATtX96N76zxkBSMo5oXP7bLoP7/MzyziGhvVDpk18SCLEYSdFFPic/lgcTxKpJnpjwAC6ciekf+X4Do3+uOSXJBVPkxul0NjvXO5ZHnHRLo1Dul4/0haezkAAvMc/6LR0=',
};
// The one index blob of the AES repository and the manifest content it points to (pack offset 32, 675 bytes), as
// `kopia content list --json` reported them.
const INDEX_BLOB_ID = 'xn0_6ac558158a53acf6b41114190a44bc53-se0c5f57047f0a645147-c1';
const INDEX_BLOB =
  'UVydMQzPj4i4Z09d5dmfSv5FcNV5czm0QRdM+WC0XxP0Av98QBOS6AhNLEPeringGgTaROpTKChyJSuncTrlZjPZpRBoAifntfY/mgECsAs2BjA1EIzbJMbWWzEoMTqSPlKOn45wAul0RcMMpbwAn3SMGemlc+uPXNuIikl4n9YjiZO3/bU9eXbuexvveck=';
const MANIFEST_CONTENT_ID = 'm6b13628082751a850bec81f4f9074610';
const MANIFEST_CONTENT =
  'OS+49zmd2zDvAWCnpePQ8EQmbgUe4fUL4mdBaIxWV5M5doIRpfTlFgYPkRqINEDgx36CHmx4irJ8F2hP/EFG/sJs/a941RuvsgMvOcBST4DXseftoCJVw6s5hhI8oF8cOiJ200WllIY0npnmkRTfDWRuy8eOSbBiQXyLCrC35UKTgt81FwU9E6QDtzwRMRxQeTaLj4iTPPo6coQGt73Xp9XHP4gLefgRsVxNK78fu84fc1FQ4x2zh0SxESKi0cYgEPV70ByIOSbYnohFLYLo1ntA/sM9JbFXQyyCxIJt/VHYV6+CHgACIc79V8t8KRKEAn8FrvIIOVZwYF2oCcSSWKcU1V4Q1EePa2xjvQ5sU76z7EiEthNwmjCdWcKa2MKFLZvAWK8e/Bqi/GTKUIGusKj2+w8CPyULkWbcF3oPqYqYNblzXAJU/Yo68FENhETb6Bhjvwebq/ebhGV5JQtJNNL9/RGP1ooNaaymDxSXPKsRy7JCdX48SCJKrhKLYHq1Z8dpf4byZcnb4kfeWtkMWQxM1+oXDjUKmzH5VnxebDtmq+W0+/ASnPbMG2YjQ/IDdPy5NxgtQXXfQRO7cUApfkscvsLAgStO37a/6yMTa1B6XAO1rgtLCkEIIMI1+3/+WE062ryDw/VTl+KFl2eX3lL8fK2F5tovQX2oqAoXKdhSBF5bdchqL0VT5Mfc0VE4fAVIpXMz4ZSjwGQiwhsm64INiU+2i38MZbyc0oXEIDIIFyW5pl/CkYWuVBaUX8fbs9Yk7lFG12TjDoV/7ULEl4QVO2fdzWIL0jWTfoTRu7rCF+gPrEcxymH4KTsc6cWUWYs4gZit86WBqX7o4zE0+cE7GiEvKjdPWy4HCYOIFnls1uah0Zj1Dd8rjxswBKRCmdZa';

const bytes = (json: object) => new TextEncoder().encode(JSON.stringify(json));

describe('kopia format blob written by kopia 0.21.1', () => {
  it('opens the AES256-GCM / scrypt repository and its config', async () => {
    const blob = parseFormatBlob(bytes(AES_SCRYPT), 'kat');
    const key = await deriveFormatKey(PASSWORD, blob.uniqueId, blob.keyAlgo);
    assert.equal(key.toString('hex'), '8010d8c10cc27e7eca98bc469ce694304a50736a471354acaaee39a0de75f7ee');
    const config = openRepositoryConfig(blob, key, 'kat');
    assert.deepEqual(
      { ...config, masterKey: config.masterKey.toString('base64') },
      {
        version: 3,
        indexVersion: 2,
        encryption: 'AES256-GCM-HMAC-SHA256',
        masterKey: 'EpqQCXsKXr1cmnmx64WCnF7J19A1onE3V5+Xj0t04/A=',
        hash: 'BLAKE2B-256-128',
        epochsEnabled: true,
      },
    );
  });

  it('opens the CHACHA20-POLY1305 / pbkdf2 repository', async () => {
    const blob = parseFormatBlob(bytes(CHACHA_PBKDF2), 'kat');
    const key = await deriveFormatKey(PASSWORD, blob.uniqueId, blob.keyAlgo);
    assert.equal(key.toString('hex'), 'b27b4418660a2fa0c02c4a742c41951d6dd6b18bc677e67aaf9b8146db0cc857');
    const config = openRepositoryConfig(blob, key, 'kat');
    assert.equal(config.encryption, 'CHACHA20-POLY1305-HMAC-SHA256');
    assert.equal(config.masterKey.toString('base64'), 'z/Mgtd9VNs2RZ5DB5kLP9G1SyYAZjOb988k/F/aRZSw=');
  });

  it('decrypts and parses the real index blob and manifest content with the recovered master key', async () => {
    const blob = parseFormatBlob(bytes(AES_SCRYPT), 'kat');
    const config = openRepositoryConfig(blob, await deriveFormatKey(PASSWORD, blob.uniqueId, blob.keyAlgo), 'kat');
    const dec = contentDecryptor(config.encryption, config.masterKey);
    const index = dec.decrypt(Buffer.from(INDEX_BLOB, 'base64'), indexBlobIv(INDEX_BLOB_ID));
    assert.equal(index[0], 2, 'index format v2');
    assert.deepEqual(parseIndexBlob(index, 0x6d), [
      {
        contentId: MANIFEST_CONTENT_ID,
        timestamp: 1795314476,
        deleted: false,
        packBlobId: 'q9d87e5ac31e4950b35b8f3790839dfc3-se0c5f57047f0a645147',
        packOffset: 32,
        packedLength: 675,
        originalLength: 647,
        compressionHeaderId: 0,
        formatVersion: 3,
        encryptionKeyId: 0,
      },
    ]);
    const plain = dec.decrypt(Buffer.from(MANIFEST_CONTENT, 'base64'), contentIv(MANIFEST_CONTENT_ID));
    assert.equal(plain.length, 647);
    const entries = parseManifestContent(plain);
    assert.deepEqual(
      entries.map((e) => [e.id, e.labels.type, e.modified]),
      [
        ['49923fdb10ed323752649920f7250558', 'policy', '2026-11-22T02:27:56.451457055Z'],
        ['9f6c2361dae473c3c8d88373b251b4ef', 'maintenance', '2026-11-22T02:27:56.45160322Z'],
      ],
    );
  });

  it('reports a wrong password as wrong-password', async () => {
    const blob = parseFormatBlob(bytes(AES_SCRYPT), 'kat');
    const key = await deriveFormatKey('kat-password', blob.uniqueId, blob.keyAlgo);
    assert.throws(
      () => openRepositoryConfig(blob, key, 'kat'),
      (e: unknown) => e instanceof RepositoryError && e.code === 'wrong-password',
    );
  });
});

describe('kopia repository config validation', () => {
  // Re-seal edited configs under the real format key, exactly as Kopia's EncryptAes256Gcm would.
  let blob: FormatBlob;
  let key: Buffer;
  let original: { format: Record<string, unknown> };
  before(async () => {
    blob = parseFormatBlob(bytes(AES_SCRYPT), 'kat');
    key = await deriveFormatKey(PASSWORD, blob.uniqueId, blob.keyAlgo);
    const config = openRepositoryConfig(blob, key, 'kat');
    original = {
      format: {
        hash: config.hash,
        encryption: config.encryption,
        masterKey: config.masterKey.toString('base64'),
        version: 3,
        indexVersion: 2,
        epochParameters: { Enabled: true },
      },
    };
  });

  function sealed(format: Record<string, unknown>): FormatBlob {
    const aesKey = Buffer.from(hkdfSync('sha256', key, blob.uniqueId, 'AES', 32));
    const aad = Buffer.from(hkdfSync('sha256', key, blob.uniqueId, 'CHECKSUM', 32));
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', aesKey, nonce);
    c.setAAD(aad);
    const body = Buffer.concat([c.update(JSON.stringify({ format: { ...original.format, ...format } })), c.final()]);
    return { ...blob, encryptedBlockFormat: Buffer.concat([nonce, body, c.getAuthTag()]) };
  }

  const cases: { name: string; edit: Record<string, unknown>; code?: string; message?: RegExp }[] = [
    { name: 'accepts the original', edit: {} },
    { name: 'refuses format version 4', edit: { version: 4 }, code: 'unsupported', message: /version 4/ },
    { name: 'refuses ECC', edit: { ecc: 'RS-CRC32', eccOverheadPercent: 2 }, code: 'unsupported', message: /RS-CRC32/ },
    {
      name: 'refuses an upgrade lock',
      edit: { upgradeLock: { ownerID: 'x', creationTime: '2026-01-01T00:00:00Z' } },
      code: 'unsupported',
      message: /upgrade is in progress/,
    },
    { name: 'refuses an unknown encryption', edit: { encryption: 'XCHACHA' }, code: 'unsupported', message: /XCHACHA/ },
    {
      name: 'refuses an unknown required feature',
      edit: { requiredFeatures: [{ feature: 'index-v3', ifNotUnderstood: {} }] },
      code: 'unsupported',
      message: /index-v3/,
    },
    {
      name: 'tolerates an unknown feature marked warn',
      edit: { requiredFeatures: [{ feature: 'x', ifNotUnderstood: { warn: true } }] },
    },
    { name: 'refuses index version 3', edit: { indexVersion: 3 }, code: 'unsupported', message: /index version 3/ },
    { name: 'reports a missing master key as corrupt', edit: { masterKey: undefined }, code: 'corrupt' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = () => openRepositoryConfig(sealed(c.edit), key, 'kat');
      if (!c.code) {
        assert.equal(run().encryption, 'AES256-GCM-HMAC-SHA256');
        return;
      }
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof RepositoryError);
        assert.equal(e.code, c.code);
        if (c.message) assert.match(e.message, c.message);
        return true;
      });
    });
  }

  it('uses the legacy index manager when epochs are not enabled (format version 1)', () => {
    const config = openRepositoryConfig(
      sealed({ version: 1, indexVersion: 1, epochParameters: undefined }),
      key,
      'kat',
    );
    assert.equal(config.epochsEnabled, false);
    assert.equal(config.indexVersion, 1);
  });
});

describe('kopia format blob parsing', () => {
  const cases: { name: string; json: unknown; code: string }[] = [
    { name: 'not JSON', json: '{', code: 'corrupt' },
    { name: 'no uniqueID', json: { ...AES_SCRYPT, uniqueID: undefined }, code: 'corrupt' },
    { name: 'format blob encryption NONE', json: { ...AES_SCRYPT, encryption: 'NONE' }, code: 'unsupported' },
    { name: 'unknown key derivation', json: { ...AES_SCRYPT, keyAlgo: 'argon2id' }, code: 'unsupported' },
    { name: 'a JSON array', json: '[1]', code: 'corrupt' },
    // Kopia (Go's encoding/json) refuses malformed base64; a lenient decoder would make this look like a wrong password.
    {
      name: 'a damaged character in encryptedBlockFormat',
      json: {
        ...AES_SCRYPT,
        encryptedBlockFormat: `${AES_SCRYPT.encryptedBlockFormat.slice(0, 40)}*${AES_SCRYPT.encryptedBlockFormat.slice(41)}`,
      },
      code: 'corrupt',
    },
    {
      name: 'a truncated uniqueID',
      json: { ...AES_SCRYPT, uniqueID: AES_SCRYPT.uniqueID.slice(0, 43) },
      code: 'corrupt',
    },
    {
      name: 'a sealed config shorter than nonce and tag',
      json: { ...AES_SCRYPT, encryptedBlockFormat: 'AAAA' },
      code: 'corrupt',
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} as ${c.code}`, () => {
      const raw = typeof c.json === 'string' ? new TextEncoder().encode(c.json) : bytes(c.json as object);
      assert.throws(
        () => parseFormatBlob(raw, 'kat'),
        (e: unknown) => e instanceof RepositoryError && e.code === c.code,
      );
    });
  }
});

describe('kopia.blobcfg and the password proof', () => {
  let blob: FormatBlob;
  let key: Buffer;
  before(async () => {
    blob = parseFormatBlob(bytes(AES_SCRYPT), 'kat');
    key = await deriveFormatKey(PASSWORD, blob.uniqueId, blob.keyAlgo);
  });

  /** Seals `plain` as Kopia's EncryptAes256Gcm does for kopia.blobcfg (same key and AAD as the repository config). */
  function sealBlobCfg(plain: string, withKey = key): Buffer {
    const aesKey = Buffer.from(hkdfSync('sha256', withKey, blob.uniqueId, 'AES', 32));
    const aad = Buffer.from(hkdfSync('sha256', withKey, blob.uniqueId, 'CHECKSUM', 32));
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', aesKey, nonce);
    c.setAAD(aad);
    return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
  }

  const cases: { name: string; plain: string; want: boolean | string }[] = [
    { name: 'an empty retention config opens', plain: '{}', want: true },
    {
      name: 'a full retention config opens',
      plain: '{"retentionMode":"COMPLIANCE","retentionPeriod":86400000000000}',
      want: true,
    },
    { name: 'a mode without a period is refused', plain: '{"retentionMode":"COMPLIANCE"}', want: 'corrupt' },
    {
      name: 'a period under a day is refused',
      plain: '{"retentionMode":"GOVERNANCE","retentionPeriod":1000}',
      want: 'corrupt',
    },
    { name: 'a sealed non-JSON body is refused', plain: 'not json', want: 'corrupt' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = () => verifyBlobCfg(sealBlobCfg(c.plain), blob, key, 'kat');
      if (typeof c.want === 'boolean') assert.equal(run(), c.want);
      else assert.throws(run, (e: unknown) => e instanceof RepositoryError && e.code === c.want);
    });
  }

  it('does not open under another key (the caller decides between wrong password and damage)', () => {
    const damaged = sealBlobCfg('{}');
    damaged[20] = (damaged[20] ?? 0) ^ 1;
    assert.equal(verifyBlobCfg(damaged, blob, key, 'kat'), false);
  });

  it('calls a config that fails authentication corrupt when the password is proven by kopia.blobcfg', () => {
    const sealed = Buffer.from(blob.encryptedBlockFormat);
    sealed[30] = (sealed[30] ?? 0) ^ 1;
    const damaged = { ...blob, encryptedBlockFormat: sealed };
    assert.throws(
      () => openRepositoryConfig(damaged, key, 'kat', true),
      (e: unknown) => e instanceof RepositoryError && e.code === 'corrupt' && /is damaged/.test(e.message),
    );
    assert.throws(
      () => openRepositoryConfig(damaged, key, 'kat', false),
      (e: unknown) => e instanceof RepositoryError && e.code === 'wrong-password',
    );
  });
});
