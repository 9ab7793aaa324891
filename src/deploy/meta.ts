/**
 * Metadata every rendered object shares: the common labels, and, with `argocd.enabled`, ArgoCD's sync wave (lifeboat
 * after storage and VolSync, before the apps whose PVCs it admits; its webhook configurations one wave later, so
 * ArgoCD registers them only once the Deployment is healthy). Helm adds two labels of its own (`helm.sh/chart`,
 * `app.kubernetes.io/managed-by: Helm`) that plain manifests leave out: nothing manages those but `kubectl apply`.
 */
import type { LifeboatConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/client.ts';
import { commonLabels, type InstallNames } from './names.ts';
import type { ChartValues } from './values.ts';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

export interface RenderContext {
  values: ChartValues;
  namespace: string;
  release: string;
  /** The validated lifeboat configuration the pods will run with (webhook settings, NFS repository, names). */
  config: LifeboatConfig;
  /** Names of the objects the chart owns (from the release, `nameOverride`, `fullnameOverride`). */
  names: InstallNames;
}

export function objectMeta(
  ctx: Pick<RenderContext, 'values' | 'namespace' | 'release'>,
  name: string,
  opts: {
    namespaced?: boolean;
    wave?: 'default' | 'webhook';
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  } = {},
): KubeObject['metadata'] {
  const annotations: Record<string, string> = { ...opts.annotations };
  if (ctx.values.argocd.enabled) {
    annotations[SYNC_WAVE_ANNOTATION] =
      opts.wave === 'webhook' ? ctx.values.argocd.webhookSyncWave : ctx.values.argocd.syncWave;
  }
  return {
    name,
    ...(opts.namespaced === false ? {} : { namespace: ctx.namespace }),
    labels: { ...commonLabels(ctx), ...opts.labels },
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}
