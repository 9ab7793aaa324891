/**
 * The shape of the lifeboat config (which keys each mapping knows, which mappings hold user-chosen names, which
 * fields take one of a fixed set of words), learnt from the loader itself: `parseConfig` reads probe configs with a
 * Reader that records every mapping and choice it is asked for, until no probe finds anything new. The chart embeds
 * the result (files/config-shape.json) so that `helm template` refuses a misspelt config key with the loader's own
 * message, and values.schema.json describes `config:` from it. A key added to the loader is in the shape at the next
 * `node src/deploy/write-generated-files.ts`; generated-files.test.ts fails until then.
 */
import { parseConfig } from '../config/load.ts';
import { Reader, type Rule, type Section } from '../config/reader.ts';

/** A mapping of the config: its keys in the loader's order, and what each key holds when that is a mapping. */
export interface ShapeNode {
  keys: string[];
  /** Keys whose value is a mapping the loader reads. */
  sections?: Record<string, ShapeNode>;
  /** Keys whose value maps user-chosen names (tiers, Secret keys, storage classes) to a mapping of this shape, or to scalars (null). */
  entries?: Record<string, ShapeNode | null>;
  /** Keys whose value is one of these words. */
  choices?: Record<string, string[]>;
  /** The JSON schema of keys the loader reads as a scalar or a list (types and limits, not the finer rules). */
  scalars?: Record<string, Record<string, unknown>>;
}

/** The user-chosen name the probes use; the shape records it as "any name". */
const PROBE = 'lifeboatprobe';

class RecordingReader extends Reader {
  readonly sections = new Map<string, readonly string[]>();
  readonly entryPaths = new Set<string>();
  readonly choices = new Map<string, readonly string[]>();
  readonly scalars = new Map<string, Record<string, unknown>>();

  override section(value: unknown, path: string, known: readonly string[]): Section {
    this.sections.set(path, known);
    return super.section(value, path, known);
  }

  override entries(section: Section, key: string): [string, unknown, string][] | undefined {
    this.entryPaths.add(join(section.path, key));
    return super.entries(section, key);
  }

  override oneOf<T extends string>(section: Section, key: string, fallback: T, allowed: readonly T[]): T {
    this.choices.set(join(section.path, key), allowed);
    return super.oneOf(section, key, fallback, allowed);
  }

  override optionalString(section: Section, key: string, rule?: Rule<string>): string | undefined {
    this.scalars.set(join(section.path, key), { type: 'string', minLength: 1 });
    return super.optionalString(section, key, rule);
  }

  override optionalInteger(section: Section, key: string, min: number, max = Number.MAX_SAFE_INTEGER) {
    const limits = max === Number.MAX_SAFE_INTEGER ? { minimum: min } : { minimum: min, maximum: max };
    this.scalars.set(join(section.path, key), { type: 'integer', ...limits });
    return super.optionalInteger(section, key, min, max);
  }

  override boolean(section: Section, key: string, fallback: boolean): boolean {
    this.scalars.set(join(section.path, key), { type: 'boolean' });
    return super.boolean(section, key, fallback);
  }

  override duration(section: Section, key: string, fallback: number, minMs: number): number {
    this.scalars.set(join(section.path, key), { type: 'string', description: 'a duration such as 90s, 15m or 2h' });
    return super.duration(section, key, fallback, minMs);
  }

  override stringList(section: Section, key: string, fallback: readonly string[], rule?: Rule<string>): string[] {
    this.scalars.set(join(section.path, key), { type: 'array', items: { type: 'string', minLength: 1 } });
    return super.stringList(section, key, fallback, rule);
  }
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function setAt(root: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(root);
  const parts = path.split('.');
  let node = copy;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
  return copy;
}

interface Observed {
  sections: Map<string, readonly string[]>;
  entryPaths: Set<string>;
  choices: Map<string, readonly string[]>;
  scalars: Map<string, Record<string, unknown>>;
}

/**
 * Explores the loader: start from the empty config; for every field with choices try each choice, for every known
 * key not yet seen as a mapping try a mapping there, for every name-keyed mapping try one name. Each of these is
 * tried once, on top of the probe that revealed it, so the exploration ends.
 */
function observe(): Observed {
  const seen: Observed = { sections: new Map(), entryPaths: new Set(), choices: new Map(), scalars: new Map() };
  const tried = new Set<string>();
  const queue: Record<string, unknown>[] = [{}];
  for (let probe = queue.shift(); probe !== undefined; probe = queue.shift()) {
    const r = new RecordingReader();
    try {
      parseConfig(probe, 'probe', r);
    } catch {
      // Probes are mostly invalid configs; only what the loader asked for matters.
    }
    for (const [path, known] of r.sections) seen.sections.set(path, known);
    for (const path of r.entryPaths) seen.entryPaths.add(path);
    for (const [path, allowed] of r.choices) seen.choices.set(path, allowed);
    for (const [path, schema] of r.scalars) seen.scalars.set(path, schema);
    const next: [string, unknown][] = [
      ...[...r.sections].flatMap(([path, known]) => known.map((key): [string, unknown] => [join(path, key), {}])),
      ...[...r.entryPaths].map((path): [string, unknown] => [path, { [PROBE]: {} }]),
      ...[...r.choices].flatMap(([path, allowed]) => allowed.map((choice): [string, unknown] => [path, choice])),
    ];
    for (const [path, value] of next) {
      const id = `${path}=${JSON.stringify(value)}`;
      if (tried.has(id) || (seen.sections.has(path) && !seen.entryPaths.has(path))) continue;
      tried.add(id);
      queue.push(setAt(probe, path, value));
    }
  }
  return seen;
}

/** The config's shape as the loader reads it. */
export function configShape(): ShapeNode {
  const { sections, entryPaths, choices, scalars } = observe();
  const nodeAt = (path: string): ShapeNode => {
    const known = sections.get(path) ?? [];
    const sectionNodes: Record<string, ShapeNode> = {};
    const entryNodes: Record<string, ShapeNode | null> = {};
    const choiceLists: Record<string, string[]> = {};
    const scalarSchemas: Record<string, Record<string, unknown>> = {};
    for (const key of known) {
      const child = join(path, key);
      const entry = join(child, PROBE);
      if (entryPaths.has(child)) entryNodes[key] = sections.has(entry) ? nodeAt(entry) : null;
      else if (sections.has(child)) sectionNodes[key] = nodeAt(child);
      const allowed = choices.get(child);
      if (allowed) choiceLists[key] = [...allowed];
      const scalar = scalars.get(child);
      if (scalar && !allowed && !sections.has(child) && !entryPaths.has(child)) scalarSchemas[key] = scalar;
    }
    const some = <T>(record: Record<string, T>) => (Object.keys(record).length > 0 ? record : undefined);
    const [s, e, c, v] = [some(sectionNodes), some(entryNodes), some(choiceLists), some(scalarSchemas)];
    return {
      keys: [...known],
      ...(s && { sections: s }),
      ...(e && { entries: e }),
      ...(c && { choices: c }),
      ...(v && { scalars: v }),
    };
  };
  return nodeAt('');
}

/**
 * JSON schema of `config:` for values.schema.json: which keys are mappings, lists, numbers (with their limits),
 * booleans or text, so Helm refuses a wrong type before rendering; the known keys and choices for editors. Misspelt
 * keys and wrong choices are left to the chart's check, which answers with the loader's message.
 */
export function configSchema(node: ShapeNode = configShape()): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const key of node.keys) {
    const section = node.sections?.[key];
    const entries = node.entries?.[key];
    const choices = node.choices?.[key];
    const scalar = node.scalars?.[key];
    if (section) properties[key] = configSchema(section);
    else if (entries !== undefined) {
      properties[key] = {
        type: ['object', 'null'],
        ...(entries ? { additionalProperties: configSchema(entries) } : {}),
      };
    } else if (choices) {
      // Suggested, not enforced: the chart's check answers a wrong choice with the loader's "did you mean".
      properties[key] = { examples: choices, description: `one of ${choices.join(', ')}` };
    } else if (scalar) {
      // null is "the default", as the loader reads it.
      const { type, ...rest } = scalar;
      properties[key] = { type: [type, 'null'], ...rest };
    } else properties[key] = {};
  }
  // No additionalProperties: false, so that a misspelt key reaches the chart's check and its "did you mean".
  return { type: ['object', 'null'], properties };
}
