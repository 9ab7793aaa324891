/**
 * Strings in code-unit order, the order the API server itself returns map keys in. Not localeCompare: its ICU
 * collator pages ~2 MiB of locale data into every operator process for sorts whose order nothing depends on.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
