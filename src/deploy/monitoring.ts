/**
 * Optional Prometheus Operator objects, off by default: an install must not depend on the monitoring CRDs
 * (docs/design.md#dependencies-on-optional-crds: early sync waves failed when core apps rendered monitoring.coreos.com
 * objects before the monitoring
 * stack existed). Turn them on once kube-prometheus-stack (or the Prometheus Operator) is installed.
 */
import type { KubeObject } from '../kube/client.ts';
import { prometheusRuleSpec } from './alerts.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { NAME, selectorLabels } from './names.ts';

const MONITORING = 'monitoring.coreos.com/v1';

export function serviceMonitor(ctx: RenderContext): KubeObject | undefined {
  const sm = ctx.values.serviceMonitor;
  if (!sm.enabled) return undefined;
  return {
    apiVersion: MONITORING,
    kind: 'ServiceMonitor',
    metadata: objectMeta(ctx, NAME, { labels: sm.labels as Record<string, string> }),
    spec: {
      // job="lifeboat" whatever the release is called: the alerts and the dashboard select on it.
      jobLabel: 'app.kubernetes.io/name',
      selector: { matchLabels: selectorLabels(ctx.release) },
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
    metadata: objectMeta(ctx, NAME, { labels: rule.labels as Record<string, string> }),
    spec: prometheusRuleSpec(),
  };
}
