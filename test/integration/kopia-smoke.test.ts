/**
 * Proves the test tools are real: the kopia binary writes a repository on the filesystem and on a real MinIO, and
 * `kopia snapshot list --json` lists the snapshot with the identity and time the helpers asked for.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

const START = new Date(Date.UTC(2026, 1, 3, 4, 5, 6));

async function snapshotAndList(repo: KopiaTestRepository) {
  const dir = await makeSourceDir(repo.root, 'data', { 'hello.txt': 'hello kopia' });
  const created = await repo.snapshot({ source: 'smoke-backup@ns:/data', dir, startTime: START });
  const listed = JSON.parse(await repo.run(['snapshot', 'list', 'smoke-backup@ns:/data', '--json'])) as {
    id: string;
    startTime: string;
    source: { userName: string; host: string; path: string };
    stats: { totalSize: number };
  }[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]?.id, created.id);
  assert.deepEqual(listed[0]?.source, { userName: 'smoke-backup', host: 'ns', path: '/data' });
  assert.equal(Date.parse(listed[0]?.startTime ?? ''), START.getTime());
  assert.equal(listed[0]?.stats.totalSize, 'hello kopia'.length);
}

describe('kopia smoke', () => {
  let s3: S3Server;
  const repos: KopiaTestRepository[] = [];
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    for (const r of repos) await r.cleanup();
    await s3?.stop();
  });

  it('snapshots into a filesystem repository and lists it', async () => {
    const repo = await createKopiaRepository({ backend: { kind: 'filesystem' } });
    repos.push(repo);
    await snapshotAndList(repo);
    await access(join(repo.repoPath as string, 'kopia.repository.f'));
  });

  it('snapshots into a repository on the MinIO server and lists it', async () => {
    const repo = await createKopiaRepository({ backend: { kind: 's3', ...s3, prefix: 'smoke/' } });
    repos.push(repo);
    await snapshotAndList(repo);
    const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'smoke/' }));
    const keys = (listing.Contents ?? []).map((o) => o.Key);
    assert.ok(keys.includes('smoke/kopia.repository'), `format blob stored under the prefix: ${keys.join(', ')}`);
    assert.ok(
      keys.some((k) => k?.startsWith('smoke/xn0_')),
      'epoch index blobs are stored unsharded',
    );
  });
});
