/**
 * Proves the test tools are real: the restic binary writes a repository, on disk and on a real MinIO server, and its
 * own `snapshots --json` lists a snapshot taken the way VolSync's mover takes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createResticRepository } from '../support/restic.ts';
import { type S3Server, startS3Server } from '../support/s3server.ts';

describe('restic smoke test', () => {
  let s3: S3Server;
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    await s3?.stop();
  });

  for (const on of ['fs', 's3'] as const) {
    it(`lists a VolSync-style snapshot with restic itself (${on})`, async (t) => {
      const repo = await createResticRepository({ on, version: 2, server: s3 });
      t.after(() => repo.cleanup());
      const id = await repo.backup({
        time: '2026-01-02 03:04:05',
        files: { 'db/data.sqlite': 'hello', 'lost+found/x': 'skip' },
      });
      const listed = await repo.snapshots();
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.id, id);
      assert.equal(listed[0]?.hostname, 'volsync');
      assert.deepEqual(listed[0]?.paths, ['/data']);
      assert.equal(listed[0]?.time, '2026-01-02T03:04:05Z');
      assert.equal(listed[0]?.summary?.total_bytes_processed, 5, 'lost+found is excluded as the mover does');
      const files = await repo.run(['ls', id]);
      assert.match(files, /^\/db\/data\.sqlite$/m);
    });
  }
});
