/**
 * Holds a PromQL expression against the metric registry: it must parse, yield an instant vector (what alerts and
 * graphs need), read only known metrics whose status the caller allows, and match only labels those metrics carry (a
 * misspelt label matcher selects nothing, and an alert over nothing never fires).
 */
import { lookupMetric, type MetricStatus, TARGET_LABELS } from './metric-lookup.ts';
import { parsePromQL, selectorsOf } from './promql.ts';

export interface ExpressionReport {
  problems: string[];
  /** Registry statuses of the metrics read, e.g. to tell a planned alert from one that could ship. */
  statuses: Set<MetricStatus>;
}

export function checkExpression(expression: string, allowed: readonly MetricStatus[]): ExpressionReport {
  const statuses = new Set<MetricStatus>();
  let parsed: ReturnType<typeof parsePromQL>;
  try {
    parsed = parsePromQL(expression);
  } catch (error) {
    return { problems: [(error as Error).message], statuses };
  }
  const problems: string[] = [];
  if (parsed.type !== 'vector') problems.push(`evaluates to a ${parsed.type}, not an instant vector`);
  for (const selector of selectorsOf(parsed.expr)) {
    if (!selector.name) {
      problems.push('a selector without a metric name');
      continue;
    }
    const found = lookupMetric(selector.name);
    if (!found) {
      problems.push(`${selector.name} is not in the metric registry (src/deploy/metric-names.ts)`);
      continue;
    }
    statuses.add(found.status);
    if (!allowed.includes(found.status))
      problems.push(`${selector.name} is ${found.status}, allowed: ${allowed.join(', ')}`);
    const known = new Set([...found.metric.labels, ...found.extraLabels, ...TARGET_LABELS]);
    for (const matcher of selector.matchers) {
      if (!known.has(matcher.label)) problems.push(`${selector.name} has no label "${matcher.label}"`);
    }
  }
  return { problems, statuses };
}
