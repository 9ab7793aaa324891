/**
 * The reader's decisions over an in-memory repository written here with restic's format (cheap scrypt parameters so
 * dozens of keys stay fast). Repositories written by the real restic binary are covered in
 * test/integration/restic-reader.test.ts.
 */

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { listResticSnapshots } from '../../../../test/support/restic-reader.ts';
import { type BlobInfo, type BlobStorage, type ByteRange, StorageError } from '../../../repository/storage/storage.ts';
import { RepositoryError, type RepositoryErrorCode } from '../../../repository/types.ts';
import { ResticCache } from './cache.ts';
import { deriveUserKey, encrypt, type ResticKey, splitKey } from './crypto.ts';
import { openResticRepository } from './repository.ts';
import { isVolSyncSnapshot } from './snapshot.ts';

class MemoryStorage implements BlobStorage {
  readonly location = 'memory:/repo';
  readonly files = new Map<string, Uint8Array>();
  failWith: StorageError | undefined;
  gets = 0;

  async list(prefix: string): Promise<BlobInfo[]> {
    if (this.failWith) throw this.failWith;
    return [...this.files].filter(([k]) => k.startsWith(prefix)).map(([key, v]) => ({ key, size: v.length }));
  }

  async listKeys(prefix: string): Promise<string[]> {
    return (await this.list(prefix)).map((info) => info.key);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | undefined> {
    if (this.failWith) throw this.failWith;
    this.gets++;
    const data = this.files.get(key);
    return range && data ? data.subarray(range.offset, range.offset + range.length) : data;
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

interface FakeRepo {
  storage: MemoryStorage;
  master: ResticKey;
  version: 1 | 2;
}

async function keyFile(master: ResticKey, password: string, N = 16): Promise<Uint8Array> {
  const salt = randomBytes(64);
  const user = await deriveUserKey(password, { N, r: 1, p: 1, salt });
  const masterJson = { mac: { k: b64(master.macK), r: b64(master.macR) }, encrypt: b64(master.encrypt) };
  const data = encrypt(user, utf8(JSON.stringify(masterJson)));
  return utf8(
    JSON.stringify({ created: '2026-01-01T00:00:00Z', kdf: 'scrypt', N, r: 1, p: 1, salt: b64(salt), data: b64(data) }),
  );
}

async function fakeRepo(version: 1 | 2, passwords: string[]): Promise<FakeRepo> {
  const storage = new MemoryStorage();
  const master = splitKey(randomBytes(64));
  for (const password of passwords) {
    const bytes = await keyFile(master, password);
    storage.files.set(`keys/${sha256(bytes)}`, bytes);
  }
  const config = { version, id: sha256(randomBytes(8)), chunker_polynomial: '3da3358b4dc173' };
  storage.files.set('config', encrypt(master, utf8(JSON.stringify(config))));
  return { storage, master, version };
}

/** Writes a snapshot file as restic does (v2: 0x02 + zstd unless `plainJson`); returns its ID. */
function addSnapshot(repo: FakeRepo, json: object, options: { plainJson?: boolean } = {}): string {
  const text = utf8(JSON.stringify(json));
  const body =
    repo.version === 2 && !options.plainJson ? Buffer.concat([Buffer.from([2]), zstdCompressSync(text)]) : text;
  const sealed = encrypt(repo.master, body);
  const id = sha256(sealed);
  repo.storage.files.set(`snapshots/${id}`, sealed);
  return id;
}

const volsync = (time: string, extra: object = {}) => ({
  time,
  tree: 'a'.repeat(64),
  paths: ['/data'],
  hostname: 'volsync',
  username: '',
  ...extra,
});

async function rejectsWith(promise: Promise<unknown>, code: RepositoryErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RepositoryError, `expected RepositoryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('restic repository reader (in-memory repositories)', () => {
  for (const version of [1, 2] as const) {
    it(`lists v${version} snapshots oldest first with normalised times, sizes and filters`, async () => {
      const repo = await fakeRepo(version, ['pw']);
      const late = addSnapshot(
        repo,
        volsync('2026-03-01T10:00:00.000000002+02:00', { summary: { total_bytes_processed: 42 } }),
      );
      const early = addSnapshot(repo, volsync('2026-03-01T08:00:00.000000001Z'));
      const other = addSnapshot(repo, {
        ...volsync('2026-02-01T00:00:00-05:30'),
        hostname: 'laptop',
        paths: ['/home'],
        tags: ['x'],
      });
      const snapshots = await listResticSnapshots(repo.storage, 'pw', { cache: new ResticCache() });
      assert.deepEqual(
        snapshots.map((s) => [s.id, s.time, s.timeMs, s.sizeBytes, isVolSyncSnapshot(s)]),
        [
          [other, '2026-02-01T05:30:00.000Z', Date.UTC(2026, 1, 1, 5, 30), undefined, false],
          [early, '2026-03-01T08:00:00.000Z', Date.UTC(2026, 2, 1, 8), undefined, true],
          [late, '2026-03-01T08:00:00.000Z', Date.UTC(2026, 2, 1, 8), 42, true],
        ],
      );
      assert.deepEqual(snapshots[0]?.tags, ['x']);
      assert.equal(snapshots[2]?.shortId, late.slice(0, 8));
    });
  }

  it('reads JSON snapshots left from before a v1 → v2 upgrade next to compressed ones', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const old = addSnapshot(repo, volsync('2025-01-01T00:00:00Z'), { plainJson: true });
    const recent = addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
    const ids = (await listResticSnapshots(repo.storage, 'pw', { cache: new ResticCache() })).map((s) => s.id);
    assert.deepEqual(ids, [old, recent]);
  });

  it('ignores temp files, junk and nested paths in snapshots/', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const id = addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
    repo.storage.files.set(`snapshots/${id}-tmp-123456`, new Uint8Array(10));
    repo.storage.files.set('snapshots/README', new Uint8Array(10));
    repo.storage.files.set(`snapshots/sub/${id}`, new Uint8Array(10));
    repo.storage.files.set(`snapshots/${id.toUpperCase()}`, new Uint8Array(10));
    const ids = (await listResticSnapshots(repo.storage, 'pw', { cache: new ResticCache() })).map((s) => s.id);
    assert.deepEqual(ids, [id]);
  });

  it('tries every key file, also beyond restic’s 20, and remembers the result', async () => {
    const passwords = Array.from({ length: 24 }, (_, i) => `other-${i}`);
    const repo = await fakeRepo(2, [...passwords, 'the right one']);
    addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
    const cache = new ResticCache();
    assert.equal((await listResticSnapshots(repo.storage, 'the right one', { cache })).length, 1);
    // The memory storage lists in insertion order, so the right key is the 25th tried.
    assert.equal(cache.stats.kdfRuns, 25);
    const runsAfterFirst = cache.stats.kdfRuns;
    const getsBefore = repo.storage.gets;
    assert.equal((await listResticSnapshots(repo.storage, 'the right one', { cache })).length, 1);
    assert.equal(cache.stats.kdfRuns, runsAfterFirst, 'a refresh must not run scrypt again');
    assert.equal(repo.storage.gets - getsBefore, 1, 'a refresh reads config only: keys and snapshots are cached');
  });

  it('reports a wrong password, and does not re-run scrypt for it on the next refresh', async () => {
    const repo = await fakeRepo(2, ['a', 'b', 'c']);
    const cache = new ResticCache();
    await rejectsWith(openResticRepository(repo.storage, 'nope', { cache }), 'wrong-password', /3 key file/);
    assert.equal(cache.stats.kdfRuns, 3);
    await rejectsWith(openResticRepository(repo.storage, 'nope', { cache }), 'wrong-password');
    assert.equal(cache.stats.kdfRuns, 3);
  });

  it('shares one scrypt run between concurrent opens of the same repository', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const cache = new ResticCache();
    await Promise.all([1, 2, 3].map(() => openResticRepository(repo.storage, 'pw', { cache })));
    assert.equal(cache.stats.kdfRuns, 1);
  });

  it('says repository-not-found only when config is missing', async () => {
    const empty = new MemoryStorage();
    await rejectsWith(openResticRepository(empty, 'pw', { cache: new ResticCache() }), 'repository-not-found');
    const keysOnly = await fakeRepo(2, ['pw']);
    keysOnly.storage.files.delete('config');
    await rejectsWith(
      openResticRepository(keysOnly.storage, 'pw', { cache: new ResticCache() }),
      'repository-not-found',
    );
  });

  it('returns zero snapshots for an initialised, empty repository', async () => {
    const repo = await fakeRepo(1, ['pw']);
    assert.deepEqual(await listResticSnapshots(repo.storage, 'pw', { cache: new ResticCache() }), []);
  });

  it('calls damage after the password was accepted corrupt, never wrong-password', async () => {
    const cases: [string, (repo: FakeRepo, id: string) => void][] = [
      [
        'content hash differs from the name',
        (repo, id) => {
          const bytes = Uint8Array.from(repo.storage.files.get(`snapshots/${id}`) as Uint8Array);
          bytes[40] = (bytes[40] as number) ^ 1;
          repo.storage.files.set(`snapshots/${id}`, bytes);
        },
      ],
      [
        'MAC fails although the name matches',
        (repo, id) => {
          const bytes = Uint8Array.from(repo.storage.files.get(`snapshots/${id}`) as Uint8Array);
          bytes[40] = (bytes[40] as number) ^ 1;
          repo.storage.files.delete(`snapshots/${id}`);
          repo.storage.files.set(`snapshots/${sha256(bytes)}`, bytes);
        },
      ],
      [
        'truncated file renamed to its hash',
        (repo, id) => {
          const bytes = (repo.storage.files.get(`snapshots/${id}`) as Uint8Array).subarray(0, 20);
          repo.storage.files.delete(`snapshots/${id}`);
          repo.storage.files.set(`snapshots/${sha256(bytes)}`, bytes);
        },
      ],
      [
        'authentic but not JSON',
        (repo, id) => {
          repo.storage.files.delete(`snapshots/${id}`);
          const sealed = encrypt(repo.master, Buffer.concat([Buffer.from([2]), zstdCompressSync(utf8('not json'))]));
          repo.storage.files.set(`snapshots/${sha256(sealed)}`, sealed);
        },
      ],
      [
        'authentic JSON without a time',
        (repo, id) => {
          repo.storage.files.delete(`snapshots/${id}`);
          addSnapshot(repo, { tree: 'b'.repeat(64), paths: ['/data'] });
        },
      ],
      [
        'config does not verify with the key the password opened',
        (repo) => {
          const config = Uint8Array.from(repo.storage.files.get('config') as Uint8Array);
          config[20] = (config[20] as number) ^ 1;
          repo.storage.files.set('config', config);
        },
      ],
    ];
    for (const [what, damage] of cases) {
      const repo = await fakeRepo(2, ['pw']);
      const id = addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
      damage(repo, id);
      await rejectsWith(listResticSnapshots(repo.storage, 'pw', { cache: new ResticCache() }), 'corrupt').catch(
        (error: unknown) => assert.fail(`${what}: ${error}`),
      );
    }
  });

  it('verifies a config changed since the last open afresh, with the remembered key', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const id = addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
    const cache = new ResticCache();
    assert.deepEqual(
      (await listResticSnapshots(repo.storage, 'pw', { cache })).map((s) => s.id),
      [id],
    );
    const good = repo.storage.files.get('config') as Uint8Array;
    const damaged = Uint8Array.from(good);
    damaged[20] = (damaged[20] as number) ^ 1;
    repo.storage.files.set('config', damaged);
    await rejectsWith(listResticSnapshots(repo.storage, 'pw', { cache }), 'corrupt');
    repo.storage.files.set('config', good);
    assert.deepEqual(
      (await listResticSnapshots(repo.storage, 'pw', { cache })).map((s) => s.id),
      [id],
    );
    assert.equal(cache.stats.kdfRuns, 2, 'the damaged config sent the key back to scrypt once');
  });

  it('refuses repository versions and KDFs it does not know, and config without keys', async () => {
    const repo = await fakeRepo(2, ['pw']);
    repo.storage.files.set('config', encrypt(repo.master, utf8(JSON.stringify({ version: 3, id: 'c'.repeat(64) }))));
    await rejectsWith(
      openResticRepository(repo.storage, 'pw', { cache: new ResticCache() }),
      'unsupported',
      /version 3/,
    );

    const argon = await fakeRepo(2, []);
    const file = utf8(JSON.stringify({ kdf: 'argon2id', N: 1, r: 1, p: 1, salt: b64(randomBytes(64)), data: 'AA==' }));
    argon.storage.files.set(`keys/${sha256(file)}`, file);
    await rejectsWith(
      openResticRepository(argon.storage, 'pw', { cache: new ResticCache() }),
      'unsupported',
      /argon2id/,
    );

    const keyless = await fakeRepo(2, []);
    await rejectsWith(
      openResticRepository(keyless.storage, 'pw', { cache: new ResticCache() }),
      'corrupt',
      /no key files/,
    );
  });

  it('still opens with a good key when another key file is damaged', async () => {
    const repo = await fakeRepo(2, ['pw']);
    repo.storage.files.set(`keys/${'d'.repeat(64)}`, utf8('{"kdf":"scrypt"}'));
    const junk = utf8('not even json');
    repo.storage.files.set(`keys/${sha256(junk)}`, junk);
    const opened = await openResticRepository(repo.storage, 'pw', { cache: new ResticCache() });
    assert.equal(opened.version, 2);
    await rejectsWith(
      openResticRepository(repo.storage, 'wrong', { cache: new ResticCache() }),
      'wrong-password',
      /Skipped/,
    );
  });

  it('skips a snapshot forgotten between listing and reading', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const keep = addSnapshot(repo, volsync('2026-01-01T00:00:00Z'));
    const gone = addSnapshot(repo, volsync('2026-01-02T00:00:00Z'));
    const storage = repo.storage;
    const listKeys = storage.listKeys.bind(storage);
    storage.listKeys = async (prefix: string) => {
      const listing = await listKeys(prefix);
      if (prefix === 'snapshots/') storage.files.delete(`snapshots/${gone}`);
      return listing;
    };
    const ids = (await listResticSnapshots(storage, 'pw', { cache: new ResticCache() })).map((s) => s.id);
    assert.deepEqual(ids, [keep]);
  });

  it('passes storage failures through with their own codes and turns an abort into a timeout', async () => {
    const repo = await fakeRepo(2, ['pw']);
    const cases: [StorageError, RepositoryErrorCode][] = [
      [new StorageError('access-denied', 'memory:/repo', 'denied'), 'access-denied'],
      [new StorageError('unreachable', 'memory:/repo', 'refused'), 'unreachable'],
      [new StorageError('no-such-bucket', 'memory:/repo', 'no bucket'), 'backend-error'],
      [new StorageError('io', 'memory:/repo', 'HTTP 500'), 'backend-error'],
      [new StorageError('timeout', 'memory:/repo', 'slow'), 'timeout'],
    ];
    for (const [failure, code] of cases) {
      repo.storage.failWith = failure;
      await rejectsWith(openResticRepository(repo.storage, 'pw', { cache: new ResticCache() }), code);
    }
    repo.storage.failWith = undefined;
    await rejectsWith(
      openResticRepository(repo.storage, 'pw', { cache: new ResticCache(), signal: AbortSignal.abort() }),
      'timeout',
    );
  });
});
