/**
 * Optional Prometheus Operator objects, off by default: an install must not depend on the monitoring CRDs
 * (docs/design.md#dependencies-on-optional-crds: early sync waves failed when core apps rendered monitoring.coreos.com
 * objects before the monitoring
 * stack existed). Turn them on once kube-prometheus-stack (or the Prometheus Operator) is installed.
 */
import type { KubeObject } from '../kube/client.ts';
import { prometheusRuleSpec } from './alerts.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { selectorLabels } from './names.ts';

const MONITORING = 'monitoring.coreos.com/v1';

export function serviceMonitor(ctx: RenderContext): KubeObject | undefined {
  const sm = ctx.values.serviceMonitor;
  if (!sm.enabled) return undefined;
  return {
    apiVersion: MONITORING,
    kind: 'ServiceMonitor',
    metadata: objectMeta(ctx, ctx.names.fullname, { labels: sm.labels as Record<string, string> }),
    spec: {
      // job="lifeboat" whatever the release or nameOverride: the alerts and the dashboard select on it.
      jobLabel: 'app.kubernetes.io/part-of',
      selector: { matchLabels: selectorLabels(ctx) },
      namespaceSelector: { matchNames: [ctx.namespace] },
      endpoints: [
        {
          port: 'http',
          path: '/metrics',
          interval: sm.interval,
          scrapeTimeout: sm.scrapeTimeout,
          // Per-PVC series carry the PVC's own `namespace` label; keep it instead of renaming it exported_namespace.
          honorLabels: true,
        },
      ],
    },
  };
}

export function prometheusRule(ctx: RenderContext): KubeObject | undefined {
  const rule = ctx.values.prometheusRule;
  if (!rule.enabled) return undefined;
  return {
    apiVersion: MONITORING,
    kind: 'PrometheusRule',
    metadata: objectMeta(ctx, ctx.names.fullname, { labels: rule.labels as Record<string, string> }),
    spec: prometheusRuleSpec(),
  };
}
