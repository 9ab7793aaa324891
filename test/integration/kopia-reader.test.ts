/**
 * The Kopia reader against repositories written by the real kopia binary (v0.21.1): every listing is compared with
 * `kopia snapshot list --all --json` of the same repository, and the active index set with `kopia index list`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, open, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { kopiaLocationFromEnv } from '../../src/mover/kopia/reader/location.ts';
import { type KopiaRepository, openKopiaRepository } from '../../src/mover/kopia/reader/repository.ts';
import { FsStorage } from '../../src/repository/storage/fs.ts';
import { S3Storage } from '../../src/repository/storage/s3.ts';
import type { BlobInfo, BlobStorage, ByteRange } from '../../src/repository/storage/storage.ts';
import { RepositoryError, type Snapshot } from '../../src/repository/types.ts';
import {
  createKopiaRepository,
  DEFAULT_PASSWORD,
  expectedSources,
  type KopiaTestRepository,
  makeSourceDir,
} from '../support/kopia.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

function reader(repo: KopiaTestRepository, password = repo.password, storage?: BlobStorage): KopiaRepository {
  return openKopiaRepository(storage ?? new FsStorage({ root: repo.repoPath as string }), password, {
    layout: { kind: 'filesystem' },
  });
}

function simplify(sources: Map<string, Snapshot[]>) {
  return new Map(
    [...sources].map(([source, snaps]) => [
      source,
      snaps.map((s) => ({ id: s.id, time: s.time, incomplete: s.incomplete === true, sizeBytes: s.sizeBytes })),
    ]),
  );
}

/** The reader's answer equals Kopia's own listing: same sources, same snapshots in the same order. */
async function assertSameAsKopia(repo: KopiaTestRepository, r: KopiaRepository = reader(repo)) {
  const actual = simplify(await r.listSources());
  const expected = expectedSources(await repo.listSnapshots());
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [source, snaps] of expected) assert.deepEqual(actual.get(source), snaps, `snapshots of ${source}`);
  for (const [, snaps] of actual) {
    for (const s of snaps) assert.equal(new Date(s.time).getTime(), Date.parse(s.time));
  }
  return actual;
}

async function assertRejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RepositoryError, `expected a RepositoryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Every file below `dir`, relative paths. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

async function flipByte(path: string, offset: number) {
  const handle = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, offset);
    buf[0] = (buf[0] ?? 0) ^ 0xff;
    await handle.write(buf, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

/** A BlobStorage wrapper for fault injection around a real one. */
function intercept(
  inner: BlobStorage,
  hooks: {
    afterList?: (prefix: string, result: BlobInfo[]) => Promise<void>;
    get?: (key: string, range?: ByteRange) => 'missing' | undefined;
  },
): BlobStorage {
  return {
    location: inner.location,
    async list(prefix, signal) {
      const result = await inner.list(prefix, signal);
      await hooks.afterList?.(prefix, result);
      return result;
    },
    async listKeys(prefix, signal) {
      return (await this.list(prefix, signal)).map((info) => info.key);
    },
    async get(key, range, signal) {
      if (hooks.get?.(key, range) === 'missing') return undefined;
      return await inner.get(key, range, signal);
    },
  };
}

const T0 = Date.UTC(2026, 0, 10, 8, 0, 0);
const at = (hours: number) => new Date(T0 + hours * 3_600_000);

describe('kopia reader: one filesystem repository with several identities', () => {
  let repo: KopiaTestRepository;
  let dataDir: string;

  before(async () => {
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
    dataDir = await makeSourceDir(repo.root, 'data', { 'a.txt': 'alpha', 'sub/b.txt': 'beta'.repeat(1000) });
    const bigDir = await makeSourceDir(repo.root, 'big', { 'big.bin': randomBytes(3 * 1024 * 1024) });
    for (const h of [0, 1, 2]) await repo.snapshot({ source: 'app-backup@ns1:/data', dir: dataDir, startTime: at(h) });
    await repo.snapshot({ source: 'app@ns1:/data', dir: dataDir, startTime: at(3) });
    for (const h of [4, 5]) await repo.snapshot({ source: 'db-backup@ns2:/data', dir: dataDir, startTime: at(h) });
    // An upload stopped by --upload-limit-mb is saved as incomplete ("limit reached").
    await repo.snapshot({ source: 'big-backup@ns2:/data', dir: bigDir, startTime: at(6), uploadLimitMb: 1 });
    // A real periodic checkpoint of a backup that was then killed.
    await repo.checkpoint('slow-backup@ns3:/data');
  });
  after(async () => await repo?.cleanup());

  it('lists every source and snapshot exactly like kopia snapshot list --all --json', async () => {
    const sources = await assertSameAsKopia(repo);
    assert.deepEqual(
      [...sources.keys()],
      ['app-backup@ns1:/data', 'app@ns1:/data', 'big-backup@ns2:/data', 'db-backup@ns2:/data', 'slow-backup@ns3:/data'],
    );
    assert.deepEqual(
      sources.get('app-backup@ns1:/data')?.map((s) => s.time),
      [at(0), at(1), at(2)].map((d) => d.toISOString()),
    );
    assert.equal(sources.get('app-backup@ns1:/data')?.[0]?.sizeBytes, 5 + 4000);
  });

  it('marks checkpoints and limit-reached uploads incomplete, with the reason Kopia gave, and nothing else', async () => {
    const sources = await reader(repo).listSources();
    const kopia = await repo.listSnapshots();
    assert.ok(
      kopia.some((s) => s.incomplete === 'checkpoint'),
      'kopia wrote a checkpoint manifest',
    );
    assert.ok(
      kopia.some((s) => s.incomplete === 'limit reached'),
      'kopia wrote a limit-reached manifest',
    );
    const slow = sources.get('slow-backup@ns3:/data') ?? [];
    assert.ok(slow.length > 0 && slow.every((s) => s.incomplete === true && s.incompleteReason === 'checkpoint'));
    const big = sources.get('big-backup@ns2:/data') ?? [];
    assert.ok(big.length === 1 && big[0]?.incomplete === true && big[0].incompleteReason === 'limit reached');
    assert.ok(sources.get('app-backup@ns1:/data')?.every((s) => s.incomplete === undefined));
  });

  it('reads manifest contents as kopia stores them (zstd-fastest requested, kept only when smaller)', async () => {
    // committed_manifest_manager.go always asks for zstd-fastest over gzip'd JSON; since gzip output rarely
    // shrinks further, Kopia stores it uncompressed (header 0). Both forms are decoded (zstd: manifests.test.ts).
    const headers = new Set((await repo.contents('m')).map((c) => c.compression ?? 0));
    assert.ok(
      [...headers].every((h) => h === 0 || h === 0x1101),
      `manifest compression headers ${[...headers]}`,
    );
    await assertSameAsKopia(repo);
  });

  it('computes the same active index set as kopia index list', async () => {
    assert.deepEqual(await reader(repo).activeIndexBlobs(), await repo.activeIndexBlobs());
  });

  it('re-scans fetching only new blobs, with the password-derived key cached', async () => {
    const r = reader(repo);
    await r.listSources();
    const first = r.stats();
    assert.equal(first.keyDerivations, 1);
    await r.listSources();
    const second = r.stats();
    assert.equal(second.keyDerivations, 1);
    assert.equal(second.indexBlobReads, first.indexBlobReads, 'unchanged repository: no index blob read again');
    assert.equal(second.manifestContentReads, first.manifestContentReads, 'no manifest content read again');
    await repo.snapshot({ source: 'app-backup@ns1:/data', dir: dataDir, startTime: at(7) });
    await assertSameAsKopia(repo, r);
    const third = r.stats();
    assert.equal(third.keyDerivations, 1);
    assert.ok(third.indexBlobReads - second.indexBlobReads >= 1, 'the new index blob was read');
    assert.ok(third.indexBlobReads - second.indexBlobReads <= 2, 'only the new index blobs were read');
    assert.ok(third.manifestContentReads - second.manifestContentReads <= 2, 'only new manifest contents were read');
  });

  it('reads directory objects stored with zstd (default metadata compression) and gzip (policy)', async () => {
    await repo.run(['policy', 'set', 'gz-backup@ns4:/data', '--metadata-compression=gzip']);
    // Different files than dataDir: an identical directory would deduplicate to the existing zstd content.
    const gzDir = await makeSourceDir(repo.root, 'gz', { 'a.txt': 'gamma', 'sub/b.txt': 'delta' });
    const gz = await repo.snapshot({ source: 'gz-backup@ns4:/data', dir: gzDir, startTime: at(8) });
    const zs = (await repo.listSnapshots()).find((s) => s.source.userName === 'app' && s.source.host === 'ns1');
    const byId = new Map((await repo.contents('k')).map((c) => [c.contentID, c]));
    const gzObj = gz.rootEntry?.obj as string;
    const zsObj = zs?.rootEntry?.obj as string;
    assert.equal(byId.get(gzObj)?.compression, 0x1000, 'kopia stored the gzip directory with header 0x1000');
    assert.equal(byId.get(zsObj)?.compression, 0x1101, 'kopia stored the default directory with zstd-fastest');
    const r = reader(repo);
    for (const obj of [gzObj, zsObj]) {
      const dir = JSON.parse(new TextDecoder().decode(await r.readContent(obj))) as {
        stream: string;
        entries: { name: string }[];
      };
      assert.equal(dir.stream, 'kopia:directory');
      assert.deepEqual(dir.entries.map((e) => e.name).sort(), ['a.txt', 'sub']);
    }
    await assertSameAsKopia(repo, r);
  });

  it('rejects a wrong password as wrong-password, never as an empty answer', async () => {
    // The reader says what failed; which password source to check is the decision's remedy (it knows the source).
    await assertRejectsWith(
      reader(repo, 'not-the-password').listSources(),
      'wrong-password',
      /the password does not open kopia\.repository/,
    );
    await assertRejectsWith(reader(repo, '').listSources(), 'wrong-password');
  });

  it('survives maintenance rewriting packs between its listing and its reads (re-lists once)', async () => {
    // Fill the race window deterministically: run real full maintenance right after the reader listed the index
    // blobs, so the index entries it then reads point at packs maintenance has just rewritten and deleted.
    let raced = false;
    const storage = intercept(new FsStorage({ root: repo.repoPath as string }), {
      afterList: async (prefix) => {
        if (prefix === 'x' && !raced) {
          raced = true;
          await repo.maintenance({ full: true, safety: 'none' });
        }
      },
    });
    const r = reader(repo, repo.password, storage);
    await assertSameAsKopia(repo, r);
    assert.ok(raced);
    assert.equal(r.stats().maintenanceRetries, 1, 'the first attempt hit a deleted pack and was retried');
  });

  it('keeps deleted snapshots deleted, also after full maintenance and with a warm cache', async () => {
    const r = reader(repo);
    const before = await r.listSources();
    const victims = [before.get('app-backup@ns1:/data')?.[1]?.id, before.get('db-backup@ns2:/data')?.[0]?.id];
    await repo.deleteSnapshots(victims as string[]);
    const afterDelete = await assertSameAsKopia(repo, r);
    const ids = new Set([...afterDelete.values()].flat().map((s) => s.id));
    for (const v of victims) assert.ok(!ids.has(v as string), `deleted snapshot ${v} is gone`);
    await repo.maintenance({ full: true, safety: 'none' });
    await repo.maintenance({ full: true, safety: 'none' });
    await assertSameAsKopia(repo, r);
    await assertSameAsKopia(repo);
  });

  it('reports corruption when a pack named by the index stays missing', async () => {
    const manifests = await repo.contents('m');
    const pack = manifests[0]?.packFile as string;
    const storage = intercept(new FsStorage({ root: repo.repoPath as string }), {
      get: (key) => (key.replaceAll('/', '').startsWith(pack) ? 'missing' : undefined),
    });
    await assertRejectsWith(reader(repo, repo.password, storage).listSources(), 'corrupt', /also after re-listing/);
  });

  describe('damaged copies', () => {
    let copy: string;
    before(async () => {
      copy = join(repo.root, 'damaged');
    });
    after(async () => await rm(copy, { recursive: true, force: true }));

    async function freshCopy() {
      await rm(copy, { recursive: true, force: true });
      await cp(repo.repoPath as string, copy, { recursive: true });
      return copy;
    }

    const copyReader = () =>
      openKopiaRepository(new FsStorage({ root: copy }), repo.password, { layout: { kind: 'filesystem' } });

    it('reports a corrupted index blob as corrupt (the password was accepted)', async () => {
      await freshCopy();
      const active = await repo.activeIndexBlobs();
      const target = (await files(copy)).find((f) => f.replaceAll('/', '').startsWith(active[0] as string));
      assert.ok(target, 'found the file of an active index blob');
      const size = (await stat(join(copy, target))).size;
      await flipByte(join(copy, target), Math.floor(size / 2));
      await assertRejectsWith(copyReader().listSources(), 'corrupt', /index blob|fails authentication/);
    });

    it('reports a corrupted manifest content in its pack as corrupt', async () => {
      await freshCopy();
      const m = (await repo.contents('m'))[0];
      assert.ok(m);
      const target = (await files(copy)).find((f) => f.replaceAll('/', '').startsWith(m.packFile));
      assert.ok(target);
      await flipByte(join(copy, target), m.packOffset + Math.floor(m.length / 2));
      await assertRejectsWith(copyReader().listSources(), 'corrupt', /damaged/);
    });

    it('reports a truncated pack as corrupt', async () => {
      await freshCopy();
      const m = (await repo.contents('m'))[0];
      assert.ok(m);
      const target = (await files(copy)).find((f) => f.replaceAll('/', '').startsWith(m.packFile)) as string;
      const handle = await open(join(copy, target), 'r+');
      await handle.truncate(m.packOffset + 10);
      await handle.close();
      await assertRejectsWith(copyReader().listSources(), 'corrupt', /truncated/);
    });

    it('reports a mangled format blob and an altered sealed config as corrupt (kopia.blobcfg proves the password)', async () => {
      await freshCopy();
      const { writeFile, readFile } = await import('node:fs/promises');
      const formatPath = join(copy, 'kopia.repository.f');
      const format = JSON.parse(await readFile(formatPath, 'utf8')) as { encryptedBlockFormat: string };
      const sealed = Buffer.from(format.encryptedBlockFormat, 'base64');
      sealed[20] = (sealed[20] ?? 0) ^ 1;
      await writeFile(formatPath, JSON.stringify({ ...format, encryptedBlockFormat: sealed.toString('base64') }));
      // GCM fails as for a wrong password, but kopia.blobcfg, sealed with the same password-derived key, still opens:
      // the password is right and the config is damaged.
      await assertRejectsWith(copyReader().listSources(), 'corrupt', /kopia\.repository is damaged/);
      await writeFile(formatPath, '{"tool": "kopia", ');
      await assertRejectsWith(copyReader().listSources(), 'corrupt', /not JSON/);
    });
  });
});

describe('kopia reader: encryption and key derivation variants', () => {
  const variants = [
    { encryption: 'CHACHA20-POLY1305-HMAC-SHA256', keyDerivation: 'scrypt-65536-8-1' },
    { encryption: 'AES256-GCM-HMAC-SHA256', keyDerivation: 'pbkdf2-sha256-600000' },
  ] as const;
  const repos: KopiaTestRepository[] = [];
  after(async () => {
    for (const r of repos) await r.cleanup();
  });

  for (const variant of variants) {
    it(`reads a ${variant.encryption} repository with ${variant.keyDerivation} and a non-ASCII password`, async () => {
      const repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, password: 'pässwörd-☂', ...variant });
      repos.push(repo);
      const dir = await makeSourceDir(repo.root, 'data', { 'f.txt': 'x' });
      await repo.snapshot({ source: 'web@prod:/data', dir, startTime: at(1) });
      await repo.snapshot({ source: 'web-backup@prod:/data', dir, startTime: at(2) });
      const { readFile } = await import('node:fs/promises');
      const format = JSON.parse(await readFile(join(repo.repoPath as string, 'kopia.repository.f'), 'utf8'));
      assert.equal(format.keyAlgo, variant.keyDerivation);
      const sources = await assertSameAsKopia(repo);
      assert.equal(sources.size, 2);
      await assertRejectsWith(reader(repo, 'passwörd').listSources(), 'wrong-password');
    });
  }
});

describe('kopia reader: legacy format version 1 (index v1, compaction logs, [3,3] shards)', () => {
  let repo: KopiaTestRepository;
  after(async () => await repo?.cleanup());

  it('honours compaction logs and matches kopia', async () => {
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' }, formatVersion: 1 });
    const dir = await makeSourceDir(repo.root, 'data', { 'f.txt': 'legacy' });
    for (let i = 0; i < 12; i++) await repo.snapshot({ source: `old${i % 4}@legacy:/data`, dir, startTime: at(i) });
    const r = reader(repo);
    await assertSameAsKopia(repo, r);
    const firstIds = [...(await r.listSources()).values()].flat().map((s) => s.id);
    await repo.deleteSnapshots(firstIds.slice(0, 2));
    // Quick maintenance with full safety compacts the small index blobs and records a compaction log, but keeps the
    // compacted inputs for an hour: exactly the state in which inputs must be ignored.
    await repo.maintenance({ full: false, safety: 'full' });
    const names = (await files(repo.repoPath as string)).map((f) => f.replaceAll('/', ''));
    assert.ok(
      names.some((n) => /^n[0-9a-f]{6}/.test(n)),
      'index v1 blobs are sharded [3,3] (n12/345/…)',
    );
    const logs = (await files(repo.repoPath as string)).filter((f) => /^m[0-9a-f]{2}\//.test(f));
    assert.ok(logs.length > 0, 'kopia wrote a compaction log blob');
    const active = await r.activeIndexBlobs();
    assert.deepEqual(active, await repo.activeIndexBlobs());
    assert.ok(active.length < names.filter((n) => n.startsWith('n')).length, 'compacted inputs are not active');
    const sources = await assertSameAsKopia(repo, r);
    for (const id of firstIds.slice(0, 2)) assert.ok(![...sources.values()].flat().some((s) => s.id === id));
  });

  it('re-reads when the index listing changed under it: a walk that missed blobs never gives a short answer', async () => {
    // A directory walk racing index compaction can pass the compaction's output before it is written and reach its
    // inputs after they are deleted. Played deterministically: the first index listing comes back without the blobs
    // that hold the newest snapshots' manifests (the repository itself is untouched and complete).
    const dir = await makeSourceDir(repo.root, 'newer', { 'g.txt': 'newer data' });
    await repo.snapshot({ source: 'old0@legacy:/data', dir, startTime: at(100) });
    const before = new Set(
      (await files(repo.repoPath as string)).map((f) => f.replaceAll('/', '').replace(/\.f$/, '')),
    );
    await repo.snapshot({ source: 'old1@legacy:/data', dir, startTime: at(101) });
    let walks = 0;
    const storage = intercept(new FsStorage({ root: repo.repoPath as string }), {
      afterList: async (prefix, result) => {
        if (prefix !== 'n' || walks++ > 0) return;
        // Drop what the last snapshot wrote: its index blob was not there when this part of the walk passed.
        const missed = result.filter((b) => !before.has(b.key.replaceAll('/', '').replace(/\.f$/, '')));
        assert.ok(missed.length > 0, 'the last snapshot wrote an index blob');
        for (const b of missed) result.splice(result.indexOf(b), 1);
      },
    });
    const r = reader(repo, repo.password, storage);
    const sources = await assertSameAsKopia(repo, r);
    assert.ok(sources.get('old1@legacy:/data')?.some((s) => s.time === at(101).toISOString()));
    assert.equal(r.stats().indexSetChanges, 1, 'the changed listing was noticed and the read repeated');
  });
});

describe('kopia reader: a different repository appears at the same location', () => {
  const repos: KopiaTestRepository[] = [];
  after(async () => {
    for (const r of repos) await r.cleanup();
  });

  it('drops everything cached for the old one and answers for the new one', async () => {
    for (const name of ['old', 'new']) {
      const repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
      repos.push(repo);
      const dir = await makeSourceDir(repo.root, 'data', { 'f.txt': name });
      await repo.snapshot({ source: `${name}-backup@ns:/data`, dir, startTime: at(1) });
    }
    const [oldRepo, newRepo] = repos as [KopiaTestRepository, KopiaTestRepository];
    const location = join(oldRepo.root, 'mounted');
    await cp(oldRepo.repoPath as string, location, { recursive: true });
    const r = openKopiaRepository(new FsStorage({ root: location }), DEFAULT_PASSWORD, {
      layout: { kind: 'filesystem' },
    });
    assert.deepEqual(simplify(await r.listSources()), expectedSources(await oldRepo.listSnapshots()));
    await rm(location, { recursive: true });
    await cp(newRepo.repoPath as string, location, { recursive: true });
    assert.deepEqual(simplify(await r.listSources()), expectedSources(await newRepo.listSnapshots()));
    assert.equal(r.stats().keyDerivations, 2, 'a new uniqueID needs a new key');
  });
});

describe('kopia reader: empty, missing and unreachable repositories', () => {
  let repo: KopiaTestRepository;
  before(async () => {
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
  });
  after(async () => await repo?.cleanup());

  it('returns an empty map for an initialised repository without snapshots', async () => {
    assert.deepEqual(await repo.listSnapshots(), []);
    assert.equal((await reader(repo).listSources()).size, 0);
  });

  it('reports repository-not-found for a reachable directory without kopia.repository', async () => {
    const empty = join(repo.root, 'empty');
    await mkdir(empty);
    await makeSourceDir(empty, 'junk', { 'readme.txt': 'not a repository' });
    const r = openKopiaRepository(new FsStorage({ root: empty, mountPoint: repo.root }), repo.password, {
      layout: { kind: 'filesystem' },
    });
    await assertRejectsWith(r.listSources(), 'repository-not-found', /kopia\.repository/);
  });

  it('reports an unmounted location as unreachable, not as a missing repository', async () => {
    const gone = join(repo.root, 'not-mounted');
    const r = openKopiaRepository(new FsStorage({ root: join(gone, 'repo'), mountPoint: gone }), repo.password, {
      layout: { kind: 'filesystem' },
    });
    await assertRejectsWith(r.listSources(), 'unreachable');
  });
});

describe('kopia reader: advanced epochs with single-epoch compactions and range checkpoints', () => {
  let repo: KopiaTestRepository;
  after(async () => await repo?.cleanup());

  /** Makes every index blob look `minutes` older, so Kopia's time-based epoch rules fire without waiting. */
  async function backdateIndexes(minutes: number) {
    const root = repo.repoPath as string;
    for (const f of await files(root)) {
      if (!f.startsWith('x')) continue;
      const info = await stat(join(root, f));
      const t = new Date(info.mtimeMs - minutes * 60_000);
      await utimes(join(root, f), t, t);
    }
  }

  it('matches kopia while epochs advance, compact and retention deletes snapshots', async () => {
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
    // The smallest epoch parameters Kopia accepts: advance after 10 index blobs spanning 10 minutes, range
    // checkpoint every settled epoch.
    await repo.run([
      'repository',
      'set-parameters',
      '--epoch-min-duration=10m',
      '--epoch-refresh-frequency=1m',
      '--epoch-cleanup-safety-margin=3m',
      '--epoch-advance-on-count=10',
      '--epoch-checkpoint-frequency=1',
    ]);
    const dir = await makeSourceDir(repo.root, 'data', { 'f.txt': 'epoch' });
    const r = reader(repo);
    let minute = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) {
        // 3 sources × default retention (latest 10): older snapshots expire into tombstones as rounds go by.
        await repo.snapshot({ source: `svc${i % 3}@epochs:/data`, dir, startTime: new Date(T0 + minute++ * 60_000) });
      }
      await backdateIndexes(20);
      await repo.maintenance({ full: true, safety: 'none' });
      assert.deepEqual(
        await r.activeIndexBlobs(),
        await repo.activeIndexBlobs(),
        `active index set after round ${round}`,
      );
      await assertSameAsKopia(repo, r);
    }
    const ids = (await files(repo.repoPath as string)).map((f) => f.replaceAll('/', ''));
    assert.ok(
      ids.some((id) => id.startsWith('xs')),
      'kopia wrote single-epoch compactions',
    );
    assert.ok(
      ids.some((id) => id.startsWith('xr')),
      'kopia wrote a range checkpoint',
    );
    assert.ok(
      ids.some((id) => /^xe[3-9]/.test(id)),
      'the write epoch advanced past 2',
    );
    const total = [...(await r.listSources()).values()].flat().length;
    assert.equal(total, 30, 'retention kept the latest 10 of each of the 3 sources');
  });
});

describe('kopia reader: repositories on S3 (MinIO)', () => {
  let s3: S3Server;
  const repos: KopiaTestRepository[] = [];
  const storages: S3Storage[] = [];
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    for (const st of storages) st.destroy();
    for (const r of repos) await r.cleanup();
    await s3?.stop();
  });

  /** The reader as the catalog would build it from a VolSync kopia Secret. */
  function readerFromSecret(repository: string, bucket = s3.bucket): KopiaRepository {
    const location = kopiaLocationFromEnv({
      KOPIA_REPOSITORY: repository,
      KOPIA_S3_ENDPOINT: s3.endpoint,
      KOPIA_S3_DISABLE_TLS: 'true',
      AWS_REGION: s3.region,
    });
    assert.equal(location.kind, 's3');
    if (location.kind !== 's3') throw new Error('unreachable');
    const storage = new S3Storage({
      endpoint: `${location.tls ? 'https' : 'http'}://${location.endpoint}`,
      bucket: bucket,
      region: location.region ?? s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });
    storages.push(storage);
    return openKopiaRepository(storage, DEFAULT_PASSWORD, { layout: { kind: 's3', prefix: location.prefix } });
  }

  async function populated(prefix: string) {
    const repo = await createKopiaRepository({ backend: { kind: 's3', ...s3, prefix } });
    repos.push(repo);
    const dir = await makeSourceDir(repo.root, 'data', { 'f.txt': prefix });
    await repo.snapshot({ source: 'web-backup@shop:/data', dir, startTime: at(1) });
    await repo.snapshot({ source: 'web-backup@shop:/data', dir, startTime: at(2) });
    await repo.snapshot({ source: 'db@shop:/data', dir, startTime: at(3) });
    return repo;
  }

  async function assertSameOnS3(repo: KopiaTestRepository, r: KopiaRepository) {
    const actual = simplify(await r.listSources());
    assert.deepEqual(actual, expectedSources(await repo.listSnapshots()));
    assert.equal(actual.size, 2);
  }

  it('reads a repository under "prefix/", the layout the VolSync fork creates since 2025-08', async () => {
    const repo = await populated('team-a/');
    await assertSameOnS3(repo, readerFromSecret(`s3://${s3.bucket}/team-a`));
    await assertSameOnS3(repo, readerFromSecret(`s3://${s3.bucket}/team-a/`));
  });

  it('falls back to the bare prefix for older repositories (keys like "team-bkopia.repository")', async () => {
    const repo = await populated('team-b');
    const keys = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'team-b' }));
    const names = (keys.Contents ?? []).map((o) => o.Key as string);
    assert.ok(names.includes('team-bkopia.repository'), `bare-prefix layout: ${names.slice(0, 5).join(', ')}`);
    assert.ok(!names.some((k) => k.startsWith('team-b/')), 'nothing under team-b/');
    await assertSameOnS3(repo, readerFromSecret(`s3://${s3.bucket}/team-b`));
  });

  it('reports repository-not-found for an unused prefix and a backend error for a missing bucket', async () => {
    await assertRejectsWith(readerFromSecret(`s3://${s3.bucket}/nobody-here`).listSources(), 'repository-not-found');
    await assertRejectsWith(readerFromSecret('s3://no-such-bucket/x', 'no-such-bucket').listSources(), 'backend-error');
  });
});

describe('kopia reader: 1,000 snapshots across 200 sources', () => {
  // Built once: 4 identities × 50 directories, 5 rounds → 1,000 snapshots of 200 sources. One kopia process per
  // (identity, round) snapshots all 50 directories (see snapshotMany), so building takes ~20 s on 2 cores instead of
  // ~6 minutes with one process per snapshot.
  const IDENTITIES = [
    { user: 'app-backup', host: 'ns-a' },
    { user: 'app', host: 'ns-a' },
    { user: 'db-backup', host: 'ns-b' },
    { user: 'cache', host: 'ns-c' },
  ];
  let repo: KopiaTestRepository;
  let buildMs = 0;

  before(async () => {
    const started = Date.now();
    repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
    const dirs: string[] = [];
    for (let i = 0; i < 50; i++)
      dirs.push(await makeSourceDir(repo.root, `pvc-${String(i).padStart(2, '0')}`, { f: `${i}` }));
    for (let round = 0; round < 5; round++) {
      for (const [n, id] of IDENTITIES.entries()) {
        await repo.snapshotMany({ ...id, dirs, startTime: at(round * 10 + n) });
      }
    }
    buildMs = Date.now() - started;
  });
  after(async () => await repo?.cleanup());

  it('returns exactly what kopia snapshot list --all --json returns', async (t) => {
    const r = reader(repo);
    const coldStarted = Date.now();
    await r.listSources();
    const coldMs = Date.now() - coldStarted;
    const warmStarted = Date.now();
    const sources = await assertSameAsKopia(repo, r);
    const warmMs = Date.now() - warmStarted;
    assert.equal(sources.size, 200);
    assert.equal([...sources.values()].flat().length, 1000);
    assert.equal(r.stats().keyDerivations, 1);
    t.diagnostic(`built in ${buildMs} ms; cold listing ${coldMs} ms; warm re-scan + kopia comparison ${warmMs} ms`);
  });

  it('stays exact after deleting one source entirely and single snapshots of others', async () => {
    const r = reader(repo);
    const before = await r.listSources();
    const [firstSource] = [...before.keys()];
    await repo.run(['snapshot', 'delete', firstSource as string, '--all-snapshots-for-source', '--delete']);
    const singles = [...before.values()].slice(1, 6).map((snaps) => snaps[2]?.id as string);
    await repo.deleteSnapshots(singles);
    const after = await assertSameAsKopia(repo, r);
    assert.equal(after.size, 199);
    assert.equal([...after.values()].flat().length, 1000 - 5 - 5);
  });
});
