/**
 * Starting the real servers tests depend on, so that none outlives the test process: each child is started through
 * `setpriv --pdeathsig KILL` (the kernel kills it when the spawning process dies, even on SIGKILL of the test runner),
 * and `stop()` plus a process 'exit' hook end it on every normal path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Managed {
  name: string;
  pid: number;
  /** Resolves when the process has exited (for any reason). */
  exited: Promise<number | null>;
  /** Last lines of output, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; logFile?: string } = {},
): Managed {
  // The run marker (set by the global setup) goes to every server, even one started with a clean environment, so the
  // run's final check can tell its own leftovers from other processes on the machine.
  const marker = process.env.LIFEBOAT_TEST_RUN;
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
    env: { ...(opts.env ?? process.env), ...(marker ? { LIFEBOAT_TEST_RUN: marker } : {}) },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  // A server must not keep the test process alive by itself: whoever started it stops it explicitly (or the
  // process's end does), so unref the child and its pipes.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  const log = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    log?.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running.delete(child);
      log?.end();
      resolve(code);
    });
    child.on('error', (error) => {
      lines.push(`spawn failed: ${error.message}`);
      running.delete(child);
      resolve(null);
    });
  });
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    tail: () => lines.slice(-20).join('\n'),
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Waiting for the exit needs the child referenced again, or the event loop could end before it is reported.
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (callers retry on the rare collision). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true, failing with `describe()` when the process dies or time runs out. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; process?: Managed },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let dead = false;
  void opts.process?.exited.then(() => {
    dead = true;
  });
  for (;;) {
    if (dead) throw new Error(`${what}: ${opts.process?.name} exited early. Its last output:\n${opts.process?.tail()}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not ready after ${opts.timeoutMs} ms.${opts.process ? ` Last output of ${opts.process.name}:\n${opts.process.tail()}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
