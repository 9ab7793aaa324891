/**
 * The per-file watchdog (watchdog.ts) in a run of its own: a file that leaves an interval behind is ended and named,
 * a file that ends normally exits at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const WATCHDOG = new URL('./watchdog.ts', import.meta.url).pathname;

function runTests(dir: string, files: string[], limitMs: number): Promise<{ status: number | null; output: string }> {
  // A test run of its own: this process's test context must not leak into it.
  const env: NodeJS.ProcessEnv = { ...process.env, LIFEBOAT_TEST_FILE_LIMIT_MS: String(limitMs) };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', `--import=${WATCHDOG}`, ...files], { cwd: dir, env });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output })));
}

describe('test-file watchdog', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-watchdog-'));
    await writeFile(
      join(dir, 'lingers.test.mjs'),
      "import { it } from 'node:test';\nit('passes but leaves an interval', () => { setInterval(() => {}, 1000); });\n",
    );
    await writeFile(join(dir, 'ends.test.mjs'), "import { it } from 'node:test';\nit('passes', () => {});\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ends a file whose process stays alive after its tests, and says why', async () => {
    const { status, output } = await runTests(dir, ['lingers.test.mjs'], 1500);
    assert.equal(status, 1, output);
    assert.match(output, /\[watchdog\] .*lingers\.test\.mjs still running after 2 s: .*active: .*Timeout/);
    assert.match(output, /✖ lingers\.test\.mjs/);
  });

  it('never holds back a file that ends on its own', async () => {
    const started = Date.now();
    const { status, output } = await runTests(dir, ['ends.test.mjs'], 60_000);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /watchdog/);
    // The limit is a minute; a file that waited for the timer would take that long.
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  });
});
