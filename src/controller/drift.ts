/**
 * Drift: does the live object still say everything lifeboat wants it to say? Server-side apply makes lifeboat's
 * fields authoritative, so an apply is needed exactly when some desired field is missing or different in the live
 * object. Fields other managers add (status, server defaults, other labels) are not drift. Comparing first keeps
 * lifeboat from writing on every resync (docs/design.md#api-server-overload: write only when desired and actual
 * differ).
 */

export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (Array.isArray(desired)) {
    // Lists are atomic in lifeboat's objects (accessModes, moverVolumes): compare element by element, same length.
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => v === undefined || isSubset(v, l[k]));
  }
  // Scalars: the API server may echo numbers for int-or-string fields as numbers or strings.
  if (
    (typeof desired === 'number' || typeof desired === 'string') &&
    (typeof live === 'number' || typeof live === 'string')
  ) {
    return String(desired) === String(live);
  }
  return false;
}

/** The first path where `desired` and `live` differ, for the Event that reports a repaired drift. */
export function firstDifference(desired: unknown, live: unknown, path = ''): string | undefined {
  if (isSubset(desired, live)) return undefined;
  if (desired !== null && typeof desired === 'object' && !Array.isArray(desired) && live && typeof live === 'object') {
    for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
      const found = firstDifference(v, (live as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (found) return found;
    }
  }
  return path || '(root)';
}
