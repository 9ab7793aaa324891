/**
 * Time as the catalog sees it. Injected so tests can move "now" and fire timers by hand instead of sleeping
 * (staleness, periodic refresh and timeouts are all driven through this one interface).
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    // Background timers must never keep a CLI process (or a test) alive on their own.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** An AbortSignal that aborts after `ms` on `clock`, plus the function to release its timer early. */
export function deadline(clock: Clock, ms: number, what: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const handle = clock.setTimeout(
    () => controller.abort(new DeadlineError(`${what} did not finish within ${ms} ms`)),
    ms,
  );
  return { signal: controller.signal, release: () => clock.clearTimeout(handle) };
}

/** The abort reason of a `deadline` signal. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}
