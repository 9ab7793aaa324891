/**
 * Who may use the real node right now: every real-node test file holds this machine-wide lock shared while it uses the
 * node, and a test that replaces the node's cluster (realnode.ts rebuildRealNode) holds it exclusive, so it never
 * pulls the cluster from under another file running at the same time (`--test-concurrency=2`), and a file that starts
 * meanwhile waits and then finds the new cluster.
 *
 * The lock is flock(2) on LOCK_FILE, held by a `flock` child process whose stdin is a pipe from this process: when the
 * test process ends in any way (even SIGKILL), the pipe closes, the child's `cat` ends and the kernel drops the lock.
 * Nothing to clean up after a killed run. (This is not the lock that serialises whole runs of several people's test
 * commands on one machine; it lives beside it under another name.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = process.env.LIFEBOAT_REAL_NODE_USE_LOCK ?? join(tmpdir(), 'lifeboat-real-node-users.lock');

export interface HeldLock {
  mode: 'shared' | 'exclusive';
  /** Milliseconds spent waiting for it. */
  waitedMs: number;
  release(): Promise<void>;
}

/** Waits until the lock is held in `mode`; fails after `timeoutMs` naming the lock file. */
export async function acquireNodeLock(mode: 'shared' | 'exclusive', timeoutMs = 3_600_000): Promise<HeldLock> {
  const started = Date.now();
  const child: ChildProcess = spawn(
    'flock',
    [
      mode === 'shared' ? '--shared' : '--exclusive',
      '--timeout',
      String(Math.ceil(timeoutMs / 1000)),
      LOCK_FILE,
      'sh',
      '-c',
      'echo held; exec cat >/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(
        new Error(
          `the real node's ${mode} lock (${LOCK_FILE}) was not taken (flock exit ${code}): ` +
            `${stderr.trim() || `another test held it longer than ${timeoutMs} ms`}`,
        ),
      ),
    );
    child.once('error', reject);
  });
  // Once held, neither the child nor its pipes keep the test process alive: the lock lasts as long as the process, at
  // most. (While waiting they must: nothing else may be pending.)
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let released = false;
  return {
    mode,
    waitedMs: Date.now() - started,
    release: async () => {
      if (released) return;
      released = true;
      child.ref(); // waited for: the process must not end before the lock is given back
      child.stdin?.end();
      await exited;
    },
  };
}
