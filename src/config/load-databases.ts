import { isDnsSubdomain, isLabelValue, isQualifiedKey } from './formats.ts';
import { childPath } from './issues.ts';
import type { Reader, Rule, Section } from './reader.ts';
import { dnsLabel } from './rules.ts';
import type { DatabaseOperatorConfig, LabelMatch, OwnerKind } from './types.ts';

/** A Kubernetes kind: CamelCase by convention, but some operators' kinds are lower-case (`postgresql`). */
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

const VERSION = /^v\d+((alpha|beta)\d+)?$/;

/** `<apiGroup>/<Kind>`: the group a DNS subdomain (custom resources always have one), no version. */
const ownerRule: Rule<string> = {
  check: (v) => {
    const slash = v.lastIndexOf('/');
    const group = v.slice(0, Math.max(slash, 0));
    const kind = v.slice(slash + 1);
    if (VERSION.test(kind) || /\/v\d+((alpha|beta)\d+)?$/.test(group)) {
      return `"${v}" names a version; owners match any version of the kind`;
    }
    if (slash < 0 || !isDnsSubdomain(group) || !KIND.test(kind)) {
      return `"${v}" is not of the form <apiGroup>/<Kind>`;
    }
    return undefined;
  },
  fix: 'write the API group and kind without the version, e.g. postgresql.cnpg.io/Cluster',
};

const labelRule: Rule<string> = {
  check: (v) => {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!isQualifiedKey(key)) return `"${key}" is not a valid label key`;
    if (eq >= 0 && (v.slice(eq + 1) === '' || !isLabelValue(v.slice(eq + 1)))) {
      return `"${v.slice(eq + 1)}" is not a non-empty label value`;
    }
    return undefined;
  },
  fix: 'write a label key (any value matches), e.g. cnpg.io/cluster, or key=value, e.g. application=spilo',
};

/** `databases:`: replaces the defaults when present (see `LifeboatConfig.databases`); `{}` recognises none. */
export function readDatabases(
  r: Reader,
  root: Section,
  defaults: Readonly<Record<string, DatabaseOperatorConfig>>,
): Record<string, DatabaseOperatorConfig> {
  const entries = r.entries(root, 'databases');
  if (entries === undefined) return structuredClone(defaults) as Record<string, DatabaseOperatorConfig>;
  const databases: Record<string, DatabaseOperatorConfig> = {};
  for (const [name, value, path] of entries) {
    const problem = dnsLabel.check(name);
    if (problem) r.report(path, `operator name ${problem}`, dnsLabel.fix);
    const s = r.section(value, path, ['owners', 'labels']);
    const owners = r.stringList(s, 'owners', [], ownerRule).map(parseOwner);
    const labels = r.stringList(s, 'labels', [], labelRule).map(parseLabel);
    if (owners.length === 0 && labels.length === 0 && !r.issues.some((i) => i.path.startsWith(path))) {
      r.report(
        path,
        'lists neither owners nor labels, so it recognises no PVC',
        `add owners: [<apiGroup>/<Kind>] or labels: [<key>], or remove ${childPath('databases', name)}`,
      );
    }
    databases[name] = { owners, labels };
  }
  return databases;
}

function parseOwner(text: string): OwnerKind {
  const slash = text.lastIndexOf('/');
  return { group: text.slice(0, slash), kind: text.slice(slash + 1) };
}

function parseLabel(text: string): LabelMatch {
  const eq = text.indexOf('=');
  return eq < 0 ? { key: text } : { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** A label match as the config writes it: `key` or `key=value`. */
export function formatLabel(l: LabelMatch): string {
  return l.value === undefined ? l.key : `${l.key}=${l.value}`;
}
