/** Problems found while loading a config, each with where it is and how to fix it; all reported at once. */

export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `tiers.hourly.trigger.schedule`; empty for the whole file. */
  path: string;
  /** What is wrong, e.g. `"H * *" has 3 fields, cron needs 5`. */
  problem: string;
  /** What to write instead. */
  fix: string;
  /** Lines of the file that show the spot (a YAML syntax error's line and caret), printed under the issue. */
  excerpt?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  /** Where the config came from (a file name), for the message. */
  readonly source: string;
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(formatIssues(source, issues));
    this.source = source;
    this.issues = issues;
  }
}

export function formatIssues(source: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map(
    (i) => `  - ${i.path || '(file)'}: ${i.problem}. Fix: ${i.fix}${i.excerpt ? `\n${i.excerpt}` : ''}`,
  );
  return `invalid lifeboat config ${source}: ${count}\n${lines.join('\n')}`;
}

/** `parent.key`, or `parent["key"]` when the key is not a plain word (storage class names may contain dots). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][\w-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}
