/**
 * The CLI as a user meets it, through the real process: exit statuses, the stdout/stderr split and the exact
 * messages of the exit-code contract, help, --version, completion and kubeconfig handling. The API server of the
 * kubeconfig tests is a plain loopback HTTP server that records what the CLI sends and refuses every request: what
 * is under test is which credentials and server the CLI picked, not the Kubernetes API.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnCli } from '../../test/support/cli.ts';
import { VERSION } from '../version.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-process-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const COMMANDS = [
  'version',
  'check',
  'catalog',
  'serve-catalog',
  'sync',
  'status',
  'restore',
  'render',
  'run',
  'manifests',
  'completion',
];

describe('lifeboat (process): exit statuses and help', () => {
  it('prints help on stdout and exits 0 when run bare, like kubectl and helm', async () => {
    const r = await spawnCli([]);
    assert.equal(r.status, 0);
    assert.equal(r.err, '');
    assert.match(r.out, /^Usage: lifeboat \[options\] \[command\]/);
    for (const command of COMMANDS) assert.match(r.out, new RegExp(`^  ${command} `, 'm'));
  });

  it('documents every exit status in --help', async () => {
    const r = await spawnCli(['--help'], { env: { COLUMNS: '200' } });
    assert.equal(r.status, 0);
    assert.match(r.out, /\nExit status \(every command\):\n/);
    for (const [code, text] of EXIT_CODES_HELP)
      assert.ok(r.out.includes(`  ${String(code).padEnd(3)}  ${text}\n`), text);
  });

  it('prints --version alone on stdout', async () => {
    const r = await spawnCli(['--version']);
    assert.deepEqual(r, { status: 0, out: `${VERSION}\n`, err: '' });
  });

  it('ends a subcommand usage error with status 1 and a pointer to that subcommand --help', async () => {
    const unknownFlag = await spawnCli(['check', 'a/b', '--bogus']);
    assert.deepEqual(unknownFlag, {
      status: EXIT.usage,
      out: '',
      err: "error: unknown option '--bogus'\n(run `lifeboat check --help` for usage)\n",
    });
    const own = await spawnCli(['catalog', '--concurrency', '0', '--backend', 'restic']);
    assert.deepEqual(own, {
      status: EXIT.usage,
      out: '',
      err: 'error: --concurrency "0" must be a whole number of at least 1\n(run `lifeboat catalog --help` for usage)\n',
    });
    const choice = await spawnCli(['status', '-o', 'xml']);
    assert.equal(choice.status, EXIT.usage);
    assert.match(choice.err, /Allowed choices are table, json, yaml\.\n\(run `lifeboat status --help` for usage\)\n$/);
  });

  it('ends an unknown command with status 1 and a pointer to lifeboat --help', async () => {
    const r = await spawnCli(['frobnicate']);
    assert.equal(r.status, EXIT.usage);
    assert.equal(r.out, '');
    assert.equal(r.err, "error: unknown command 'frobnicate'\n(run `lifeboat --help` for usage)\n");
  });

  it('wraps help to the terminal width instead of breaking lines by hand', async () => {
    for (const command of ['', ...COMMANDS]) {
      const args = command ? [command, '--help'] : ['--help'];
      const narrow = await spawnCli(args, { env: { COLUMNS: '80' } });
      assert.equal(narrow.status, 0, command);
      const long = narrow.out.split('\n').filter((line) => line.length > 80);
      assert.deepEqual(long, [], `lifeboat ${command} --help at 80 columns`);
    }
    // At 200 columns the same paragraphs come out as longer lines: the breaks are the wrapper's, not the source's.
    const wide = await spawnCli(['render', '--help'], { env: { COLUMNS: '200' } });
    assert.match(
      wide.out,
      /^ {2}- A PVC is Bound and older than minPvcAge unless its manifest says otherwise .{60,}$/m,
    );
  });
});

describe('lifeboat completion (process)', () => {
  it('completes commands, flags and fixed choices in a real bash', async () => {
    const script = await spawnCli(['completion', 'bash']);
    assert.equal(script.status, 0, script.err);
    const file = join(dir, 'lifeboat.bash');
    await writeFile(file, script.out);
    const complete = (...words: string[]) => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
            `_lifeboat; printf "%s\\n" "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(complete('lifeboat', 'ca'), ['catalog']);
    assert.deepEqual(complete('lifeboat', 'catalog', '-o', ''), ['table', 'wide', 'json', 'yaml']);
    assert.deepEqual(complete('lifeboat', 'check', '--backend', 'r'), ['restic']);
    assert.ok(complete('lifeboat', 'status', '--').includes('--context'));
    assert.ok(complete('lifeboat', 'render', '--').includes('--strict'));
    assert.match(script.out, /^complete -o default -F _lifeboat lifeboat kubectl-lifeboat$/m);
  });

  it('prints zsh and fish scripts and refuses other shells', async () => {
    const zsh = await spawnCli(['completion', 'zsh']);
    assert.equal(zsh.status, 0);
    assert.match(zsh.out, /bashcompinit/);
    const fish = await spawnCli(['completion', 'fish']);
    assert.equal(fish.status, 0);
    assert.match(
      fish.out,
      /^complete -c lifeboat -n '__fish_seen_subcommand_from catalog' -l output -s o -x -a 'table wide json yaml'/m,
    );
    const other = await spawnCli(['completion', 'tcsh']);
    assert.equal(other.status, EXIT.usage);
    assert.equal(
      other.err,
      'error: unknown shell "tcsh": use bash, zsh, fish\n(run `lifeboat completion --help` for usage)\n',
    );
  });
});

describe('lifeboat kubeconfig handling (process)', () => {
  let server: Server;
  let seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  let url = '';
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          status: 'Failure',
          reason: 'Forbidden',
          message: 'refused by the test',
          code: 403,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const kubeconfig = (doc: Record<string, unknown>) => JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...doc });

  it('says where it looked when there is no kubeconfig, never the library message about skipTLSVerify', async () => {
    const home = join(dir, 'empty-home');
    const r = await spawnCli(['status', '--no-catalog'], { env: { HOME: home } });
    assert.equal(r.status, EXIT.usage);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `error: no kubeconfig found: looked at --kubeconfig (not given), $KUBECONFIG (not set), ${join(home, '.kube', 'config')} ` +
        '(does not exist) and the in-cluster service account (not in a pod); pass --kubeconfig <file> or set KUBECONFIG\n' +
        '(run `lifeboat status --help` for usage)\n',
    );
    assert.doesNotMatch(r.err, /HTTP protocol/);
  });

  it('names an unreadable --kubeconfig and a $KUBECONFIG whose files all are missing', async () => {
    const missing = join(dir, 'nope.yaml');
    const flag = await spawnCli(['status', '--kubeconfig', missing]);
    assert.equal(flag.status, EXIT.usage);
    assert.match(flag.err, new RegExp(`^error: cannot read kubeconfig ${missing} \\(ENOENT\\)\\n`));
    const env = await spawnCli(['status'], { env: { KUBECONFIG: `${missing}${delimiter}${missing}2` } });
    assert.equal(env.status, EXIT.usage);
    assert.match(
      env.err,
      /^error: no kubeconfig found: \$KUBECONFIG lists .*nope\.yaml, .*nope\.yaml2 and none of them exists/,
    );
  });

  it('shows a kubeconfig YAML error with its line and a caret', async () => {
    const file = join(dir, 'broken-kubeconfig');
    await writeFile(file, 'apiVersion: v1\nclusters: [\n');
    const r = await spawnCli(['status', '--kubeconfig', file]);
    assert.equal(r.status, EXIT.usage);
    assert.match(
      r.err,
      new RegExp(`^error: kubeconfig ${file}: line 3, column 1: .*\\n {4}clusters: \\[\\n {4}\\n {4}\\^\\n`),
    );
  });

  it('merges the files of $KUBECONFIG like kubectl and honours --context', async () => {
    // The first file holds the contexts and the current one; the second the cluster and the users (and a decoy
    // current-context that must lose, and a duplicate user that must lose to the first definition).
    const first = join(dir, 'kc-first');
    const second = join(dir, 'kc-second');
    await writeFile(
      first,
      kubeconfig({
        'current-context': 'main',
        contexts: [
          { name: 'main', context: { cluster: 'test', user: 'alice' } },
          { name: 'other', context: { cluster: 'test', user: 'bob' } },
        ],
        users: [{ name: 'alice', user: { token: 'alice-from-first' } }],
      }),
    );
    await writeFile(
      second,
      kubeconfig({
        'current-context': 'decoy',
        clusters: [{ name: 'test', cluster: { server: url } }],
        users: [
          { name: 'alice', user: { token: 'alice-from-second' } },
          { name: 'bob', user: { token: 'bob-token' } },
        ],
      }),
    );
    const KUBECONFIG = [first, join(dir, 'absent'), second].join(delimiter);
    seen = [];
    const current = await spawnCli(['status', '--no-catalog'], { env: { KUBECONFIG } });
    assert.equal(current.status, EXIT.failed, current.err);
    assert.match(current.err, /refused by the test/);
    assert.ok(seen.length > 0);
    assert.ok(seen.every((s) => s.headers.authorization === 'Bearer alice-from-first'));
    seen = [];
    const other = await spawnCli(['status', '--no-catalog', '--context', 'other'], { env: { KUBECONFIG } });
    assert.equal(other.status, EXIT.failed, other.err);
    assert.ok(seen.length > 0 && seen.every((s) => s.headers.authorization === 'Bearer bob-token'));
    const unknown = await spawnCli(['status', '--context', 'nope'], { env: { KUBECONFIG } });
    assert.equal(unknown.status, EXIT.usage);
    assert.match(
      unknown.err,
      /^error: kubeconfig \(.*kc-first, .*kc-second\): context "nope" is not defined \(contexts: main, other\)\n/,
    );
  });
});

describe('messages a user can act on (process)', () => {
  it('accepts a plain absolute path as a Kopia --repository, and names the flag when a location is wrong', async () => {
    const empty = join(dir, 'kopia-empty');
    await mkdir(empty);
    // An empty directory is a missing repository unless this is a first installation (--first-install).
    const r = await spawnCli(['check', 'app/data', '--backend', 'kopia', '--repository', empty, '--first-install'], {
      env: { KOPIA_PASSWORD: 'unused-here' },
    });
    assert.equal(r.status, EXIT.ok, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.decision, 'fresh');
    assert.equal(out.repository, `filesystem://${empty}`);
    const relative = await spawnCli(['check', 'app/data', '--backend', 'kopia', '--repository', 'backups']);
    assert.equal(relative.status, EXIT.usage);
    assert.match(relative.err, /^error: --repository "backups" is not a URL; use filesystem:\/\/\/path or s3:/);
    const fromEnv = await spawnCli(['check', 'app/data', '--backend', 'kopia'], {
      env: { KOPIA_REPOSITORY: 'backups' },
    });
    assert.match(fromEnv.err, /^error: KOPIA_REPOSITORY "backups" is not a URL/);
  });

  it('shows a config YAML error with its line and a caret, not a cut-off string', async () => {
    const file = join(dir, 'broken-config.yaml');
    await writeFile(file, 'repository:\n  backend: kopia\n  identity: a: b\n');
    const r = await spawnCli(['render', '-f', 'examples/', '--config', file]);
    assert.equal(r.status, EXIT.usage);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `error: invalid lifeboat config ${file}: 1 problem\n` +
        '  - line 3, column 13: Nested mappings are not allowed in compact mappings. Fix: correct the YAML syntax\n' +
        '      identity: a: b\n' +
        '                ^\n' +
        '(run `lifeboat render --help` for usage)\n',
    );
    const values = join(dir, 'broken-values.yaml');
    await writeFile(values, 'serviceMonitor:\n  enabled: true: yes\n');
    const m = await spawnCli(['manifests', '-f', values]);
    assert.equal(m.status, EXIT.usage);
    assert.equal(
      m.err,
      `error: not valid YAML: ${values}: line 2, column 12: Nested mappings are not allowed in compact mappings\n` +
        '      enabled: true: yes\n' +
        '               ^\n' +
        '(run `lifeboat manifests --help` for usage)\n',
    );
  });
});
