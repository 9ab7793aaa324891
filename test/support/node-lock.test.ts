/**
 * The real node's use lock (node-lock.ts) with the real flock(1) on a private lock file: shared holders coexist, an
 * exclusive taker waits for all of them, and a holder killed with SIGKILL gives the lock back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-node-lock-test-'));
process.env.LIFEBOAT_REAL_NODE_USE_LOCK = join(dir, 'users.lock');
const { acquireNodeLock, LOCK_FILE } = await import('./node-lock.ts');
after(() => rmSync(dir, { recursive: true, force: true }));

const settledWithin = async (p: Promise<unknown>, ms: number) =>
  await Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('the real node use lock', () => {
  it('is the private file of this test', () => assert.equal(LOCK_FILE, join(dir, 'users.lock')));

  it('lets shared holders in together and an exclusive one only after all of them', async () => {
    const a = await acquireNodeLock('shared');
    const b = await acquireNodeLock('shared');
    const exclusive = acquireNodeLock('exclusive');
    assert.equal(await settledWithin(exclusive, 500), false, 'exclusive waits while shared holders remain');
    await a.release();
    assert.equal(await settledWithin(exclusive, 300), false, 'one shared holder is still there');
    await b.release();
    const held = await exclusive;
    assert.equal(held.mode, 'exclusive');
    const shared = acquireNodeLock('shared');
    assert.equal(await settledWithin(shared, 300), false, 'shared waits while the exclusive holder runs');
    await held.release();
    await (await shared).release();
  });

  it('is given back when its holder is killed', async () => {
    const script = `import { acquireNodeLock } from ${JSON.stringify(join(import.meta.dirname, 'node-lock.ts'))};
await acquireNodeLock('exclusive');
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const mine = acquireNodeLock('shared');
    assert.equal(await settledWithin(mine, 300), false, 'the other process holds it');
    child.kill('SIGKILL');
    const held = await mine;
    assert.ok(held.waitedMs >= 300);
    await held.release();
  });
});
