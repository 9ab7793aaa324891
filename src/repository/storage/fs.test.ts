import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FsStorage } from './fs.ts';
import { StorageError, type StorageErrorCode } from './storage.ts';

const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-fs-storage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [key, content] of Object.entries(files)) {
    mkdirSync(join(root, key, '..'), { recursive: true });
    writeFileSync(join(root, key), content);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

async function rejectsWith(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return error instanceof StorageError && error.code === code;
  });
  return caught as StorageError;
}

describe('FsStorage', () => {
  const root = tree('repo', {
    config: 'cfg',
    'keys/k1': 'key-one',
    'snapshots/s1': 'snap',
    'snapshots/s1-tmp-999': 'partial',
    'data/ab/ab01': 'pack-1',
    'data/ab/ab02': 'pack-22',
    'data/cd/cd01': 'pack-333',
  });
  const storage = new FsStorage({ root, mountPoint: scratch });

  it('lists recursively below a prefix, with sizes, including files readers must filter', async () => {
    const sorted = async (prefix: string) =>
      (await storage.list(prefix)).map((b) => `${b.key}:${b.size}`).sort((a, b) => a.localeCompare(b));
    assert.deepEqual(await sorted('snapshots/'), ['snapshots/s1-tmp-999:7', 'snapshots/s1:4']);
    assert.deepEqual(await sorted('data/'), ['data/ab/ab01:6', 'data/ab/ab02:7', 'data/cd/cd01:8']);
    assert.deepEqual(await sorted('data/a'), ['data/ab/ab01:6', 'data/ab/ab02:7']);
    assert.equal((await storage.list('')).length, 7);
    assert.deepEqual(await storage.list('locks/'), []);
  });

  it('lists the same keys without sizes, following a link only when it leads to a file', async () => {
    const linked = tree('linked', { 'snapshots/s1': 'snap', 'snapshots/s2-tmp': 'partial', 'elsewhere/s3': 'x' });
    symlinkSync(join(linked, 'elsewhere/s3'), join(linked, 'snapshots/s3'));
    symlinkSync(join(linked, 'elsewhere'), join(linked, 'snapshots/dir-link'));
    symlinkSync(join(linked, 'nothing'), join(linked, 'snapshots/dangling'));
    const withLinks = new FsStorage({ root: linked, mountPoint: scratch });
    const keys = async (prefix: string) => (await withLinks.listKeys(prefix)).sort((a, b) => a.localeCompare(b));
    const listed = async (prefix: string) =>
      (await withLinks.list(prefix)).map((b) => b.key).sort((a, b) => a.localeCompare(b));
    assert.deepEqual(await keys('snapshots/'), ['snapshots/s1', 'snapshots/s2-tmp', 'snapshots/s3']);
    for (const prefix of ['snapshots/', '', 'elsewhere/', 'none/'])
      assert.deepEqual(await keys(prefix), await listed(prefix));
    assert.deepEqual(
      (await storage.listKeys('data/')).sort((a, b) => a.localeCompare(b)),
      ['data/ab/ab01', 'data/ab/ab02', 'data/cd/cd01'],
    );
    await rejectsWith(storage.listKeys('../'), 'io');
    await rejectsWith(storage.listKeys('data/', AbortSignal.abort()), 'timeout');
  });

  it('reads whole blobs and byte ranges, and says undefined for a missing key', async () => {
    assert.equal(Buffer.from((await storage.get('data/cd/cd01')) ?? []).toString(), 'pack-333');
    assert.equal(Buffer.from((await storage.get('data/cd/cd01', { offset: 2, length: 3 })) ?? []).toString(), 'ck-');
    assert.equal(Buffer.from((await storage.get('config', { offset: 1, length: 100 })) ?? []).toString(), 'fg');
    assert.equal(await storage.get('snapshots/missing'), undefined);
    assert.equal(await storage.get('nowhere/at/all'), undefined);
  });

  it('refuses keys that would leave the root', async () => {
    await rejectsWith(storage.get('../outside'), 'io');
    await rejectsWith(storage.list('../'), 'io');
  });

  it('reads a missing root as empty while its mount point exists', async () => {
    const missing = new FsStorage({ root: join(scratch, 'not-yet'), mountPoint: scratch });
    assert.deepEqual(await missing.list('snapshots/'), []);
    assert.equal(await missing.get('config'), undefined);
    assert.equal(await missing.rootExists(), false);
    assert.equal(await storage.rootExists(), true);
  });

  it('fails unreachable, never "empty", when the mount point itself is gone', async () => {
    const unmounted = new FsStorage({ root: join(scratch, 'gone', 'ns-pvc'), mountPoint: join(scratch, 'gone') });
    const error = await rejectsWith(unmounted.get('config'), 'unreachable');
    assert.match(error.message, /not mounted/);
    await rejectsWith(unmounted.list('snapshots/'), 'unreachable');
    await rejectsWith(unmounted.rootExists(), 'unreachable');
  });

  it('lists child directories and builds child storages for discovery', async () => {
    const base = new FsStorage({ root: tree('base', { 'ns1/a/config': 'x', 'ns1/b/config': 'y', 'ns2/c/x': 'z' }) });
    assert.deepEqual((await base.listDirectories('')).sort(), ['ns1', 'ns2']);
    assert.deepEqual((await base.listDirectories('ns1/')).sort(), ['a', 'b']);
    assert.deepEqual(await base.listDirectories('missing/'), []);
    assert.equal(Buffer.from((await base.child('ns1/b').get('config')) ?? []).toString(), 'y');
  });

  it('turns an aborted signal into a timeout', async () => {
    await rejectsWith(storage.get('config', undefined, AbortSignal.abort()), 'timeout');
    await rejectsWith(storage.list('data/', AbortSignal.abort()), 'timeout');
  });

  it('maps EACCES to access-denied', () => {
    const locked = tree('locked', { 'snapshots/s1': 'x' });
    chmodSync(join(locked, 'snapshots'), 0o000);
    // Root bypasses file modes through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: drop both for the child so the
    // kernel answers EACCES exactly as it does for an operator running as a non-root UID on an NFS export.
    const isRoot = process.getuid?.() === 0;
    const script = `
      import { FsStorage } from ${JSON.stringify(new URL('./fs.ts', import.meta.url).pathname)};
      const s = new FsStorage({ root: ${JSON.stringify(locked)} });
      const codes = [];
      for (const op of [() => s.list('snapshots/'), () => s.get('snapshots/s1')]) {
        try { await op(); codes.push('ok'); } catch (e) { codes.push(e.code); }
      }
      console.log(codes.join(','));`;
    const node = process.execPath;
    const args = ['--input-type=module', '-e', script];
    const result = isRoot
      ? spawnSync('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', node, ...args], {
          encoding: 'utf8',
        })
      : spawnSync(node, args, { encoding: 'utf8' });
    chmodSync(join(locked, 'snapshots'), 0o755);
    assert.equal(result.stdout.trim(), 'access-denied,access-denied', result.stderr);
  });
});
