/**
 * Looks a series name up in lifeboat's metric registry (src/deploy/metric-names.ts), for the expression checker
 * (./expressions.ts) that holds alerts and dashboards to the metrics lifeboat serves. The series Prometheus itself adds
 * are listed here, as only that check reads them.
 */
import { EXPORTED, type MetricName, PLANNED } from '../../src/deploy/metric-names.ts';

export interface ExternalMetric extends MetricName {
  source: string;
}

/** Series Prometheus adds for every target; the ServiceMonitor names lifeboat's job `lifeboat`. */
export const EXTERNAL: readonly ExternalMetric[] = [
  {
    name: 'up',
    type: 'gauge',
    labels: [],
    help: '1 when the last scrape of the target succeeded',
    source: 'prometheus',
  },
];

/** Labels every scraped series carries from its target (Prometheus Operator's ServiceMonitor conventions). */
export const TARGET_LABELS: readonly string[] = [
  'job',
  'instance',
  'namespace',
  'service',
  'pod',
  'container',
  'endpoint',
];

export type MetricStatus = 'exported' | 'planned' | 'external';

const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'] as const;

/**
 * The registry entry a series name belongs to (a histogram's `_bucket`, `_sum` and `_count` belong to it), with its
 * status, or undefined for a name lifeboat does not know.
 */
export function lookupMetric(
  series: string,
): { metric: MetricName; status: MetricStatus; extraLabels: string[] } | undefined {
  const lists: [readonly MetricName[], MetricStatus][] = [
    [EXPORTED, 'exported'],
    [PLANNED, 'planned'],
    [EXTERNAL, 'external'],
  ];
  for (const [list, status] of lists) {
    for (const metric of list) {
      if (metric.name === series) return { metric, status, extraLabels: [] };
      if (metric.type !== 'histogram') continue;
      for (const suffix of HISTOGRAM_SERIES) {
        if (`${metric.name}${suffix}` === series) {
          return { metric, status, extraLabels: suffix === '_bucket' ? ['le'] : [] };
        }
      }
    }
  }
  return undefined;
}
