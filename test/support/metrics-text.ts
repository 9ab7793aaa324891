/** A reader for the Prometheus text exposition format, enough to check which metrics a process serves. */

export interface Exposition {
  /** `# TYPE` of every metric family. */
  types: Map<string, string>;
  /** Label names seen on the samples of each family (histogram `_bucket`/`_sum`/`_count` count as the family). */
  labels: Map<string, Set<string>>;
}

function family(sample: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = sample.slice(0, -suffix.length);
    if (sample.endsWith(suffix) && types.get(base) === 'histogram') return base;
  }
  return sample;
}

/** Label names of `{a="x",b="y \"q\""}`, honouring escaped quotes in values. */
function labelNames(text: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1) break;
    names.push(text.slice(i, eq).replace(/^[\s,]+/, ''));
    let j = eq + 2;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    i = j + 1;
  }
  return names;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!m?.[1]) throw new Error(`not an exposition sample: ${line}`);
    const name = family(m[1], types);
    const set = labels.get(name) ?? new Set<string>();
    for (const label of labelNames(m[2] ?? '')) set.add(label);
    labels.set(name, set);
  }
  return { types, labels };
}
