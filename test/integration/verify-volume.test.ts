/**
 * `lifeboat verify-volume` counts as the repositories count: the same tree backed up by the real restic (0.18, the
 * VolSync mover's version) and the real kopia, and the counts in their snapshot summaries — the numbers a restore
 * drill compares with (catalog: `fileCount`, `sizeBytes`) — equal what verify-volume finds. The tree holds what a
 * volume may hold: nested and empty files, a hard link, symlinks, a FIFO, an empty directory.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { scanVolume } from '../../src/cli/verify-volume.ts';
import { binary } from '../support/testenv.ts';

const run = promisify(execFile);

describe('verify-volume against the repositories’ own summaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-summary-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  mkdirSync(join(data, 'a/b/c'), { recursive: true });
  mkdirSync(join(data, 'empty-dir'));
  for (let i = 0; i < 50; i++) writeFileSync(join(data, 'a', `f${i}`), randomBytes(i * 37));
  writeFileSync(join(data, 'a/b/c/big'), randomBytes(300_000));
  writeFileSync(join(data, 'zero'), '');
  linkSync(join(data, 'a/b/c/big'), join(data, 'big-link'));
  symlinkSync('a/f1', join(data, 'sym'));
  symlinkSync('/nowhere', join(data, 'dangling'));
  execFileSync('mkfifo', [join(data, 'pipe')]);

  it('restic: total_files_processed and total_bytes_processed', async () => {
    const env = {
      ...process.env,
      RESTIC_PASSWORD: 'x',
      RESTIC_REPOSITORY: join(dir, 'restic'),
      RESTIC_CACHE_DIR: join(dir, 'rc'),
    };
    await run(binary('restic'), ['init', '-q'], { env });
    const { stdout } = await run(binary('restic'), ['backup', '--host', 'volsync', '--json', '.'], { env, cwd: data });
    const summary = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, number | string>)
      .find((m) => m.message_type === 'summary');
    const scan = await scanVolume(data);
    assert.deepEqual(
      { files: scan.files, bytes: scan.bytes },
      { files: summary?.total_files_processed, bytes: summary?.total_bytes_processed },
    );
    assert.equal(scan.files, 53);
  });

  it('kopia: stats.fileCount and stats.totalSize', async () => {
    const env = {
      ...process.env,
      KOPIA_PASSWORD: 'x',
      KOPIA_CONFIG_PATH: join(dir, 'k.config'),
      KOPIA_CHECK_FOR_UPDATES: 'false',
      KOPIA_CACHE_DIRECTORY: join(dir, 'kc'),
    };
    await run(binary('kopia'), ['repository', 'create', 'filesystem', '--path', join(dir, 'kopia')], { env });
    const { stdout } = await run(binary('kopia'), ['snapshot', 'create', data, '--json'], { env });
    const created = JSON.parse(stdout) as { rootEntry: { summ: { files: number; size: number } } };
    const listed = JSON.parse((await run(binary('kopia'), ['snapshot', 'list', '--json'], { env })).stdout) as {
      stats: { fileCount: number; totalSize: number };
    }[];
    const scan = await scanVolume(data);
    assert.deepEqual(
      { files: scan.files, bytes: scan.bytes },
      { files: listed[0]?.stats.fileCount, bytes: listed[0]?.stats.totalSize },
    );
    assert.deepEqual(
      { files: scan.files, bytes: scan.bytes },
      { files: created.rootEntry.summ.files, bytes: created.rootEntry.summ.size },
    );
  });
});
