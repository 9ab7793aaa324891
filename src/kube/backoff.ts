/** Exponential backoff with jitter, and a sleep that an AbortSignal cuts short. */

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs: number;
  maxMs: number;
  /** Growth per further failure; default 2. */
  factor?: number;
  /**
   * Fraction of the delay drawn at random and added (default 0.2), so that many clients that failed together (every
   * watch of a restarted API server) do not come back in lockstep.
   */
  jitter?: number;
}

/** Delay before retry number `attempt` (1 = after the first failure). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(opts.maxMs, opts.initialMs * (opts.factor ?? 2) ** exponent);
  return Math.min(opts.maxMs, base * (1 + (opts.jitter ?? 0.2) * random()));
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects: callers check the signal themselves). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
