/**
 * Racing work against an AbortSignal: the result of `work`, or a rejection as soon as the signal aborts. The work
 * itself keeps running (a hung NFS call or an scrypt run cannot be cancelled); its late failure is swallowed so it
 * never becomes an unhandled rejection.
 */
export function raceAbort<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  opts: {
    /** What to reject with; default the signal's reason. */
    reason?: () => unknown;
    /** Releases what is in flight (e.g. destroys a response body) when the signal wins. */
    onAbort?: () => void;
  } = {},
): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.catch(() => {});
      opts.onAbort?.();
      reject(opts.reason ? opts.reason() : signal.reason);
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
