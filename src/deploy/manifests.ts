/**
 * Every object of a lifeboat installation, as plain data, from the chart's values: the one generator behind
 * `lifeboat manifests`, and the reference the Helm chart is tested against (test/integration/chart.test.ts renders
 * both for each documented values combination and requires the same objects).
 *
 *   values (+ config) ─► ServiceAccount · RBAC · PVC deletion policy · ConfigMap · [cert-manager] · Service · Deployment · PDB
 *                        · [ServiceMonitor · PrometheusRule] · [webhook configurations]
 *
 * Order is the apply order for `kubectl apply -f`: identities and permissions first, the workload next, the webhook
 * configurations last (they must not point at a Service with no ready endpoints for longer than necessary).
 */
import { Document, isMap, type YAMLMap } from 'yaml';
import type { KubeObject } from '../kube/client.ts';
import { VERSION } from '../version.ts';
import { configMap, loadInstalledConfig } from './config-map.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { prometheusRule, serviceMonitor } from './monitoring.ts';
import { installNames } from './names.ts';
import { pvcDeletionPolicy } from './pvc-deletion-policy.ts';
import { type RbacRule, rbacObjects } from './rbac.ts';
import type { ChartValues } from './values.ts';
import { certManagerObjects, webhookConfigurations } from './webhooks.ts';
import { deployment, podDisruptionBudget, service, serviceAccount } from './workload.ts';

export interface RenderOptions {
  /** The install namespace (Helm: the release namespace). */
  namespace: string;
  /** The Helm release name: the `app.kubernetes.io/instance` label and the derived object names. Default `lifeboat`. */
  release?: string;
  /** Put a Namespace object first (plain manifests; Helm leaves that to `--create-namespace`). */
  includeNamespace?: boolean;
}

export interface RenderedObject {
  object: KubeObject;
  /** The RBAC rules behind a Role or ClusterRole, for their reasons as comments. */
  rules?: RbacRule[];
}

export const DEFAULT_RELEASE = 'lifeboat';

export function renderManifests(values: ChartValues, options: RenderOptions): RenderedObject[] {
  const base = { values, namespace: options.namespace, release: options.release ?? DEFAULT_RELEASE };
  const ctx: RenderContext = { ...base, config: loadInstalledConfig(base), names: installNames(base) };
  const out: RenderedObject[] = [];
  const add = (object: KubeObject | undefined) => {
    if (object) out.push({ object });
  };
  if (options.includeNamespace) {
    add({ apiVersion: 'v1', kind: 'Namespace', metadata: objectMeta(ctx, ctx.namespace, { namespaced: false }) });
  }
  add(serviceAccount(ctx));
  for (const entry of rbacObjects(ctx, (name, namespaced) => objectMeta(ctx, name, { namespaced }))) {
    out.push({ object: entry.object as KubeObject, ...(entry.rules ? { rules: entry.rules } : {}) });
  }
  // Right after the RBAC that grants PVC delete: the policy that limits it to drill-labelled claims.
  for (const object of pvcDeletionPolicy(ctx)) add(object);
  add(configMap(ctx));
  for (const object of certManagerObjects(ctx)) add(object);
  add(service(ctx));
  add(deployment(ctx, VERSION));
  add(podDisruptionBudget(ctx));
  add(serviceMonitor(ctx));
  add(prometheusRule(ctx));
  for (const object of webhookConfigurations(ctx)) add(object);
  return out;
}

function wrap(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => ` ${l}`).join('\n');
}

/** Multi-document YAML, each RBAC rule preceded by the reason it is granted. */
export function manifestsYaml(rendered: RenderedObject[], header: string): string {
  const docs = rendered.map(({ object, rules }) => {
    const doc = new Document(object);
    if (rules) {
      const seq = doc.get('rules', true) as { items: unknown[] } | undefined;
      for (const [i, rule] of rules.entries()) {
        const node = seq?.items[i];
        if (isMap(node)) (node as YAMLMap).commentBefore = wrap(rule.why);
      }
    }
    return doc.toString({ lineWidth: 0 });
  });
  return `${header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n')}\n---\n${docs.join('---\n')}`;
}
