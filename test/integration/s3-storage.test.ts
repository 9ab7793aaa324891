/**
 * S3Storage against a real MinIO server: pagination beyond 1000 keys, ranged reads, prefixes written every way,
 * one-level listings, and the error codes (missing key, missing bucket, TLS with and without the right CA).
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mapLimit } from '../../src/mover/restic/reader/map-limit.ts';
import { S3Storage, type S3StorageConfig } from '../../src/repository/storage/s3.ts';
import { StorageError, type StorageErrorCode } from '../../src/repository/storage/storage.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

async function rejectsWith(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    assert.ok(error instanceof StorageError, `expected a StorageError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    return true;
  });
  return caught as StorageError;
}

describe('S3Storage on MinIO', () => {
  let s3: S3Server;
  const storages: S3Storage[] = [];
  const open = (config: Partial<S3StorageConfig> = {}) => {
    const storage = new S3Storage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      region: s3.region,
      ...config,
    });
    storages.push(storage);
    return storage;
  };
  const put = (key: string, body: string | Uint8Array) =>
    s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));

  before(async () => {
    s3 = await startS3Server();
    const many = Array.from({ length: 1105 }, (_, i) => `many/data/${String(i).padStart(2, '0').slice(0, 2)}/${i}`);
    await mapLimit(many, 32, (key) => put(key, key));
    await put('many/config', 'config-bytes');
    await put('many/folder-marker/', '');
    await put('root-level', 'at the bucket root');
  });
  after(async () => {
    for (const storage of storages) storage.destroy();
    await s3?.stop();
  });

  it('lists more than 1000 keys across pages, relative to the prefix, without folder markers', async () => {
    for (const prefix of ['many', '/many/', 'many/']) {
      const storage = open({ prefix });
      const listed = await storage.list('data/');
      assert.equal(listed.length, 1105, `prefix ${prefix}`);
      assert.ok(listed.every((b) => b.key.startsWith('data/') && b.size === `many/${b.key}`.length));
      const all = await storage.list('');
      assert.equal(all.length, 1106, 'config plus the data; the folder marker is not a blob');
      assert.equal(storage.location, `s3:${s3.endpoint}/${s3.bucket}/many/`);
    }
    const bucketRoot = open();
    assert.ok((await bucketRoot.list('')).some((b) => b.key === 'root-level'));
  });

  it('reads whole objects and byte ranges; a missing key is undefined', async () => {
    const storage = open({ prefix: 'many' });
    assert.equal(Buffer.from((await storage.get('config')) ?? []).toString(), 'config-bytes');
    assert.equal(Buffer.from((await storage.get('config', { offset: 7, length: 5 })) ?? []).toString(), 'bytes');
    assert.equal(Buffer.from((await storage.get('config', { offset: 7, length: 500 })) ?? []).toString(), 'bytes');
    assert.deepEqual(await storage.get('config', { offset: 500, length: 10 }), new Uint8Array(0));
    assert.equal(await storage.get('no/such/key'), undefined);
  });

  it('lists one level of "directories" and shares its client with children', async () => {
    const storage = open({ prefix: 'many' });
    assert.deepEqual(await storage.listDirectories(''), ['data', 'folder-marker']);
    const data = await storage.listDirectories('data/');
    assert.equal(data.length, 100);
    const child = storage.child('data/10');
    assert.equal(child.location, `s3:${s3.endpoint}/${s3.bucket}/many/data/10/`);
    assert.equal(Buffer.from((await child.get('10')) ?? []).toString(), 'many/data/10/10');
  });

  it('says no-such-bucket for a missing bucket, on list and on get', async () => {
    const storage = open({ bucket: 'not-a-bucket', prefix: 'x' });
    await rejectsWith(storage.list(''), 'no-such-bucket');
    await rejectsWith(storage.get('config'), 'no-such-bucket');
  });

  it('says access-denied for a wrong access key and never echoes the secret', async () => {
    const secret = 'wrong-secret-0123456789abcdef';
    const error = await rejectsWith(
      open({ accessKeyId: 'nobody-here', secretAccessKey: secret }).get('x'),
      'access-denied',
    );
    assert.ok(!error.message.includes(secret));
    assert.ok(!error.location.includes('nobody-here'));
  });

  it('refuses endpoints with credentials, paths or odd schemes without repeating them', () => {
    for (const endpoint of ['http://user:pw-123@127.0.0.1:9000', 'http://127.0.0.1:9000/bucket', 'ftp://127.0.0.1']) {
      assert.throws(
        () => open({ endpoint }),
        (error: unknown) => error instanceof Error && !error.message.includes('pw-123'),
      );
    }
  });
});

describe('S3Storage over TLS', () => {
  let tls: S3Server;
  before(async () => {
    tls = await startS3Server({ tls: true });
  });
  after(async () => {
    await tls?.stop();
  });

  it('reads with the server’s CA and is unreachable without it', async (t) => {
    const config = {
      endpoint: tls.endpoint,
      bucket: tls.bucket,
      accessKeyId: tls.accessKeyId,
      secretAccessKey: tls.secretAccessKey,
    };
    assert.match(tls.endpoint, /^https:/);
    const trusted = new S3Storage({ ...config, ...(tls.caPem ? { caPem: tls.caPem } : {}) });
    const untrusted = new S3Storage(config);
    t.after(() => {
      trusted.destroy();
      untrusted.destroy();
    });
    assert.deepEqual(await trusted.list(''), []);
    const error = await rejectsWith(untrusted.list(''), 'unreachable');
    assert.match(error.message, /TLS/);
  });
});
