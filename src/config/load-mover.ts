import { BACKEND_KINDS, MOVERS, type MoverOptionsByName } from '../mover/index.ts';
import type { MoverOption } from '../mover/mover.ts';
import { childPath } from './issues.ts';
import type { Reader, Rule, Section } from './reader.ts';
import { dnsSubdomain, quantity } from './rules.ts';
import { closest } from './suggest.ts';
import type { Backend, MoverConfig } from './types.ts';

/** `mover:`: fields every generated ReplicationSource and ReplicationDestination carries. */
export function readMover(r: Reader, root: Section, d: MoverConfig): MoverConfig {
  const s = r.section(root.values.mover, 'mover', [
    'storageClassName',
    'volumeSnapshotClassName',
    'volumeSnapshotClassByStorageClass',
    'cacheCapacity',
    'moverSecurityContext',
    ...BACKEND_KINDS,
  ]);
  const storageClassName = r.optionalString(s, 'storageClassName', dnsSubdomain);
  const volumeSnapshotClassName = r.optionalString(s, 'volumeSnapshotClassName', dnsSubdomain);
  const byClass: Record<string, string> = {};
  for (const [storageClass, value, path] of r.entries(s, 'volumeSnapshotClassByStorageClass') ?? []) {
    const snapshotClass = r.text(value, path, dnsSubdomain);
    if (snapshotClass !== undefined) byClass[storageClass] = snapshotClass;
  }

  const sc = r.section(s.values.moverSecurityContext, childPath(s.path, 'moverSecurityContext'), [
    'runAsUser',
    'runAsGroup',
    'fsGroup',
  ]);
  const runAsUser = r.integer(sc, 'runAsUser', d.moverSecurityContext.runAsUser, 0);
  if (runAsUser === 0 && sc.values.runAsUser === 0) {
    r.report(
      childPath(sc.path, 'runAsUser'),
      'is 0 (root); without the privileged-movers annotation a root mover has no capabilities, with it VolSync already runs as root',
      "use the application's uid (the default is 568)",
    );
  }

  // Each mover's options, its section first: in two passes, so problems keep the order they were always reported in
  // (sections and names, then the shared sizes and ids, then the counts).
  const options = BACKEND_KINDS.map((name) => readOptions(r, s, name, d[name]));

  return {
    ...(storageClassName !== undefined && { storageClassName }),
    ...(volumeSnapshotClassName !== undefined && { volumeSnapshotClassName }),
    volumeSnapshotClassByStorageClass: byClass,
    cacheCapacity: r.string(s, 'cacheCapacity', d.cacheCapacity, quantity),
    moverSecurityContext: {
      runAsUser,
      runAsGroup: r.integer(sc, 'runAsGroup', d.moverSecurityContext.runAsGroup, 0),
      fsGroup: r.integer(sc, 'fsGroup', d.moverSecurityContext.fsGroup, 0),
    },
    ...(Object.fromEntries(options.map((read) => read())) as MoverOptionsByName),
  };
}

/**
 * `mover.<name>:` by the mover's own field list: reads its section and string fields now, and returns the reading of
 * its integer fields for later.
 */
function readOptions(r: Reader, mover: Section, name: Backend, defaults: object): () => [Backend, object] {
  const s = r.section(mover.values[name], childPath(mover.path, name), Object.keys(MOVERS[name].options.fields));
  const fields = Object.entries(MOVERS[name].options.fields) as [string, MoverOption][];
  const fallback = defaults as Record<string, string | number>;
  const read: Record<string, string | number> = {};
  for (const [key, field] of fields) {
    if (field.type === 'string') read[key] = r.string(s, key, String(fallback[key]), field.oneOf && oneOf(field.oneOf));
  }
  return () => {
    for (const [key, field] of fields) {
      if (field.type === 'integer') read[key] = r.integer(s, key, Number(fallback[key]), field.min, field.max);
    }
    return [name, Object.fromEntries(fields.map(([key]) => [key, read[key]]))];
  };
}

function oneOf(set: { values: readonly string[]; what: string }): Rule<string> {
  return {
    check: (v) => {
      if (set.values.includes(v)) return undefined;
      const guess = closest(v, set.values);
      return `"${v}" is not ${set.what}${guess ? ` (did you mean ${guess}?)` : ''}`;
    },
    fix: `use one of ${set.values.join(', ')}`,
  };
}
