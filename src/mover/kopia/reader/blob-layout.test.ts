import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobInfo, BlobStorage } from '../../../repository/storage/storage.ts';
import {
  blobIdFromShardedKey,
  filesystemLayout,
  LEGACY_SHARDS,
  parseShardParameters,
  type ShardParameters,
  s3Layout,
  shardedKey,
} from './blob-layout.ts';
import { s3PrefixCandidates } from './repository.ts';

/** An in-memory BlobStorage with string-prefix listing, recording every key read. */
function memoryStorage(files: Record<string, string>): BlobStorage & { reads: string[] } {
  const reads: string[] = [];
  return {
    location: '/mem',
    reads,
    async list(prefix) {
      return Object.entries(files)
        .filter(([k]) => k.startsWith(prefix))
        .map(([key, v]): BlobInfo => ({ key, size: v.length }));
    },
    async listKeys(prefix) {
      return Object.keys(files).filter((k) => k.startsWith(prefix));
    },
    async get(key, range) {
      reads.push(key);
      const v = files[key];
      if (v === undefined) return undefined;
      const bytes = new TextEncoder().encode(v);
      return range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
    },
  };
}

const CURRENT: ShardParameters = { defaultShards: [1, 3], maxNonShardedLength: 20, overrides: [] };

describe('kopia shard mapping', () => {
  const cases: [string, ShardParameters, string][] = [
    ['kopia.repository', CURRENT, 'kopia.repository.f'],
    ['xe3', CURRENT, 'xe3.f'],
    ['xn0_4505d2aa0c6f3d5fd3a3b8b0f1bd5f9e-s1f1f-c1', CURRENT, 'x/n0_/4505d2aa0c6f3d5fd3a3b8b0f1bd5f9e-s1f1f-c1.f'],
    [
      'q0cc8cb06e3d985ef0b31317e4400dd3b-sf0069a47774eebb4147',
      CURRENT,
      'q/0cc/8cb06e3d985ef0b31317e4400dd3b-sf0069a47774eebb4147.f',
    ],
    ['_log_20261122021927_55ec_1795313967', CURRENT, '_/log/_20261122021927_55ec_1795313967.f'],
    ['n07045a2b1e000000000000000000000000', LEGACY_SHARDS, 'n07/045/a2b1e000000000000000000000000.f'],
    ['exactly20characters!', CURRENT, 'exactly20characters!.f'],
    ['abcd123456789012345678', { ...CURRENT, defaultShards: [2, 2, 2] }, 'ab/cd/12/3456789012345678.f'],
    [
      'p1234567890123456789012',
      { ...CURRENT, overrides: [{ prefix: 'p', shards: [2] }] },
      'p1/234567890123456789012.f',
    ],
    ['abcdefghijklmnopqrstu', { ...CURRENT, defaultShards: [25] }, 'abcdefghijklmnopqrstu.f'],
  ];
  for (const [id, params, key] of cases) {
    it(`${id} → ${key}`, () => {
      assert.equal(shardedKey(id, params), key);
      assert.equal(blobIdFromShardedKey(key), id);
    });
  }

  it('ignores files Kopia ignores', () => {
    for (const key of ['.shards', 'x/n0_/abc.f.tmp.1f2e', 'q/0cc/readme.txt', '.f']) {
      assert.equal(blobIdFromShardedKey(key), undefined, key);
    }
  });

  it('parses .shards and refuses malformed ones as corrupt', () => {
    assert.deepEqual(parseShardParameters('{"default":[1,3],"maxNonShardedLength":20}', 'x'), CURRENT);
    assert.deepEqual(
      parseShardParameters('{"default":[3,3],"maxNonShardedLength":20,"overrides":[{"prefix":"p","shards":[2]}]}', 'x')
        .overrides,
      [{ prefix: 'p', shards: [2] }],
    );
    for (const bad of ['{', '{"default":"1,3"}', '{"default":[1,0],"maxNonShardedLength":20}']) {
      assert.throws(() => parseShardParameters(bad, 'x'), { name: 'RepositoryError' });
    }
  });
});

describe('kopia filesystem layout', () => {
  it('rebuilds blob IDs from a recursive listing, whatever the sharding, and reads them where they are', async () => {
    const storage = memoryStorage({
      '.shards': '{"default":[1,3],"maxNonShardedLength":20}',
      'kopia.repository.f': '{}',
      'xe1.f': 'epoch-marker',
      'x/n0_/aaaa-s1-c1.f': 'A',
      'xn1/_bb/bb-s2-c1.f': 'B', // a [3,3]-sharded blob in the same tree
      'x/n0_/cccc-s3-c1.f.tmp.77': 'partial',
      'q/0cc/8cb.f': 'Q',
    });
    const layout = filesystemLayout(storage);
    assert.deepEqual(
      (await layout.list('x')).map((b) => b.id),
      ['xe1', 'xn0_aaaa-s1-c1', 'xn1_bbbb-s2-c1'],
    );
    assert.deepEqual(
      (await layout.list('xn1')).map((b) => b.id),
      ['xn1_bbbb-s2-c1'],
    );
    assert.equal(new TextDecoder().decode(await layout.get('xn1_bbbb-s2-c1')), 'B');
    assert.ok(storage.reads.includes('xn1/_bb/bb-s2-c1.f'), 'read from the listed location');
  });

  it('computes keys of unlisted blobs from .shards, and assumes [3,3] without it', async () => {
    const current = memoryStorage({
      '.shards': '{"default":[1,3],"maxNonShardedLength":20}',
      'q/0cc/8cb0000000000000000.f': 'Q',
    });
    assert.equal(new TextDecoder().decode(await filesystemLayout(current).get('q0cc8cb0000000000000000')), 'Q');
    const legacy = memoryStorage({ 'q0c/c8c/b0000000000000000.f': 'L' });
    assert.equal(new TextDecoder().decode(await filesystemLayout(legacy).get('q0cc8cb0000000000000000')), 'L');
    assert.equal(await filesystemLayout(legacy).get('q0cc8cb0000000000000001'), undefined);
  });

  it('reads byte ranges', async () => {
    const layout = filesystemLayout(memoryStorage({ 'abc.f': '0123456789' }));
    assert.equal(new TextDecoder().decode(await layout.get('abc', { offset: 3, length: 4 })), '3456');
  });
});

describe('kopia S3 layout', () => {
  it('concatenates prefix and blob ID without sharding', async () => {
    const storage = memoryStorage({
      'team/kopia.repository': 'T',
      'teamkopia.repository': 'L',
      'team/xn0_a-s-c1': 'x',
      'team/q0cc': 'q',
    });
    assert.equal(new TextDecoder().decode(await s3Layout(storage, 'team/').get('kopia.repository')), 'T');
    assert.equal(new TextDecoder().decode(await s3Layout(storage, 'team').get('kopia.repository')), 'L');
    assert.deepEqual(
      (await s3Layout(storage, 'team/').list('x')).map((b) => b.id),
      ['xn0_a-s-c1'],
    );
    assert.equal(s3Layout(storage, 'team/').where('xe1'), '/mem/team/xe1');
  });

  it('tries "prefix/" before "prefix" (VolSync fork before and after 2025-08-08)', () => {
    assert.deepEqual(s3PrefixCandidates('cluster'), ['cluster/', 'cluster']);
    assert.deepEqual(s3PrefixCandidates('cluster/'), ['cluster/']);
    assert.deepEqual(s3PrefixCandidates('a/b'), ['a/b/', 'a/b']);
    assert.deepEqual(s3PrefixCandidates(''), ['']);
  });
});
