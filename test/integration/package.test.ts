/**
 * The CLI installs outside the checkout: `npm pack` of the repository (from a copy of its tracked files, so the
 * build never writes into the shared working tree) gives a tarball that `npm install -g` puts on a PATH, and the
 * installed `lifeboat` and `kubectl-lifeboat` run from a scratch directory with no source in reach.
 *
 * The install resolves the dependencies through npm: from the local npm cache where it holds them
 * (`--prefer-offline`), else from the npm registry (npm keeps no offline copy of the package metadata a global
 * install needs, so a machine with an empty cache needs the registry). Nothing is installed outside the temporary
 * prefix.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { VERSION } from '../../src/version.ts';
import { REPO_ROOT } from '../support/testenv.ts';

const run = promisify(execFile);
const NAME = '@lifeboat-dev/lifeboat';
/** npm as the developer runs it (from the PATH; it runs on the node found first there). */
const npm = 'npm';

let scratch = '';
let prefix = '';
let files: string[] = [];

/** Runs an installed command from the scratch directory, with only the prefix's bin and node on the PATH. */
async function installed(command: string, ...args: string[]): Promise<{ status: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(join(prefix, 'bin', command), args, {
      cwd: scratch,
      env: { PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'), HOME: scratch },
    });
    return { status: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

describe('npm package', () => {
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'lifeboat-package-'));
    const copy = join(scratch, 'checkout');
    const { stdout } = await run('git', [
      '-C',
      REPO_ROOT,
      'ls-files',
      '-z',
      '--cached',
      '--others',
      '--exclude-standard',
    ]);
    for (const file of stdout.split('\0').filter((f) => f && existsSync(join(REPO_ROOT, f)))) {
      await mkdir(dirname(join(copy, file)), { recursive: true });
      await cp(join(REPO_ROOT, file), join(copy, file));
    }
    // The build (`prepack`) needs the dev dependencies (esbuild); the copy borrows the checkout's.
    await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const packed = await run(npm, ['pack', '--json', '--pack-destination', scratch], {
      cwd: copy,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(info);
    files = info.files.map((f) => f.path);
    prefix = join(scratch, 'prefix');
    await run(
      npm,
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(scratch, info.filename),
      ],
      { cwd: scratch, maxBuffer: 64 * 1024 * 1024 },
    );
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('is the scoped package with the bundled CLI, the examples and no source or tests', () => {
    assert.ok(files.includes('bin/lifeboat.js'));
    assert.ok(files.includes('bin/kubectl-lifeboat.js'));
    assert.ok(files.includes('dist/lifeboat.js'));
    assert.ok(files.includes('examples/pvc-daily.yaml'));
    assert.deepEqual(
      files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || /\.test\.js$/.test(f)),
      [],
    );
    assert.ok(existsSync(join(prefix, 'lib', 'node_modules', NAME, 'package.json')));
    // Production dependencies only: the compiler stays behind.
    assert.equal(existsSync(join(prefix, 'lib', 'node_modules', NAME, 'node_modules', 'typescript')), false);
  });

  it('runs `lifeboat --version` and `lifeboat version` from a scratch directory', async () => {
    assert.deepEqual(await installed('lifeboat', '--version'), { status: 0, out: `${VERSION}\n`, err: '' });
    const version = await installed('lifeboat', 'version', '-o', 'json');
    assert.equal(JSON.parse(version.out).lifeboat, VERSION);
  });

  it('renders the shipped examples with the installed binary', async () => {
    const examples = join(prefix, 'lib', 'node_modules', NAME, 'examples');
    const r = await installed('lifeboat', 'render', '-f', examples);
    assert.equal(r.status, EXIT.ok, r.err);
    assert.match(r.err, /^6 PVCs: 4 protected, 1 invalid, 1 exempt$/m);
    assert.match(r.out, /kind: ReplicationSource/);
  });

  it('ships the kubectl plugin, which names itself `kubectl lifeboat`', async () => {
    const help = await installed('kubectl-lifeboat', '--help');
    assert.equal(help.status, 0, help.err);
    assert.match(help.out, /^Usage: kubectl lifeboat \[options\] \[command\]/);
    const usage = await installed('kubectl-lifeboat', 'check');
    assert.equal(usage.status, EXIT.usage);
    assert.equal(
      usage.err,
      "error: missing required argument 'namespace/pvc'\n(run `kubectl lifeboat check --help` for usage)\n",
    );
  });
});
