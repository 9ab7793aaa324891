/**
 * lifeboat in the real node as its users run it: `helm install` of the project's own chart (deploy/helm/lifeboat)
 * into lifeboat-system, the image testenv makes from the Dockerfile's steps (testenv/build.sh lifeboat_image says
 * what differs), the chart's RBAC and ServiceAccount, the chart's default certificate handling (self-signed: the
 * leader makes the serving certificate and fills the webhook configurations' caBundle), and the API server calling
 * the webhook through the chart's Service (kube-proxy's iptables rules on the node carry the Service IP to the pod).
 *
 * The operator's HTTP port (health, /exists) is read through the same Service from the test process. lifeboat's log
 * is read from the kubelet's container log files on the node.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import type { KubeClient, KubeObject } from '../../src/kube/client.ts';
import { spawnCli } from './cli.ts';
import { eventually } from './eventually.ts';
import type { RealNodeInfo } from './realnode.ts';
import { scratchDir } from './scratch-dir.ts';
import { binary, REPO_ROOT } from './testenv.ts';

const run = promisify(execFile);
export const RELEASE = 'lifeboat';
export const LIFEBOAT_NAMESPACE = 'lifeboat-system';
const CHART = join(REPO_ROOT, 'deploy', 'helm', 'lifeboat');

type Service = KubeObject & { spec: { clusterIP: string; ports: { name: string; port: number }[] } };
type Webhooks = KubeObject & { webhooks?: { clientConfig: { caBundle?: string; service?: { name: string } } }[] };
type Deployment = KubeObject & { spec: { replicas?: number }; status?: { replicas?: number } };

export class InClusterLifeboat {
  private readonly node: RealNodeInfo;
  private readonly kube: KubeClient;
  private scratch = '';
  private service: Service | undefined;

  constructor(node: RealNodeInfo, kube: KubeClient) {
    this.node = node;
    this.kube = kube;
  }

  private async helm(args: string[]): Promise<string> {
    const env = {
      ...process.env,
      KUBECONFIG: this.node.kubeconfigPath,
      HELM_CACHE_HOME: this.scratch,
      HELM_CONFIG_HOME: this.scratch,
      HELM_DATA_HOME: this.scratch,
    };
    try {
      return (await run(binary('helm'), [...args, '--namespace', LIFEBOAT_NAMESPACE], { env })).stdout;
    } catch (error) {
      const e = error as Error & { stderr?: string };
      throw new Error(`helm ${args[0]} failed: ${e.stderr ?? e.message}`);
    }
  }

  /**
   * `helm install --wait` with one replica and `config` as the chart's `config` value; resolves once the webhook
   * configurations carry the CA lifeboat's leader made.
   */
  async install(config: Record<string, unknown>): Promise<void> {
    // Removed by uninstall, or at exit for an installation that goes with its cluster (the rebuild test's last one).
    this.scratch = await scratchDir('lifeboat-helm-');
    await this.helm(['install', RELEASE, CHART, '--values', await this.values(config), '--wait', '--timeout', '180s']);
    await this.serving();
  }

  /** The chart's values as a user would write them (JSON is YAML): one replica (one node) unless asked, `config`. */
  private async values(config: Record<string, unknown>, replicas = 1): Promise<string> {
    const [repository, tag] = this.node.lifeboatImage.split(':') as [string, string];
    const values = join(this.scratch, 'values.yaml');
    await writeFile(
      values,
      JSON.stringify({
        image: { repository, tag, pullPolicy: 'Never' },
        replicaCount: replicas,
        logLevel: 'debug',
        config,
      }),
    );
    return values;
  }

  /** Objects applied by installFromManifests, in apply order (uninstall deletes them in reverse). */
  private applied: KubeObject[] = [];

  /**
   * The other way users install lifeboat: `lifeboat manifests --values <file>` (the chart's values, rendered offline
   * by the CLI) applied object by object as `kubectl apply --server-side` does, with `replicas` replicas; resolves once
   * the Deployment's pods are all ready and the webhook is served.
   */
  async installFromManifests(config: Record<string, unknown>, replicas: number): Promise<void> {
    this.scratch = await scratchDir('lifeboat-manifests-');
    const values = await this.values(config, replicas);
    const rendered = await spawnCli(['manifests', '--values', values, '--output', 'json'], {
      env: { HOME: this.scratch },
    });
    if (rendered.status !== 0) throw new Error(`lifeboat manifests failed: ${rendered.err}`);
    const list = JSON.parse(rendered.out) as { kind: string; items: KubeObject[] };
    if (list.kind !== 'List' || list.items.length === 0) throw new Error(`lifeboat manifests printed no objects`);
    for (const object of list.items) {
      await this.kube.apply(object, { force: true });
      this.applied.push(object);
    }
    const ref = this.deploymentRef();
    await eventually(
      `Deployment ${RELEASE} with ${replicas} ready replicas`,
      async () => {
        const d = await this.kube.get<Deployment & { status?: { readyReplicas?: number; updatedReplicas?: number } }>(
          ref,
        );
        return d?.status?.readyReplicas === replicas && d.status.updatedReplicas === replicas ? true : undefined;
      },
      180_000,
      500,
    );
    await this.serving();
  }

  /**
   * `helm upgrade --wait` with a new `config` (the chart rolls the pod on a config change: its checksum annotation);
   * resolves once only the new pod runs and the Service routes to it.
   */
  async upgrade(config: Record<string, unknown>): Promise<void> {
    await this.helm(['upgrade', RELEASE, CHART, '--values', await this.values(config), '--wait', '--timeout', '180s']);
    await eventually(
      "lifeboat's earlier pod gone after the upgrade",
      async () => {
        const pods = await this.kube.list('v1', 'Pod', {
          namespace: LIFEBOAT_NAMESPACE,
          labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
        });
        return pods.length === 1 ? true : undefined;
      },
      120_000,
      500,
    );
    await this.serving();
  }

  /** Waits until the webhook configurations carry lifeboat's CA and lifeboat answers through the Service. */
  private async serving(): Promise<void> {
    let caBundle = '';
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      await eventually(
        `${kind} lifeboat has the CA of lifeboat's own certificate`,
        async () => {
          const w = await this.kube.get<Webhooks>({
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind,
            name: 'lifeboat',
          });
          caBundle = w?.webhooks?.[0]?.clientConfig.caBundle ?? '';
          return w?.webhooks?.every((h) => h.clientConfig.caBundle && h.clientConfig.service) ? true : undefined;
        },
        60_000,
        250,
      );
    }
    this.service = (
      await this.kube.list<Service>('v1', 'Service', {
        namespace: LIFEBOAT_NAMESPACE,
        labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
      })
    )[0];
    if (!this.service) throw new Error('the chart installed no Service');
    // The pod is Ready before kube-proxy has written the new Service's endpoint rules: until then the Service IP
    // does not lead to lifeboat, and the API server refuses every labelled PVC (failurePolicy Fail). An accepted
    // connection proves nothing: this machine's egress proxy accepts any port 443 and answers with its own
    // certificate. So the webhook port must present a certificate lifeboat's CA verifies for the Service's name, and
    // the http port must answer lifeboat's /healthz.
    const t0 = Date.now();
    await this.reachable('webhook', (host, port) => this.verifiedTls(host, port, caBundle));
    await this.reachable('http', (host, port) => this.healthz(host, port));
    this.serviceLagMs = Date.now() - t0;
  }

  /** How long the Service refused connections after `helm install --wait` returned (kube-proxy's lag). */
  serviceLagMs = 0;

  /** Waits until lifeboat itself `answers` on the Service's `port` (kube-proxy routes it to a ready pod). */
  private async reachable(port: string, answers: (host: string, port: number) => Promise<boolean>): Promise<void> {
    const svc = this.service as Service;
    const number = svc.spec.ports.find((p) => p.name === port)?.port as number;
    await eventually(
      `Service ${svc.metadata.name} port ${port} (${svc.spec.clusterIP}:${number}) answered by lifeboat`,
      async () => ((await answers(svc.spec.clusterIP, number)) ? true : undefined),
      60_000,
      200,
    );
  }

  /** A TLS handshake whose certificate `caBundle` (base64 PEM) verifies for the Service's DNS name. */
  private verifiedTls(host: string, port: number, caBundle: string): Promise<boolean> {
    const svc = this.service as Service;
    return new Promise((resolve) => {
      const socket = tlsConnect({
        host,
        port,
        ca: Buffer.from(caBundle, 'base64').toString('utf8'),
        servername: `${svc.metadata.name}.${svc.metadata.namespace}.svc`,
        rejectUnauthorized: false,
        timeout: 2000,
      });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('secureConnect', () => done(socket.authorized));
      socket.once('error', () => done(false));
      socket.once('timeout', () => done(false));
    });
  }

  /** lifeboat's liveness endpoint answering 200. */
  private async healthz(host: string, port: number): Promise<boolean> {
    return await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status === 200)
      .catch(() => false);
  }

  /** lifeboat's HTTP port (health, metrics, /exists) through its Service's cluster IP. */
  opsUrl(path: string): string {
    const port = this.service?.spec.ports.find((p) => p.name === 'http')?.port;
    if (!this.service || !port) throw new Error('lifeboat is not installed');
    return `http://${this.service.spec.clusterIP}:${port}${path}`;
  }

  private deploymentRef() {
    return { apiVersion: 'apps/v1', kind: 'Deployment', namespace: LIFEBOAT_NAMESPACE, name: RELEASE };
  }

  /** Scales the chart's Deployment (the real controller-manager makes or removes the pods); waits for the pods. */
  async scale(replicas: number): Promise<void> {
    const ref = this.deploymentRef();
    await this.kube.http.request(
      'PATCH',
      await this.kube.resources.objectPath(ref.apiVersion, ref.kind, ref.name, ref.namespace),
      { contentType: 'application/merge-patch+json', body: { spec: { replicas } } },
    );
    await eventually(
      `lifeboat scaled to ${replicas}`,
      async () => {
        const pods = await this.kube.list('v1', 'Pod', {
          namespace: LIFEBOAT_NAMESPACE,
          labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
        });
        const d = await this.kube.get<Deployment>(ref);
        return pods.length === replicas && d?.status?.replicas === (replicas || undefined) ? true : undefined;
      },
      120_000,
      500,
    );
  }

  /**
   * lifeboat killed as the kernel's OOM killer or a node failure kills it: SIGKILL to every process of its running
   * container (found by the container's id in /proc/<pid>/cgroup, on this machine, which is the node), no shutdown
   * code runs. The kubelet then restarts the container in the same Pod (restartPolicy Always); resolves once the
   * restarted container is ready. Returns the pids killed.
   */
  async kill(): Promise<number[]> {
    type Pod = KubeObject & {
      status?: { containerStatuses?: { containerID?: string; restartCount?: number; ready?: boolean }[] };
    };
    const pods = await this.kube.list<Pod>('v1', 'Pod', {
      namespace: LIFEBOAT_NAMESPACE,
      labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
    });
    if (pods.length !== 1) throw new Error(`kill: expected one lifeboat pod, found ${pods.length}`);
    const pod = pods[0] as Pod;
    const status = pod.status?.containerStatuses?.[0];
    const id = status?.containerID?.replace(/^\w+:\/\//, '');
    if (!id) throw new Error(`kill: lifeboat's pod ${pod.metadata.name} has no running container`);
    const killed: number[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
      if (!cgroup.split('\n').some((line) => line.endsWith(`/${id}`))) continue;
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed.push(Number(pid));
      } catch {
        // ended meanwhile
      }
    }
    if (killed.length === 0) throw new Error(`kill: no process found in the cgroup of container ${id}`);
    const before = status?.restartCount ?? 0;
    await eventually(
      "lifeboat's container restarted by the kubelet and ready",
      async () => {
        const live = await this.kube.get<Pod>({ ...this.podRef(pod.metadata.name) });
        const c = live?.status?.containerStatuses?.[0];
        return c && (c.restartCount ?? 0) > before && c.ready ? true : undefined;
      },
      180_000,
      500,
    );
    return killed;
  }

  private podRef(name: string) {
    return { apiVersion: 'v1', kind: 'Pod', namespace: LIFEBOAT_NAMESPACE, name };
  }

  /** The tail of lifeboat's container logs (the kubelet's files on the node). */
  async logs(chars = 4000): Promise<string> {
    const root = join(this.node.dir, 'pod-logs');
    let text = '';
    for (const pod of (await readdir(root).catch(() => [])).filter((d) => d.startsWith(`${LIFEBOAT_NAMESPACE}_`))) {
      for (const container of await readdir(join(root, pod)).catch(() => [])) {
        for (const file of await readdir(join(root, pod, container)).catch(() => [])) {
          text += `--- ${pod}/${container}/${file}\n${await readFile(join(root, pod, container, file), 'utf8').catch(() => '')}`;
        }
      }
    }
    return text.slice(-chars);
  }

  /**
   * What a test file killed while it held the installation left behind (the watchdog, a crash): its release's
   * cluster-wide objects (webhook configurations, ClusterRoles and bindings, the PVC deletion policy) found by the
   * chart's instance label, and lifeboat's namespace with everything in it (the Helm release record included). No
   * Helm here: the release may have come from `lifeboat manifests`, and the dead file's Helm home is gone with it.
   */
  async removeLeftover(): Promise<string[]> {
    const removed: string[] = [];
    for (const [apiVersion, kind] of [
      ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'],
      ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ] as const) {
      for (const o of await this.kube.list(apiVersion, kind, {
        labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
      })) {
        if (await this.kube.delete({ apiVersion, kind, name: o.metadata.name }).catch(() => false)) {
          removed.push(`${kind}/${o.metadata.name}`);
        }
      }
    }
    if (await this.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: LIFEBOAT_NAMESPACE })) {
      await this.deleteNamespace();
      removed.push(`Namespace/${LIFEBOAT_NAMESPACE}`);
    }
    return removed;
  }

  /** Deletes lifeboat's namespace and waits until the namespace controller has removed everything in it. */
  private async deleteNamespace(): Promise<void> {
    await this.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: LIFEBOAT_NAMESPACE });
    await eventually(
      `namespace ${LIFEBOAT_NAMESPACE} gone`,
      async () =>
        (await this.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: LIFEBOAT_NAMESPACE })) ? undefined : true,
      180_000,
      500,
    );
  }

  /** `helm uninstall --wait`, then the namespace with what lifeboat made at run time (its Lease, its certificate). */
  async uninstall(): Promise<void> {
    if (this.applied.length > 0) {
      // Installed from plain manifests: delete what was applied (the cluster-wide objects outlive the namespace).
      for (const o of this.applied.reverse()) {
        const ref = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name };
        await this.kube
          .delete(o.metadata.namespace ? { ...ref, namespace: o.metadata.namespace } : ref)
          .catch(() => false);
      }
      this.applied = [];
    } else if (this.scratch) {
      await this.helm(['uninstall', RELEASE, '--wait', '--timeout', '120s']).catch(() => '');
    }
    await this.deleteNamespace();
    if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
    this.scratch = '';
    this.service = undefined;
  }
}
