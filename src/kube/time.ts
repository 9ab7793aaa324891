/**
 * metav1.MicroTime as the API server writes it: RFC 3339 with exactly six fractional digits. JavaScript's
 * `toISOString()` gives three, which MicroTime fields (Lease renewTime, Event eventTime) do not accept everywhere.
 */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
