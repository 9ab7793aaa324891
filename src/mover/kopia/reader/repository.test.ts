import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BlobStorage, StorageError, type StorageErrorCode } from '../../../repository/storage/storage.ts';
import { RepositoryError } from '../../../repository/types.ts';
import { openKopiaRepository } from './repository.ts';

function storage(get: BlobStorage['get'], keys: string[] = []): BlobStorage & { reads: string[] } {
  const reads: string[] = [];
  return {
    location: 's3:http://127.0.0.1:9/bucket/',
    reads,
    async list(prefix) {
      return keys.filter((k) => k.startsWith(prefix)).map((key) => ({ key, size: 1 }));
    },
    async listKeys(prefix) {
      return keys.filter((k) => k.startsWith(prefix));
    },
    async get(key, range, signal) {
      reads.push(key);
      return await get(key, range, signal);
    },
  };
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RepositoryError, String(error));
    return error.code;
  }
  assert.fail('expected a RepositoryError');
}

describe('kopia reader failure classes', () => {
  const mapping: [StorageErrorCode, string][] = [
    ['unreachable', 'unreachable'],
    ['access-denied', 'access-denied'],
    ['timeout', 'timeout'],
    ['no-such-bucket', 'backend-error'],
    ['io', 'backend-error'],
  ];
  for (const [storageCode, repositoryCode] of mapping) {
    it(`maps storage '${storageCode}' to '${repositoryCode}'`, async () => {
      const s = storage(async () => {
        throw new StorageError(storageCode, 's3:…/bucket/', `simulated ${storageCode}`);
      });
      const r = openKopiaRepository(s, 'pw', { layout: { kind: 's3', prefix: 'team' } });
      assert.equal(await code(r.listSources()), repositoryCode);
    });
  }

  it('reports repository-not-found only after trying both S3 prefix spellings (and finding no kopia.blobcfg), naming them', async () => {
    const s = storage(async () => undefined);
    const r = openKopiaRepository(s, 'pw', { layout: { kind: 's3', prefix: 'team' } });
    await assert.rejects(r.listSources(), (e: unknown) => {
      assert.ok(e instanceof RepositoryError);
      assert.equal(e.code, 'repository-not-found');
      assert.match(e.message, /team\/ or .*team\b/);
      return true;
    });
    assert.deepEqual(s.reads, [
      'team/kopia.repository',
      'teamkopia.repository',
      'team/kopia.blobcfg',
      'teamkopia.blobcfg',
    ]);
  });

  it('reports a cancelled refresh as a timeout', async () => {
    const s = storage(
      (_key, _range, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    const r = openKopiaRepository(s, 'pw', { layout: { kind: 'filesystem' } });
    const controller = new AbortController();
    const pending = r.listSources(controller.signal);
    controller.abort(new Error('deadline'));
    assert.equal(await code(pending), 'timeout');
  });

  it('does no I/O until asked', () => {
    const s = storage(async () => {
      throw new Error('must not be called');
    });
    openKopiaRepository(s, 'pw', { layout: { kind: 'filesystem' } });
    assert.deepEqual(s.reads, []);
  });
});
