/**
 * Syntax checks for the value formats the config (and the generated objects) use: durations, Kubernetes names,
 * label keys and values, quantities, cron schedules, kopia compression names. Each returns a boolean or a parsed
 * value; the config loader turns failures into messages with the path and the fix.
 */

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1_000, 1] as const;

/** `90s`, `15m`, `2h`, `1h30m`, `7d`, `250ms` → milliseconds; anything else (also a bare number) → undefined. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) total += Number(part) * (UNIT_MS[i] ?? 0);
  }
  return total;
}

/** Milliseconds → a Go `time.ParseDuration` string (`1h30m`, `90s` → `1m30s`), which has no day unit. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/** Milliseconds → a short human form for messages (`2h`, `1h30m`, `45s`). */
export function formatDuration(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const go = formatGoDuration(ms - days * 86_400_000);
  if (days === 0) return go;
  return go === '0s' ? `${days}d` : `${days}d${go}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** RFC 1123 label: namespaces and most names that end up in other names (at most 63 characters). */
export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS_LABEL.test(text);
}

/** RFC 1123 subdomain: names of Secrets, PVCs, custom resources (at most 253 characters). */
export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && DNS_SUBDOMAIN.test(text);
}

/** A Kubernetes label value: at most 63 characters, no `/`. */
export function isLabelValue(text: string): boolean {
  return text.length <= 63 && LABEL_VALUE.test(text);
}

/** A Kubernetes label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export function isQualifiedKey(text: string): boolean {
  const slash = text.indexOf('/');
  const prefix = slash < 0 ? undefined : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && KEY_NAME.test(name);
}

/** The same grammar as the `capacity` fields of the VolSync CRDs, without a sign (sizes are positive). */
const QUANTITY =
  /^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

export function isQuantity(text: string): boolean {
  return QUANTITY.test(text) && /[1-9]/.test(text.replace(/[eE].*$/, ''));
}

/** VolSync's schedule macros; each pins the minute to 0. */
export const SCHEDULE_MACROS: readonly string[] = ['@annually', '@yearly', '@monthly', '@weekly', '@daily', '@hourly'];

/** The token in the minute field of a tier schedule that stands for the PVC's own minute. */
export const SPREAD_MINUTE = 'H';

/** The per-field grammar VolSync's CRD accepts (`1,2,3`, `1-5`, `0/15`, `*`, `*\/15`). */
const CRON_FIELD = /^(?:(?:\d+,)*\d+|\d+[/-]\d+|\*(?:\/\d+)?)$/;
const CRON_FIELDS: readonly { name: string; min: number; max: number }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

/**
 * Checks a tier schedule: a VolSync macro, or five cron fields in VolSync's grammar whose minute may be `H`.
 * Returns what is wrong, or undefined when it is valid.
 */
export function scheduleProblem(schedule: string): string | undefined {
  if (schedule.startsWith('@')) {
    return SCHEDULE_MACROS.includes(schedule) ? undefined : `unknown macro "${schedule}"`;
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return `has ${fields.length} fields, cron needs 5 (minute hour day-of-month month weekday)`;
  for (const [index, field] of fields.entries()) {
    const spec = CRON_FIELDS[index];
    if (!spec) continue;
    if (field === SPREAD_MINUTE) {
      if (index === 0) continue;
      return `"${SPREAD_MINUTE}" is only allowed in the minute field, not in the ${spec.name} field`;
    }
    if (!CRON_FIELD.test(field)) return `${spec.name} field "${field}" is not in a form VolSync accepts`;
    for (const n of field.match(/\d+/g) ?? []) {
      const value = Number(n);
      const isStep = field.includes('/') && field.endsWith(`/${n}`);
      if (isStep ? value < 1 : value < spec.min || value > spec.max) {
        return `${spec.name} field "${field}" is out of range ${spec.min}-${spec.max}`;
      }
    }
  }
  return undefined;
}
