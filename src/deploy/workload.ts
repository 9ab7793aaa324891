/**
 * The running part: ServiceAccount, Deployment, PodDisruptionBudget and Service.
 *
 * - Two replicas by default, spread over nodes when it can (preferred anti-affinity, so a one-node home lab still
 *   schedules both), with a PodDisruptionBudget so a drain never takes both away: every replica serves the webhook,
 *   one leads the controller.
 * - Rolling updates add the new pod before removing an old one (maxUnavailable 0): the webhook keeps an endpoint.
 * - Non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp (values `podSecurityContext` and
 *   `securityContext`): lifeboat writes nothing to disk; it talks to the API server and reads its config and, on NFS,
 *   the repository. The pod runs as the movers' uid/gid (568) by default, because kopia writes repository files 0600
 *   and directories 0700 as the mover's user: any other uid reads nothing on an export without squashing.
 * - Credentials are never mounted or put in the environment: lifeboat reads Secrets through the API when it needs
 *   them, so a Secret being rewritten cannot stop the pod from starting
 * (docs/design.md#credentials-that-crash-the-process).
 * - Probes are memory-only (docs/design.md#readiness-that-does-backend-io): /healthz is the process, /readyz is "can
 * answer" (the catalog has read the
 *   repository once).
 */
import type { KubeObject } from '../kube/client.ts';
import { configChecksum } from './config-map.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { CONFIG_DIR, CONFIG_FILE, commonLabels, NAME, PORTS, selectorLabels } from './names.ts';

export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/** Only with `serviceAccount.create` (otherwise `serviceAccount.name` names an existing one). */
export function serviceAccount(ctx: RenderContext): KubeObject | undefined {
  const sa = ctx.values.serviceAccount;
  if (!sa.create) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: objectMeta(ctx, ctx.names.serviceAccount, { annotations: sa.annotations as Record<string, string> }),
  };
}

export function imageReference(ctx: RenderContext, appVersion: string): string {
  const { repository, tag, digest } = ctx.values.image;
  return digest ? `${repository}@${digest}` : `${repository}:${tag || appVersion}`;
}

/** The arguments after the image's entrypoint (`node dist/lifeboat.js`): every listener's address is explicit. */
export function containerArgs(ctx: RenderContext): string[] {
  const args = ['run', '--config', CONFIG_FILE, '--listen', `0.0.0.0:${PORTS.http.containerPort}`];
  if (ctx.config.admission.enabled) args.push('--webhook-listen', `0.0.0.0:${PORTS.webhook.containerPort}`);
  return [...args, '--log-level', ctx.values.logLevel];
}

function containerPorts(ctx: RenderContext): Record<string, unknown>[] {
  const ports: Record<string, unknown>[] = [{ name: 'http', containerPort: PORTS.http.containerPort, protocol: 'TCP' }];
  if (ctx.config.admission.enabled) {
    ports.push({ name: 'webhook', containerPort: PORTS.webhook.containerPort, protocol: 'TCP' });
  }
  return ports;
}

/**
 * The NFS export of a filesystem repository, read-only at the path the movers use (`/mnt/<mountPath>`), where the
 * catalog reads it (config `catalog.location`'s default). No NFS repository, no mount.
 */
function repositoryVolume(
  ctx: RenderContext,
): { volume: Record<string, unknown>; mount: Record<string, unknown> } | undefined {
  const nfs = ctx.config.repository.nfs;
  if (!nfs) return undefined;
  return {
    volume: { name: 'repository', nfs: { server: nfs.server, path: nfs.path, readOnly: true } },
    mount: { name: 'repository', mountPath: `/mnt/${nfs.mountPath}`, readOnly: true },
  };
}

function affinity(ctx: RenderContext): Record<string, unknown> {
  if (Object.keys(ctx.values.affinity).length > 0) return ctx.values.affinity;
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: selectorLabels(ctx) },
          },
        },
      ],
    },
  };
}

export function deployment(ctx: RenderContext, appVersion: string): KubeObject {
  const v = ctx.values;
  const repository = repositoryVolume(ctx);
  const podSpec: Record<string, unknown> = {
    serviceAccountName: ctx.names.serviceAccount,
    automountServiceAccountToken: true,
    enableServiceLinks: false,
    affinity: affinity(ctx),
    terminationGracePeriodSeconds: 30,
    containers: [
      {
        name: NAME,
        image: imageReference(ctx, appVersion),
        imagePullPolicy: v.image.pullPolicy,
        args: containerArgs(ctx),
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'LIFEBOAT_IMAGE', value: imageReference(ctx, appVersion) },
          ...v.extraEnv,
        ],
        ports: containerPorts(ctx),
        readinessProbe: {
          httpGet: { path: '/readyz', port: 'http' },
          periodSeconds: 5,
          timeoutSeconds: 2,
          failureThreshold: 3,
        },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http' },
          periodSeconds: 10,
          timeoutSeconds: 2,
          failureThreshold: 6,
        },
        resources: v.resources,
        // Left out when emptied, as the chart does (`with`).
        ...(Object.keys(v.securityContext).length > 0 ? { securityContext: v.securityContext } : {}),
        volumeMounts: [
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          ...(repository ? [repository.mount] : []),
          ...v.extraVolumeMounts,
        ],
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: ctx.names.configMap } },
      ...(repository ? [repository.volume] : []),
      ...v.extraVolumes,
    ],
  };
  if (Object.keys(v.podSecurityContext).length > 0) podSpec.securityContext = v.podSecurityContext;
  if (v.priorityClassName) podSpec.priorityClassName = v.priorityClassName;
  if (Object.keys(v.nodeSelector).length > 0) podSpec.nodeSelector = v.nodeSelector;
  if (v.tolerations.length > 0) podSpec.tolerations = v.tolerations;
  if (v.imagePullSecrets.length > 0) podSpec.imagePullSecrets = v.imagePullSecrets;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(ctx, ctx.names.fullname),
    spec: {
      replicas: v.replicaCount,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(ctx) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: { ...commonLabels(ctx), ...(v.podLabels as Record<string, string>) },
          annotations: {
            ...(v.podAnnotations as Record<string, string>),
            [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(ctx),
          },
        },
        spec: podSpec,
      },
    },
  };
}

/** Only with more than one replica: a budget of one pod would block every node drain. */
export function podDisruptionBudget(ctx: RenderContext): KubeObject | undefined {
  const v = ctx.values;
  if (!v.podDisruptionBudget.enabled || v.replicaCount < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(ctx, ctx.names.fullname),
    spec: {
      minAvailable: v.podDisruptionBudget.minAvailable,
      selector: { matchLabels: selectorLabels(ctx) },
      // A crash-looping pod must not block drains: evicting it cannot make things worse.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

/** Named as `config.admission.service` says: the webhook registration and the serving certificate use that name. */
export function service(ctx: RenderContext): KubeObject {
  const ports: Record<string, unknown>[] = [
    { name: 'http', port: PORTS.http.servicePort, targetPort: 'http', protocol: 'TCP' },
  ];
  const { enabled, service: webhook } = ctx.config.admission;
  if (enabled) ports.push({ name: 'webhook', port: webhook.port, targetPort: 'webhook', protocol: 'TCP' });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(ctx, webhook.name),
    spec: { type: 'ClusterIP', selector: selectorLabels(ctx), ports },
  };
}
