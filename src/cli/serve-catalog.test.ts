import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliProcess, runWithEnv, startWithEnv } from '../../test/support/cli.ts';
import { parseListen } from './serve-catalog.ts';

const PASSWORD = 'serve-catalog-test-pw';
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-serve-'));
  await mkdir(join(dir, 'base'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Waits for the "listening on" log line and returns the base URL. */
async function baseUrl(run: CliProcess): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = /listening on (http:\/\/[^ ]+) /.exec(run.output().err);
    if (m?.[1]) return m[1];
    if (Date.now() > deadline) throw new Error(`serve-catalog did not start:\n${run.output().err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lifeboat serve-catalog', () => {
  it('serves the API until SIGTERM, then shuts down with status 0', async () => {
    const run = startWithEnv(
      { RESTIC_PASSWORD: PASSWORD },
      'serve-catalog',
      '--listen',
      '127.0.0.1:0',
      '--backend',
      'restic',
      '--repository',
      `${dir}/base/{namespace}/{pvc}`,
      '--refresh-interval',
      '1s',
      '--staleness',
      '10s',
    );
    try {
      const url = await baseUrl(run);
      assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
      await until(async () => (await fetch(`${url}/readyz`)).status === 200);
      const exists = await fetch(`${url}/exists/karakeep/data-pvc`);
      assert.equal(exists.status, 200);
      const body = (await exists.json()) as Record<string, unknown>;
      assert.equal(body.decision, 'fresh');
      assert.equal(body.backend, 'restic-fs');
      assert.equal(body.source, `${dir}/base/karakeep/data-pvc`);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^lifeboat_catalog_staleness_bound_seconds 10$/m);
      // The refresh interval is 1 s: a second refresh happens on its own.
      await until(async () =>
        /^lifeboat_catalog_refreshes_total\{result="success"\} [2-9]/m.test(
          await (await fetch(`${url}/metrics`)).text(),
        ),
      );
    } finally {
      process.emit('SIGTERM', 'SIGTERM');
    }
    const result = await run.done;
    assert.equal(result.status, 0, result.err);
    assert.match(result.err, /shutting down/);
    assert.equal(result.err.includes(PASSWORD), false);
  });

  it('takes backend, repository and timings from a config file', async () => {
    const config = join(dir, 'lifeboat.yaml');
    await writeFile(
      config,
      [
        'apiVersion: lifeboat.dev/v1alpha1',
        'kind: LifeboatConfig',
        'repository:',
        '  backend: restic',
        `  url: ${dir}/base/{namespace}-{pvc}`,
        'catalog:',
        '  refreshInterval: 30s',
        '  staleAfter: 2m',
        '',
      ].join('\n'),
    );
    const run = startWithEnv(
      { RESTIC_PASSWORD: PASSWORD },
      'serve-catalog',
      '--listen',
      '127.0.0.1:0',
      '--config',
      config,
    );
    try {
      const url = await baseUrl(run);
      const body = (await (await fetch(`${url}/exists/team/db`)).json()) as Record<string, unknown>;
      assert.equal(body.source, `${dir}/base/team-db`);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^lifeboat_catalog_staleness_bound_seconds 120$/m);
    } finally {
      process.emit('SIGTERM', 'SIGTERM');
    }
    assert.equal((await run.done).status, 0);
  });

  for (const [name, args, message] of [
    ['a listen address without port', ['--listen', 'localhost'], /--listen "localhost" is not host:port/],
    [
      'staleness not above the interval',
      ['--refresh-interval', '5m', '--staleness', '1m'],
      /--staleness .* must be longer than --refresh-interval/,
    ],
    [
      'a missing config file',
      ['--config', '/nonexistent/lifeboat.yaml'],
      /cannot read --config \/nonexistent\/lifeboat.yaml: ENOENT/,
    ],
  ] as const) {
    it(`rejects ${name} with exit 1`, async () => {
      const r = await runWithEnv(
        { RESTIC_PASSWORD: PASSWORD },
        'serve-catalog',
        '--backend',
        'restic',
        '--repository',
        `${dir}/base/{namespace}/{pvc}`,
        ...args,
      );
      assert.equal(r.status, 1);
      assert.match(r.err, message);
    });
  }

  it('rejects an invalid config file with the config problems', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'repository:\n  backend: restic\n');
    const r = await runWithEnv({ RESTIC_PASSWORD: PASSWORD }, 'serve-catalog', '--config', config);
    assert.equal(r.status, 1);
    assert.match(r.err, /repository\.url: is required for restic/);
  });

  it('fails with exit 1 when the port is taken', async () => {
    const blocker = startWithEnv(
      { RESTIC_PASSWORD: PASSWORD },
      'serve-catalog',
      '--listen',
      '127.0.0.1:0',
      '--backend',
      'restic',
      '--repository',
      `${dir}/base/{namespace}/{pvc}`,
    );
    const url = await baseUrl(blocker);
    const r = await runWithEnv(
      { RESTIC_PASSWORD: PASSWORD },
      'serve-catalog',
      '--listen',
      url.replace('http://', ''),
      '--backend',
      'restic',
      '--repository',
      `${dir}/base/{namespace}/{pvc}`,
    );
    process.emit('SIGTERM', 'SIGTERM');
    await blocker.done;
    assert.equal(r.status, 1);
    assert.match(r.err, /EADDRINUSE/);
  });
});

describe('parseListen', () => {
  it('accepts host:port forms', () => {
    assert.deepEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListen('[::]:8080'), { host: '::', port: 8080 });
    assert.deepEqual(parseListen(':9090'), { host: '0.0.0.0', port: 9090 });
    assert.throws(() => parseListen('1.2.3.4:70000'), /not host:port/);
  });
});
