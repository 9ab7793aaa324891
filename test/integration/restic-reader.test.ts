/**
 * The native restic reader against repositories written by the real restic binary (v0.18.1), format v1 and v2, on
 * the filesystem and on a real MinIO server: it must list exactly what `restic snapshots --json` lists, and fail with
 * the right RepositoryError code for every way a repository can be missing, locked away or damaged.
 */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ResticCache } from '../../src/mover/restic/reader/cache.ts';
import { discoverResticRepositories } from '../../src/mover/restic/reader/discover.ts';
import { type PvcRef, parseResticLocation, parseResticTemplate } from '../../src/mover/restic/reader/location.ts';
import { openResticRepository } from '../../src/mover/restic/reader/repository.ts';
import { isVolSyncSnapshot } from '../../src/mover/restic/reader/snapshot.ts';
import { storageForResticLocation } from '../../src/mover/restic/reader/storage-for-location.ts';
import { S3Storage } from '../../src/repository/storage/s3.ts';
import type { BlobStorage } from '../../src/repository/storage/storage.ts';
import { RepositoryError, type RepositoryErrorCode } from '../../src/repository/types.ts';
import { freePort } from '../support/processes.ts';
import {
  createResticRepository,
  RESTIC_TEST_PASSWORD,
  type ResticJsonSnapshot,
  type ResticTestRepository,
} from '../support/restic.ts';
import { listResticSnapshots, renderResticTemplate } from '../support/restic-reader.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

let s3: S3Server;
before(async () => {
  s3 = await startS3Server();
});
after(async () => {
  await s3?.stop();
});

/** The storage the catalog would build for this repository: parsed from its RESTIC_REPOSITORY value. */
function storageOf(repo: ResticTestRepository, s3Overrides: { secretAccessKey?: string } = {}): BlobStorage {
  return storageForResticLocation(parseResticLocation(repo.repository), {
    mountPoint: repo.dir,
    s3: {
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3Overrides.secretAccessKey ?? s3.secretAccessKey,
      region: s3.region,
      requestTimeoutMs: 5000,
    },
  });
}

/** What `restic snapshots --json` says, in the reader's terms. */
function expected(listed: ResticJsonSnapshot[]) {
  return listed
    .map((s) => ({
      id: s.id,
      timeMs: Date.parse(s.time),
      hostname: s.hostname,
      paths: s.paths,
      tags: s.tags ?? [],
      sizeBytes: s.summary?.total_bytes_processed,
    }))
    .sort((a, b) => a.timeMs - b.timeMs);
}

async function rejectsWith(promise: Promise<unknown>, code: RepositoryErrorCode): Promise<RepositoryError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    assert.ok(error instanceof RepositoryError, `expected a RepositoryError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    return true;
  });
  return caught as RepositoryError;
}

const fresh = () => ({ cache: new ResticCache() });

for (const on of ['fs', 's3'] as const) {
  describe(`restic reader on ${on}`, () => {
    for (const version of [1, 2] as const) {
      it(`lists exactly what restic lists in a v${version} repository, forgotten snapshots gone`, async (t) => {
        const repo = await createResticRepository({ on, version, server: s3 });
        t.after(() => repo.cleanup());
        const first = await repo.backup({ time: '2026-01-01 00:00:00' });
        // Stored with a +05:30 offset: the reader must normalise it (04:00 UTC), not sort by the string.
        const offset = await repo.backup({ time: '2026-01-02 09:30:00', tz: 'Asia/Kolkata' });
        await repo.backup({ time: '2026-01-02 05:00:00', host: 'laptop', tags: ['manual'] });
        const latest = await repo.backup({ time: '2026-01-03 00:00:00', files: { 'a/b.txt': 'twelve bytes' } });
        await repo.forget([first]);

        const cache = new ResticCache();
        const repository = await openResticRepository(storageOf(repo), repo.password, { cache });
        assert.equal(repository.version, version);
        const ours = await repository.listSnapshots();
        const theirs = await repo.snapshots();
        assert.equal(theirs.length, 3);
        assert.deepEqual(
          ours.map((s) => ({
            id: s.id,
            timeMs: s.timeMs,
            hostname: s.hostname,
            paths: s.paths,
            tags: s.tags,
            sizeBytes: s.sizeBytes,
          })),
          expected(theirs),
        );
        assert.ok(!ours.some((s) => s.id === first), 'a forgotten snapshot must not be listed');
        assert.equal(ours[0]?.id, offset);
        assert.equal(ours[0]?.time, '2026-01-02T04:00:00.000Z');
        assert.equal(ours.at(-1)?.id, latest);
        assert.equal(ours.at(-1)?.sizeBytes, 12);
        assert.deepEqual(
          ours.filter(isVolSyncSnapshot).map((s) => s.id),
          [offset, latest],
        );

        // A refresh of the unchanged repository: no scrypt, no snapshot file read again.
        const before = { ...cache.stats };
        await listResticSnapshots(storageOf(repo), repo.password, { cache });
        assert.deepEqual(cache.stats, before);
        // ...and a new backup shows up on the next refresh.
        const next = await repo.backup({ time: '2026-01-04 00:00:00' });
        const refreshed = await listResticSnapshots(storageOf(repo), repo.password, { cache });
        assert.equal(refreshed.at(-1)?.id, next);
      });
    }

    it('says wrong-password when no key accepts the password', async (t) => {
      const repo = await createResticRepository({ on, version: 2, server: s3 });
      t.after(() => repo.cleanup());
      await repo.backup();
      const error = await rejectsWith(
        listResticSnapshots(storageOf(repo), 'not the password', fresh()),
        'wrong-password',
      );
      // Which password source to check is the decision's remedy (it knows the source); the reader says what failed.
      assert.match(error.message, /none of the 1 key file\(s\) accepts it/);
      const restic = await repo.tryRun(['snapshots'], { password: 'not the password' });
      assert.equal(restic.code, 12, 'restic agrees: exit code 12 is "wrong password"');
    });

    it('opens with any one of several keys, including a non-ASCII password', async (t) => {
      const unicode = 'pässwörd ✓ 日本語';
      const repo = await createResticRepository({ on, version: 2, server: s3, password: unicode });
      t.after(() => repo.cleanup());
      await repo.addKey('second key');
      await repo.addKey('third key');
      const id = await repo.backup();
      for (const password of [unicode, 'second key', 'third key']) {
        const ids = (await listResticSnapshots(storageOf(repo), password, fresh())).map((s) => s.id);
        assert.deepEqual(ids, [id], `password ${password}`);
      }
      // The same bytes read as Latin-1 are another password: restic feeds UTF-8 to scrypt.
      await rejectsWith(
        listResticSnapshots(storageOf(repo), Buffer.from(unicode, 'utf8').toString('latin1'), fresh()),
        'wrong-password',
      );
    });

    it('says corrupt for a damaged snapshot file, whether or not its name still matches', async (t) => {
      const repo = await createResticRepository({ on, version: 2, server: s3 });
      t.after(() => repo.cleanup());
      const good = await repo.backup({ time: '2026-01-01 00:00:00' });
      const bad = await repo.backup({ time: '2026-01-02 00:00:00' });
      assert.equal((await listResticSnapshots(storageOf(repo), repo.password, fresh())).length, 2);

      await repo.corrupt(`snapshots/${bad}`);
      const byName = await rejectsWith(listResticSnapshots(storageOf(repo), repo.password, fresh()), 'corrupt');
      assert.match(byName.message, new RegExp(bad));

      const renamed = await repo.corruptAndRename(`snapshots/${good}`);
      await repo.deleteRaw(`snapshots/${bad}`);
      const byMac = await rejectsWith(listResticSnapshots(storageOf(repo), repo.password, fresh()), 'corrupt');
      assert.match(byMac.message, /MAC/);
      assert.match(byMac.message, new RegExp(renamed.slice('snapshots/'.length)));
    });

    it('says repository-not-found for a reachable location with nothing in it', async (t) => {
      const repo = await createResticRepository({ on, version: 2, server: s3, uninitialised: true });
      t.after(() => repo.cleanup());
      const error = await rejectsWith(
        listResticSnapshots(storageOf(repo), repo.password, fresh()),
        'repository-not-found',
      );
      assert.match(error.message, /no config file/);
      assert.equal((await repo.tryRun(['snapshots'])).code, 10, 'restic agrees: exit code 10 is "no repository"');
    });

    it('lists zero snapshots for an initialised, empty repository', async (t) => {
      const repo = await createResticRepository({ on, version: 2, server: s3 });
      t.after(() => repo.cleanup());
      assert.deepEqual(await listResticSnapshots(storageOf(repo), repo.password, fresh()), []);
      assert.deepEqual(await repo.snapshots(), []);
    });

    it('finds every repository of a template and the PVC each belongs to', async (t) => {
      const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-discover-'));
      t.after(() => rmSync(scratch, { recursive: true, force: true }));
      const base = on === 's3' ? `s3:${s3.endpoint}/${s3.bucket}/discover-${Date.now()}` : scratch;
      const template = `${base}/{namespace}/{pvc}`;
      const pvcs = [
        { namespace: 'team-a', pvc: 'db' },
        { namespace: 'team-b', pvc: 'media.cache' },
      ];
      const ids: string[] = [];
      for (const [i, ref] of pvcs.entries()) {
        const location = parseResticLocation(renderResticTemplate(template, ref));
        const path = location.backend === 'local' ? location.path : location.prefix;
        const repo = await createResticRepository({ on, version: 2, server: s3, path });
        t.after(() => repo.cleanup());
        ids.push(await repo.backup({ time: `2026-02-0${i + 1} 00:00:00` }));
      }
      const parsed = parseResticTemplate(template);
      // Not repositories of this template: a name that is no Kubernetes name, and a file one level too shallow.
      for (const junk of ['team-c/Not_A_PVC/config', 'team-d/config']) {
        if (parsed.base.backend === 'local') {
          mkdirSync(join(parsed.base.path, junk, '..'), { recursive: true });
          writeFileSync(join(parsed.base.path, junk), 'junk');
        } else {
          await s3.client.send(
            new PutObjectCommand({ Bucket: s3.bucket, Key: `${parsed.base.prefix}/${junk}`, Body: 'junk' }),
          );
        }
      }

      const baseStorage = storageForResticLocation(parsed.base, {
        mountPoint: scratch,
        s3: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      t.after(() => (baseStorage instanceof S3Storage ? baseStorage.destroy() : undefined));
      const found = await discoverResticRepositories(parsed, baseStorage);
      assert.deepEqual(
        found.map((f) => f.refs),
        pvcs.map((ref) => [ref]),
      );
      for (const [i, repository] of found.entries()) {
        assert.deepEqual(repository.location, parseResticLocation(renderResticTemplate(template, pvcs[i] as PvcRef)));
        const snapshots = await listResticSnapshots(repository.storage, RESTIC_TEST_PASSWORD, fresh());
        assert.deepEqual(
          snapshots.map((s) => s.id),
          [ids[i]],
        );
      }
    });
  });
}

describe('restic reader: a repository upgraded from v1 to v2', () => {
  it('reads the old uncompressed snapshots next to the new compressed ones', async (t) => {
    const repo = await createResticRepository({ on: 'fs', version: 1 });
    t.after(() => repo.cleanup());
    const old = await repo.backup({ time: '2025-06-01 00:00:00' });
    await repo.run(['migrate', 'upgrade_repo_v2']);
    const recent = await repo.backup({ time: '2026-06-01 00:00:00' });
    const repository = await openResticRepository(storageOf(repo), repo.password, fresh());
    assert.equal(repository.version, 2);
    const ours = await repository.listSnapshots();
    assert.deepEqual(
      ours.map((s) => s.id),
      [old, recent],
    );
    assert.deepEqual(
      ours.map((s) => ({
        id: s.id,
        timeMs: s.timeMs,
        hostname: s.hostname,
        paths: s.paths,
        tags: s.tags,
        sizeBytes: s.sizeBytes,
      })),
      expected(await repo.snapshots()),
    );
  });
});

describe('restic reader: storage failures are never "no backup"', () => {
  it('fs: an unmounted volume is unreachable, not an empty repository', async (t) => {
    const repo = await createResticRepository({ on: 'fs', version: 2, uninitialised: true });
    t.after(() => repo.cleanup());
    const storage = storageForResticLocation(parseResticLocation(repo.repository), {
      mountPoint: join(repo.dir, 'not-mounted'),
    });
    await rejectsWith(listResticSnapshots(storage, repo.password, fresh()), 'unreachable');
  });

  it('s3: a closed port is unreachable', async () => {
    const port = await freePort();
    const storage = new S3Storage({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'b',
      prefix: 'p',
      accessKeyId: 'x',
      secretAccessKey: 'y',
    });
    const error = await rejectsWith(listResticSnapshots(storage, 'pw', fresh()), 'unreachable');
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('s3: a server that accepts but never answers is a timeout, within the deadline', async (t) => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    const storage = new S3Storage({
      endpoint: `http://127.0.0.1:${address.port}`,
      bucket: 'b',
      accessKeyId: 'x',
      secretAccessKey: 'y',
      requestTimeoutMs: 60_000,
    });
    t.after(() => storage.destroy());
    const started = Date.now();
    await rejectsWith(listResticSnapshots(storage, 'pw', { ...fresh(), signal: AbortSignal.timeout(700) }), 'timeout');
    const took = Date.now() - started;
    assert.ok(took < 2000, `the deadline was 700 ms but the reader returned after ${took} ms`);

    // Without a caller deadline the per-request timeout still ends it.
    const bounded = new S3Storage({
      endpoint: `http://127.0.0.1:${address.port}`,
      bucket: 'b',
      accessKeyId: 'x',
      secretAccessKey: 'y',
      requestTimeoutMs: 400,
      maxAttempts: 1,
    });
    t.after(() => bounded.destroy());
    await rejectsWith(listResticSnapshots(bounded, 'pw', fresh()), 'timeout');
  });

  it('s3: a wrong secret is access-denied, and the secret appears in no message', async (t) => {
    const repo = await createResticRepository({ on: 's3', version: 2, server: s3 });
    t.after(() => repo.cleanup());
    const wrongSecret = 'definitely-wrong-secret-value';
    const error = await rejectsWith(
      listResticSnapshots(storageOf(repo, { secretAccessKey: wrongSecret }), repo.password, fresh()),
      'access-denied',
    );
    assert.ok(!error.message.includes(wrongSecret) && !error.location.includes(wrongSecret));
    assert.ok(!error.message.includes(s3.secretAccessKey));
  });

  it('s3: a missing bucket is a backend error, not "no repository"', async () => {
    const storage = new S3Storage({
      endpoint: s3.endpoint,
      bucket: 'no-such-bucket-here',
      prefix: 'ns/pvc',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    const error = await rejectsWith(listResticSnapshots(storage, 'pw', fresh()), 'backend-error');
    assert.match(error.message, /bucket 'no-such-bucket-here' does not exist/);
  });
});
