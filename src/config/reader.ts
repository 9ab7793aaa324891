import { formatDuration, parseDuration } from './formats.ts';
import { type ConfigIssue, childPath } from './issues.ts';
import { closest } from './suggest.ts';

/** A YAML mapping read so far, with its path for messages. `undefined` fields mean "use the default". */
export interface Section {
  path: string;
  values: Readonly<Record<string, unknown>>;
}

/** A rule on a present value: returns the problem, or undefined when the value is fine. */
export interface Rule<T> {
  check: (value: T) => string | undefined;
  fix: string;
}

/**
 * Reads typed fields out of untyped YAML and records every problem instead of stopping at the first one, so a user
 * fixes a config in one round. Every reader returns the default when the field is absent (or `null`, which is what
 * `key:` with nothing after it parses to) and also when it is invalid: the caller throws once `issues` is non-empty.
 */
export class Reader {
  readonly issues: ConfigIssue[] = [];

  report(path: string, problem: string, fix: string): void {
    this.issues.push({ path, problem, fix });
  }

  /** A mapping with only the `known` keys; unknown keys are reported with the closest known key. */
  section(value: unknown, path: string, known: readonly string[]): Section {
    if (value === undefined || value === null) return { path, values: {} };
    if (!isMapping(value)) {
      this.report(
        path,
        `is ${describe(value)}, expected a mapping`,
        `write \`${path || 'the file'}\` as key: value pairs`,
      );
      return { path, values: {} };
    }
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const guess = closest(key, known);
      this.report(
        childPath(path, key),
        'is not a known setting',
        guess ? `did you mean \`${guess}\`?` : `remove it; known settings here: ${known.join(', ')}`,
      );
    }
    return { path, values: value };
  }

  /** A mapping whose keys are user-chosen (tier names, storage classes); each value is handed to `read`. */
  entries(section: Section, key: string): [string, unknown, string][] | undefined {
    const value = present(section, key);
    if (value === undefined) return undefined;
    const path = childPath(section.path, key);
    if (!isMapping(value)) {
      this.report(path, `is ${describe(value)}, expected a mapping`, `write \`${key}\` as name: value pairs`);
      return undefined;
    }
    return Object.entries(value).map(([name, v]) => [name, v, childPath(path, name)]);
  }

  string(section: Section, key: string, fallback: string, rule?: Rule<string>): string {
    return this.optionalString(section, key, rule) ?? fallback;
  }

  optionalString(section: Section, key: string, rule?: Rule<string>): string | undefined {
    const value = present(section, key);
    return value === undefined ? undefined : this.text(value, childPath(section.path, key), rule);
  }

  /** A value already taken out of its mapping (e.g. a map entry): must be a non-empty string passing `rule`. */
  text(value: unknown, path: string, rule?: Rule<string>): string | undefined {
    if (typeof value !== 'string' || value === '') {
      this.report(path, `is ${describe(value)}, expected a non-empty string`, rule?.fix ?? 'write a text value');
      return undefined;
    }
    return this.apply(path, value, rule);
  }

  oneOf<T extends string>(section: Section, key: string, fallback: T, allowed: readonly T[]): T {
    const value = present(section, key);
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
    this.report(
      childPath(section.path, key),
      `is ${describe(value)}, not one of ${allowed.join(', ')}`,
      guess ? `did you mean \`${guess}\`?` : `use one of ${allowed.join(', ')}`,
    );
    return fallback;
  }

  integer(section: Section, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.optionalInteger(section, key, min, max) ?? fallback;
  }

  optionalInteger(section: Section, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = present(section, key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    this.report(
      childPath(section.path, key),
      `is ${describe(value)}, expected a whole number ${range}`,
      `write a number ${range}`,
    );
    return undefined;
  }

  boolean(section: Section, key: string, fallback: boolean): boolean {
    const value = present(section, key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.report(childPath(section.path, key), `is ${describe(value)}, expected true or false`, 'write true or false');
    return fallback;
  }

  /** A duration string (`15m`); `minMs` guards against zero intervals that would spin. */
  duration(section: Section, key: string, fallback: number, minMs: number): number {
    const value = present(section, key);
    if (value === undefined) return fallback;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms !== undefined && ms >= minMs) return ms;
    const minimum = formatDuration(minMs);
    if (ms === undefined) {
      this.report(
        childPath(section.path, key),
        `is ${describe(value)}, not a duration`,
        'write a duration such as 90s, 15m, 2h or 1h30m',
      );
    } else {
      this.report(
        childPath(section.path, key),
        `is ${describe(value)}, shorter than the minimum of ${minimum}`,
        `write a duration of at least ${minimum}, such as 15m or 1h30m`,
      );
    }
    return fallback;
  }

  stringList(section: Section, key: string, fallback: readonly string[], rule?: Rule<string>): string[] {
    const value = present(section, key);
    if (value === undefined) return [...fallback];
    const path = childPath(section.path, key);
    if (!Array.isArray(value)) {
      this.report(path, `is ${describe(value)}, expected a list`, `write \`${key}\` as a YAML list (- item)`);
      return [...fallback];
    }
    const out: string[] = [];
    for (const [index, item] of value.entries()) {
      const text = this.text(item, childPath(path, index), rule);
      if (text !== undefined) out.push(text);
    }
    return out;
  }

  private apply(path: string, value: string, rule: Rule<string> | undefined): string | undefined {
    const problem = rule?.check(value);
    if (problem === undefined) return value;
    this.report(path, problem, rule?.fix ?? '');
    return undefined;
  }
}

function present(section: Section, key: string): unknown {
  const value = section.values[key];
  return value === null ? undefined : value;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a YAML value for messages: `"abc"`, `42`, `a list`, `a mapping`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return String(value);
}
