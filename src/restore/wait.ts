/**
 * Polling with a deadline, an abort signal (Ctrl-C) and a reminder line for waits that take minutes (a volume
 * populating, a GitOps tool recreating a claim), so the person at the terminal sees that it is still alive.
 */
import { sleep } from '../kube/backoff.ts';

export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
}

export interface WaitOptions {
  signal?: AbortSignal;
  pollMs: number;
  timeoutMs: number;
  /** Called every `remindMs` while waiting, with the probe's last state. */
  remind?: (state: string, waitedMs: number) => void;
  remindMs?: number;
}

/**
 * Polls `probe` until it returns `{ done: true, value }`; `state` describes where things stand for reminders and the
 * timeout message. A probe may throw to stop waiting (a refusal it discovered).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<{ done: true; value: T } | { done: false; state: string }>,
  opts: WaitOptions,
): Promise<T> {
  const started = Date.now();
  let lastRemind = started;
  for (;;) {
    if (opts.signal?.aborted) throw new Interrupted(`interrupted while waiting for ${what}`);
    const result = await probe();
    if (result.done) return result.value;
    const now = Date.now();
    if (now - started > opts.timeoutMs) {
      throw new WaitTimeout(`gave up waiting for ${what} after ${Math.round(opts.timeoutMs / 1000)}s: ${result.state}`);
    }
    if (opts.remind && now - lastRemind >= (opts.remindMs ?? 60_000)) {
      lastRemind = now;
      opts.remind(result.state, now - started);
    }
    await sleep(opts.pollMs, opts.signal);
  }
}
