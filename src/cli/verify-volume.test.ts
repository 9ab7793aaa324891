import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './program.ts';
import { checkSentinel, scanVolume } from './verify-volume.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'verify-volume-'));
  mkdirSync(join(root, 'sub/deep'), { recursive: true });
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'a.txt'), 'hello');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'sub/deep/b.bin'), Buffer.alloc(10_000, 7));
  linkSync(join(root, 'a.txt'), join(root, 'hard'));
  symlinkSync('a.txt', join(root, 'link'));
  symlinkSync('/etc', join(root, 'outside'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  writeFileSync(join(root, '.sentinel'), 'canary 42\n');
  writeFileSync(join(root, '.sentinel.sha256'), `${sha('canary 42\n')}  .sentinel\n`);
  return root;
}

describe('lifeboat verify-volume', () => {
  const root = tree();
  after(() => rmSync(root, { recursive: true, force: true }));

  it('counts regular files per path and their bytes; not directories, symlinks or special files', async () => {
    const scan = await scanVolume(root);
    // a.txt, empty, b.bin, hard, .sentinel, .sentinel.sha256
    assert.equal(scan.files, 6);
    assert.equal(scan.bytes, 5 + 0 + 10_000 + 5 + 10 + 76);
    assert.equal(scan.unreadable, 0);
    assert.equal(scan.sentinel, undefined);
  });

  const sentinels: [string, (dir: string) => void, RegExp | string][] = [
    ['matches', () => undefined, 'match'],
    ['differs', (d) => writeFileSync(join(d, '.sentinel'), 'canary 43\n'), 'differs'],
    ['missing', (d) => rmSync(join(d, '.sentinel')), /does not exist/],
    ['has no checksum file', (d) => rmSync(join(d, '.sentinel.sha256')), /\.sentinel\.sha256 does not exist/],
    [
      'has a checksum file without a sha256',
      (d) => writeFileSync(join(d, '.sentinel.sha256'), 'abc\n'),
      /sha256sum format/,
    ],
    [
      'is a symlink out of the volume',
      (d) => {
        rmSync(join(d, '.sentinel'));
        symlinkSync('/etc/hostname', join(d, '.sentinel'));
      },
      /leads outside the volume/,
    ],
    [
      'is a directory',
      (d) => {
        rmSync(join(d, '.sentinel'));
        mkdirSync(join(d, '.sentinel'));
      },
      /not a regular file|EISDIR/,
    ],
  ];
  for (const [name, change, want] of sentinels) {
    it(`sentinel ${name}`, async () => {
      const dir = tree();
      try {
        change(dir);
        const check = await checkSentinel(dir, '.sentinel');
        if (typeof want === 'string') assert.equal(check.state, want);
        else assert.match('message' in check ? check.message : JSON.stringify(check), want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const status = await runCli(['verify-volume', '--termination-log', join(root, 'no-such-log'), ...argv], {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    });
    return { status, out, err };
  }

  it('prints one JSON line and exits 0 when everything expected is there', async () => {
    const r = await cli('--path', root, '--expect-files', '6', '--expect-bytes', '10096', '--sentinel', '.sentinel');
    assert.equal(r.status, 0, r.err);
    const scan = JSON.parse(r.out);
    assert.equal(scan.files, 6);
    assert.equal(scan.sentinel.state, 'match');
  });

  it('exits 5 and says what differs', async () => {
    const r = await cli('--path', root, '--expect-files', '7', '--expect-bytes', '10096');
    assert.equal(r.status, 5);
    assert.match(r.err, /6 files, 10096 bytes found, 7 files, 10096 bytes expected/);
  });

  it('writes the result to the termination log when it exists', async () => {
    const log = join(root, '..', `termination-${process.pid}`);
    writeFileSync(log, '');
    try {
      let out = '';
      const status = await runCli(['verify-volume', '--path', join(root, 'sub'), '--termination-log', log], {
        out: (t) => {
          out += t;
        },
        err: () => undefined,
      });
      assert.equal(status, 0);
      assert.equal(`${execFileSync('cat', [log]).toString()}\n`, out);
    } finally {
      rmSync(log, { force: true });
    }
  });

  const bad: [string[], RegExp][] = [
    [['--path', '/no/such/dir'], /--path \/no\/such\/dir does not exist/],
    [['--path', join(root, 'a.txt')], /is not a directory/],
    [['--path', root, '--expect-files', '-1'], /--expect-files "-1" must be a whole number/],
    [['--path', root, '--sentinel', '../x'], /--sentinel .*"\.\." segment.*relative to --path/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.slice(-2).join(' ')} with exit 1, naming the fix`, async () => {
      const r = await cli(...argv);
      assert.equal(r.status, 1);
      assert.match(r.err, message);
    });
  }
});
