/**
 * Bounded parallelism for many small reads (hundreds of snapshot files over NFS or S3): enough requests in flight to
 * hide latency, few enough not to flood the backend or the socket pool shared by every repository.
 */

/** `fn` over every item with at most `limit` calls running; results keep the input order. First failure wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failed = true; // stop the other workers from starting more work
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
