/**
 * Kopia writes times as RFC 3339 with nanoseconds (Go's time.Time / fs.UTCTimestamp). A JS Date keeps only
 * milliseconds, which would make ordering and "later modification wins" ambiguous, so times are compared as
 * BigInt nanoseconds and shortened to milliseconds only for display.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Nanoseconds since the Unix epoch, or undefined when `text` is not RFC 3339. */
export function parseTimeNs(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  // Not Date.UTC: it maps years 0–99 to 1900–1999, and Go's zero time (year 1) does occur in Kopia JSON.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const ms = date.getTime();
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const nanos = BigInt(frac.padEnd(9, '0') || '0');
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + nanos;
}

/** Milliseconds since the epoch (floored, so a time never moves later by rounding). */
export function nsToMs(ns: bigint): number {
  const ms = ns / 1_000_000n;
  return Number(ns < 0n && ns % 1_000_000n !== 0n ? ms - 1n : ms);
}

/** `2026-01-02T03:04:05.123Z` */
export function msToIso(ms: number): string {
  return new Date(ms).toISOString();
}
