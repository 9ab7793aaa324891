/** Drops cached entries whose key is no longer in use, so cache memory follows the repository, not its history. */
export function retain<V>(cache: Map<string, V>, keep: ReadonlySet<string>): void {
  for (const key of cache.keys()) if (!keep.has(key)) cache.delete(key);
}
