/**
 * One namespace of the real node with lifeboat installed in the cluster from its chart (realnode-lifeboat.ts), and the
 * steps the data-path scenarios are made of: create/delete the labelled PVC, wait for the real VolSync mover's sync,
 * wait for lifeboat's catalog, time each step.
 *
 * lifeboat opts in one namespace by an annotation of the scenario's own, so its movers run unprivileged as lifeboat's
 * default uid, as on a cluster that does not grant privileged movers. Scenarios run one after another: lifeboat is one
 * per cluster (its webhook configurations are cluster-wide), and each scenario installs and uninstalls its own.
 */

import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { describeKubeError } from '../../src/kube/errors.ts';
import { type CliRun, spawnCli } from './cli.ts';
import { eventually } from './eventually.ts';
import type { RealNodeInfo } from './realnode.ts';
import { InClusterLifeboat, LIFEBOAT_NAMESPACE } from './realnode-lifeboat.ts';
import { DATA_UID } from './realnode-pods.ts';

export const VOLSYNC = 'volsync.backube/v1alpha1';

/**
 * Options for a hook that waits for a turn at the node (the one lifeboat installation, or the node itself during a
 * rebuild): `--test-timeout` (10 minutes) applies to hooks too, and a turn can take longer (571 s seen in CI).
 */
export const TURN = { timeout: 2_400_000 };
const OPT_IN = 'lifeboat.test/protected';

export type Source = KubeObject & {
  spec: { trigger?: { manual?: string } };
  status?: {
    lastManualSync?: string;
    lastSyncTime?: string;
    latestMoverStatus?: { result?: string; logs?: string };
  };
};
export type Claim = KubeObject & {
  spec: { dataSourceRef?: { apiGroup?: string; kind: string; name: string } };
  status?: { phase?: string };
};

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Held by the scenario that has lifeboat installed (see Scenario.takeCluster). */
const INSTALL_LOCK = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'lifeboat-test-installation' };

export const b64 = (s: string) => Buffer.from(s).toString('base64');

export class Scenario {
  readonly kube: KubeClient;
  readonly timings: Record<string, number> = {};
  readonly lifeboat: InClusterLifeboat;

  readonly node: RealNodeInfo & { kubeConfig: KubeConfig };
  readonly namespace: string;
  /** The scenario's own prefix in the node's bucket (removed by stop()): no scenario sees another's backups. */
  readonly prefix: string;

  constructor(node: RealNodeInfo & { kubeConfig: KubeConfig }, namespace: string) {
    this.node = node;
    this.namespace = namespace;
    this.prefix = `${namespace}-${Date.now().toString(36)}`;
    this.kube = new KubeClient(node.kubeConfig, 'lifeboat-test');
    this.lifeboat = new InClusterLifeboat(node, this.kube);
  }

  /**
   * The scenario's namespace, the repository Secret lifeboat copies to each PVC, and lifeboat installed from its chart
   * with `config` (the chart's `config` value) over the scenario's defaults.
   */
  async start(
    secret: Record<string, string>,
    config: Record<string, unknown>,
    install: { from: 'chart' } | { from: 'manifests'; replicas: number } = { from: 'chart' },
  ): Promise<void> {
    await this.takeCluster();
    await this.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: LIFEBOAT_NAMESPACE } });
    await this.createNamespace();
    await this.kube.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'lifeboat-repository', namespace: LIFEBOAT_NAMESPACE },
        data: Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, b64(v)])),
      } as KubeObject,
      { force: true },
    );
    this.config = Scenario.withDefaults(config);
    if (install.from === 'manifests') {
      await this.step('lifeboat manifests applied', () =>
        this.lifeboat.installFromManifests(this.config, install.replicas),
      );
    } else {
      await this.step('helm install lifeboat', () => this.lifeboat.install(this.config));
    }
    this.timings['Service routed after install'] = this.lifeboat.serviceLagMs;
  }

  /**
   * `config` over the scenario's defaults: every PVC is old enough at once, a quick catalog, the test's opt-in, and no
   * scheduled drills. Drills are on by default and a PVC's first one is due as soon as it has a backup, so one would
   * start in the middle of a scenario and leave its restore point, scratch claim and Job among the objects the
   * scenario counts; realnode-drills.test.ts requests its drills itself.
   */
  private static withDefaults(config: Record<string, unknown>): Record<string, unknown> {
    return {
      minPvcAge: '0s',
      keys: { namespaceOptInAnnotation: OPT_IN },
      catalog: { refreshInterval: '2s', staleAfter: '60s' },
      verify: { enabled: false },
      ...config,
    };
  }

  /** An administrator changes lifeboat's configuration: `helm upgrade` with `config` over the scenario's defaults. */
  async reconfigure(config: Record<string, unknown>): Promise<void> {
    this.config = Scenario.withDefaults(config);
    await this.step('helm upgrade lifeboat', () => this.lifeboat.upgrade(this.config));
  }

  /**
   * The repository Secret and lifeboat's `config.repository` for a repository on the node's MinIO under the scenario's
   * own prefix: kopia one shared repository (a new bucket prefix: declared a first installation, which is what makes
   * a missing repository "never backed up"), restic one repository per PVC.
   */
  s3Repository(backend: 'kopia' | 'restic'): { secret: Record<string, string>; config: Record<string, unknown> } {
    const s3 = this.node.s3;
    if (backend === 'kopia') {
      return {
        secret: {
          KOPIA_PASSWORD: 'real-kopia-password',
          KOPIA_REPOSITORY: `s3://${s3.bucket}/${this.prefix}`,
          KOPIA_S3_ENDPOINT: new URL(s3.endpoint).host,
          KOPIA_S3_DISABLE_TLS: 'true',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          AWS_REGION: s3.region,
        },
        config: { repository: { backend: 'kopia', firstInstall: true } },
      };
    }
    return {
      secret: {
        RESTIC_PASSWORD: 'real-restic-password',
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: s3.region,
      },
      config: {
        repository: { backend: 'restic', url: `s3:${s3.endpoint}/${s3.bucket}/${this.prefix}/{namespace}/{pvc}` },
      },
    };
  }

  /**
   * The repository Secret and `config.repository` for a filesystem repository on the node's NFS-like export
   * (realnode.ts MOUNT_HELPER): the scenario's own export directory, owned by the movers' uid and gid as an
   * administrator prepares an export for movers that do not run as root, given to lifeboat as `repository.nfs`.
   * lifeboat then mounts it into every mover through `moverVolumes` and read-only into its own pod. kopia: one shared
   * repository at `filesystem:///mnt/repository` (lifeboat renders it); restic: one repository per PVC under the mount.
   * An export that exists already (a rebuilt cluster on the same server) is used as it is.
   */
  nfsRepository(backend: 'kopia' | 'restic'): { secret: Record<string, string>; config: Record<string, unknown> } {
    this.exportDir = join(this.node.nfs.exportRoot, this.prefix);
    if (!existsSync(this.exportDir)) {
      mkdirSync(this.exportDir, { mode: 0o755 });
      chownSync(this.exportDir, DATA_UID, DATA_UID);
    }
    const nfs = { server: this.node.nfs.server, path: `/${this.prefix}`, mountPath: 'repository' };
    return backend === 'kopia'
      ? {
          secret: { KOPIA_PASSWORD: 'real-kopia-password' },
          config: { repository: { backend: 'kopia', firstInstall: true, nfs } },
        }
      : {
          secret: { RESTIC_PASSWORD: 'real-restic-password' },
          config: { repository: { backend: 'restic', url: '/mnt/repository/{namespace}/{pvc}', nfs } },
        };
  }

  /** The scenario's export directory, when its repository is on the node's NFS-like export (removed by stop()). */
  exportDir: string | undefined;

  /** lifeboat's configuration as installed (the chart's `config` value). */
  config: Record<string, unknown> = {};

  /**
   * The `lifeboat` CLI as an administrator runs it from their machine: the node's kubeconfig and lifeboat's
   * configuration (the repository credentials come from the cluster's Secret, as the CLI reads them). With a
   * repository on the export, the administrator's machine has the export mounted where this machine keeps it, and
   * their configuration says so in `catalog.location` (the movers' /mnt path does not exist there).
   */
  async cli(...argv: string[]): Promise<CliRun> {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-cli-'));
    try {
      const file = join(dir, 'config.yaml');
      await writeFile(file, JSON.stringify({ namespace: LIFEBOAT_NAMESPACE, ...this.config, ...this.cliCatalog() }));
      return await spawnCli([...argv, '--kubeconfig', this.node.kubeconfigPath, '--config', file], {
        env: { HOME: dir },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The CLI's `catalog` setting: the scenario's, with the export's local path when the repository is on it. */
  private cliCatalog(): { catalog?: Record<string, unknown> } {
    if (!this.exportDir) return {};
    const repository = this.config.repository as { backend: string };
    const location =
      repository.backend === 'kopia' ? `filesystem://${this.exportDir}` : `${this.exportDir}/{namespace}/{pvc}`;
    return { catalog: { ...(this.config.catalog as Record<string, unknown>), location } };
  }

  /** lifeboat goes down: its Deployment scaled to 0, its webhook configurations stay registered. */
  async lifeboatDown(): Promise<void> {
    await this.lifeboat.scale(0);
  }

  /**
   * Uninstalls lifeboat and frees the cluster's installation for another one, leaving the scenario's namespace, its
   * claims and its repository as they are.
   */
  async uninstall(): Promise<void> {
    await this.step('helm uninstall lifeboat', () => this.lifeboat.uninstall());
    await this.releaseCluster();
  }

  /** Uninstalls lifeboat (its webhook configurations and namespace go), deletes the scenario's namespace. */
  async stop(): Promise<void> {
    await this.step('helm uninstall lifeboat', () => this.lifeboat.uninstall()).catch((error: Error) =>
      process.stderr.write(`[realnode] ${error.message}\n`),
    );
    await this.deleteNamespace().catch((error: Error) => process.stderr.write(`[realnode] ${error.message}\n`));
    await this.removeRepository().catch((error: Error) => process.stderr.write(`[realnode] ${error.message}\n`));
    await this.releaseCluster().catch((error: Error) => process.stderr.write(`[realnode] ${error.message}\n`));
    this.kube.close();
    process.stderr.write(`[realnode] ${this.namespace} step timings (ms): ${JSON.stringify(this.timings)}\n`);
  }

  /**
   * lifeboat is one per cluster (one release in lifeboat-system, cluster-wide webhook configurations), and the test
   * files of one run share the node and may run at the same time: a scenario holds the cluster's installation from
   * start() to stop() by creating one ConfigMap, which the others wait for. The node lives as long as the run, so
   * a lock cannot outlive its holder's run.
   */
  private async takeCluster(): Promise<void> {
    const path = await this.kube.resources.collectionPath('v1', 'ConfigMap', INSTALL_LOCK.namespace);
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: INSTALL_LOCK.name, namespace: INSTALL_LOCK.namespace },
      data: { holder: this.namespace, pid: String(process.pid) },
    };
    let holder = '';
    const t0 = Date.now();
    await eventually(
      "lifeboat's installation in the cluster free",
      async () => {
        try {
          await this.kube.http.request('POST', path, { body });
          this.holdsCluster = true;
          return true;
        } catch (error) {
          if (describeKubeError(error).status !== 409) throw error;
          const lock = await this.kube.get<KubeObject & { data?: { holder?: string; pid?: string } }>(INSTALL_LOCK);
          holder = lock?.data?.holder ?? '';
          // A test file killed while it held the installation (the watchdog, a crash) released neither the lock nor
          // its lifeboat, and nobody else will: take them over instead of failing every file after it.
          if (lock && !processAlive(Number(lock.data?.pid)) && (await this.reclaim(lock, holder, body))) return true;
          return undefined;
        }
      },
      1_800_000,
      2000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; held by the scenario of namespace ${holder}`);
    });
    this.timings['waited for the cluster'] = Date.now() - t0;
  }

  /**
   * Takes over the lock of a killed test file (a replace conditional on the lock's resourceVersion: of several
   * scenarios waiting, one wins), then removes what that file left installed (its lifeboat, its namespace), so
   * start() finds the cluster as a fresh run would. Says so on stderr: the killed file reports its own failure.
   */
  private async reclaim(lock: KubeObject, holder: string, body: KubeObject): Promise<boolean> {
    const path = await this.kube.resources.objectPath('v1', 'ConfigMap', INSTALL_LOCK.name, INSTALL_LOCK.namespace);
    try {
      await this.kube.http.request('PUT', path, {
        body: { ...body, metadata: { ...body.metadata, resourceVersion: lock.metadata.resourceVersion } },
      });
    } catch (error) {
      if (describeKubeError(error).status === 409) return false;
      throw error;
    }
    this.holdsCluster = true;
    process.stderr.write(
      `[realnode] ${this.namespace}: the scenario of namespace ${holder} held lifeboat's installation but its test process is gone; removing what it left\n`,
    );
    const removed = await this.lifeboat.removeLeftover();
    if (holder && holder !== this.namespace) {
      await this.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: holder }).catch(() => false);
      removed.push(`Namespace/${holder}`);
    }
    process.stderr.write(`[realnode] ${this.namespace}: removed ${removed.join(', ') || 'nothing'}\n`);
    return true;
  }

  private holdsCluster = false;

  private async releaseCluster(): Promise<void> {
    if (this.holdsCluster) await this.kube.delete(INSTALL_LOCK);
    this.holdsCluster = false;
  }

  /** The scenario's namespace, opted in to lifeboat. */
  async createNamespace(): Promise<void> {
    await this.kube.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: this.namespace, annotations: { [OPT_IN]: 'true' } },
    });
  }

  /**
   * Withdraws the namespace's opt-in: lifeboat keeps what exists there and generates nothing more for its claims
   * (lifeboat with another repository configuration is installed next, beside them).
   */
  async optOut(): Promise<void> {
    await this.kube.http.request('PATCH', `/api/v1/namespaces/${this.namespace}`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { [OPT_IN]: null } } },
    });
  }

  /** Deletes the scenario's namespace and waits until the real namespace controller has removed everything in it. */
  async deleteNamespace(): Promise<void> {
    await this.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: this.namespace });
    await eventually(
      `namespace ${this.namespace} gone`,
      async () =>
        (await this.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: this.namespace })) ? undefined : true,
      180_000,
      500,
    );
  }

  /** Deletes the scenario's export directory and every object under its prefix in the node's bucket. */
  private async removeRepository(): Promise<void> {
    if (this.exportDir) await rm(this.exportDir, { recursive: true, force: true });
    const { endpoint, accessKeyId, secretAccessKey, region, bucket } = this.node.s3;
    const client = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: this.prefix }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
        if (!keys.length) return;
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
    } finally {
      client.destroy();
    }
  }

  /** Runs one step, recording its duration; a failing step shows lifeboat's recent log with the error. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } catch (error) {
      process.stderr.write(
        `[realnode] ${this.namespace}: step '${name}' failed; lifeboat's log:\n${await this.lifeboat.logs()}\n`,
      );
      throw error;
    } finally {
      this.timings[name] = Date.now() - t0;
    }
  }

  pvcRef(name: string) {
    return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: this.namespace, name };
  }

  sourceRef(pvc: string) {
    return { apiVersion: VOLSYNC, kind: 'ReplicationSource', namespace: this.namespace, name: `${pvc}-backup` };
  }

  /** How many CREATEs the last createPvc() needed (1: admission answered the first one). */
  lastCreateAttempts = 0;

  /**
   * Creates the PVC as a user (or GitOps, or an operator owning it) does, labelled with `tier` and `extra`'s labels,
   * annotations and ownerReferences; returns it as admission left it.
   */
  async createPvc(
    name: string,
    tier: string | null = 'manual',
    extra: { labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: object[] } = {},
  ): Promise<Claim> {
    const path = await this.kube.resources.collectionPath('v1', 'PersistentVolumeClaim', this.namespace);
    const body = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { ...extra.labels, ...(tier ? { backup: tier } : {}) },
        ...(extra.annotations ? { annotations: extra.annotations } : {}),
        ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}),
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    // Until lifeboat has read the PVC's repository once, it denies the claim (catalog-not-loaded) and says to retry,
    // as GitOps tools do: so do the tests, for that cause only.
    for (let attempt = 1; ; attempt++) {
      this.lastCreateAttempts = attempt;
      try {
        return await this.kube.http.request<Claim>('POST', path, { body });
      } catch (error) {
        if (attempt >= 60 || !/catalog-not-loaded/.test(String((error as Error).message))) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async bound(name: string): Promise<Claim> {
    return await eventually(
      `${name} Bound`,
      async () => {
        const c = await this.kube.get<Claim>(this.pvcRef(name));
        return c?.status?.phase === 'Bound' ? c : undefined;
      },
      300_000,
      500,
    );
  }

  /** Deletes the PVC; the real PVC-protection controller lets it go once no Pod uses it. */
  async deletePvc(name: string): Promise<void> {
    await this.kube.delete(this.pvcRef(name));
    await eventually(
      `${name} gone`,
      async () => ((await this.kube.get(this.pvcRef(name))) ? undefined : true),
      120_000,
      500,
    );
  }

  /** Waits until the real mover finished the sync of the source's manual `token`; returns the source's status. */
  async synced(pvc: string, token: string): Promise<NonNullable<Source['status']>> {
    const started = Date.now();
    // A sync still running after a minute says what it waits for, also when it then succeeds: a slow one is seen.
    let slow: NodeJS.Timeout | undefined = setTimeout(async () => {
      slow = undefined;
      process.stderr.write(
        `[realnode] ${this.namespace}: backup '${token}' of ${pvc} still running after 60 s; ${await this.syncState(pvc)}\n`,
      );
    }, 60_000);
    try {
      return await eventually(
        `backup '${token}' of ${pvc} done by the real mover`,
        async () => {
          const status = (await this.kube.get<Source>(this.sourceRef(pvc)))?.status;
          if (status?.lastManualSync !== token) return undefined;
          const result = status.latestMoverStatus?.result;
          if (result !== 'Successful')
            throw new Error(`mover result ${result}: ${status.latestMoverStatus?.logs ?? ''}`);
          return status;
        },
        300_000,
        1000,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; ${await this.syncState(pvc)}`);
      });
    } finally {
      if (slow) clearTimeout(slow);
      else
        process.stderr.write(
          `[realnode] ${this.namespace}: backup '${token}' of ${pvc} took ${Math.round((Date.now() - started) / 1000)} s\n`,
        );
    }
  }

  /**
   * What a sync that does not finish is waiting for, for the failure message: the source's trigger and status (the
   * mover's last result and log tail, its conditions), and the namespace's Pods (where the scheduler put them, or why
   * not), claims, VolumeSnapshots and latest Warning events.
   */
  private async syncState(pvc: string): Promise<string> {
    try {
      const rs = await this.kube.get<
        Source & { status?: { conditions?: { type: string; status: string; message?: string }[] } }
      >(this.sourceRef(pvc));
      const mover = rs?.status?.latestMoverStatus;
      const pods = await this.kube.list<
        KubeObject & {
          spec?: { nodeName?: string };
          status?: {
            phase?: string;
            containerStatuses?: { state?: Record<string, { reason?: string }> }[];
            conditions?: { type: string; reason?: string; message?: string }[];
          };
        }
      >('v1', 'Pod', { namespace: this.namespace });
      const claims = await this.kube.list<KubeObject & { status?: { phase?: string } }>('v1', 'PersistentVolumeClaim', {
        namespace: this.namespace,
      });
      const warnings = (
        await this.kube.list<
          KubeObject & {
            type?: string;
            reason?: string;
            message?: string;
            involvedObject?: { kind?: string; name?: string };
            lastTimestamp?: string;
          }
        >('v1', 'Event', {
          namespace: this.namespace,
        })
      )
        .filter((e) => e.type === 'Warning')
        .map((e) => ({ e, at: e.lastTimestamp ?? e.metadata.creationTimestamp ?? '' }))
        .sort((a, b) => a.at.localeCompare(b.at))
        .slice(-8)
        .map(({ e }) => e);
      const snapshots = await this.kube
        .list<KubeObject & { status?: { readyToUse?: boolean; error?: { message?: string } } }>(
          'snapshot.storage.k8s.io/v1',
          'VolumeSnapshot',
          { namespace: this.namespace },
        )
        .catch(() => []);
      return JSON.stringify({
        trigger: rs?.spec.trigger?.manual,
        lastManualSync: rs?.status?.lastManualSync,
        lastSyncTime: rs?.status?.lastSyncTime,
        mover: mover && { result: mover.result, logs: (mover.logs ?? '').slice(-600) },
        conditions: rs?.status?.conditions?.map((c) => `${c.type}=${c.status}: ${c.message ?? ''}`),
        pods: pods.map((p) => {
          const states = (p.status?.containerStatuses ?? []).flatMap((c) =>
            Object.entries(c.state ?? {}).map(([k, v]) => (v.reason ? `${k}:${v.reason}` : k)),
          );
          // Not scheduled yet: the scheduler's reason (which plugin, which claim) is on the PodScheduled condition.
          const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
          const where = p.spec?.nodeName
            ? `on ${p.spec.nodeName}`
            : `unscheduled (${scheduled?.reason ?? '?'}: ${scheduled?.message ?? ''})`;
          return `${p.metadata.name} ${p.status?.phase ?? '?'} ${states.join(',')} ${where}`;
        }),
        claims: claims.map((c) => `${c.metadata.name} ${c.status?.phase ?? '?'}`),
        warnings: warnings.map((e) => `${e.involvedObject?.kind}/${e.involvedObject?.name} ${e.reason}: ${e.message}`),
        snapshots: snapshots.map(
          (v) =>
            `${v.metadata.name} ready=${v.status?.readyToUse ?? false}${v.status?.error ? ` ${v.status.error.message}` : ''}`,
        ),
      });
    } catch (error) {
      return `(its state could not be read: ${(error as Error).message})`;
    }
  }

  /** Waits until the source's current manual trigger has been synced (a new source syncs once at creation). */
  async settled(pvc: string): Promise<void> {
    const rs = await eventually(
      'ReplicationSource generated',
      () => this.kube.get<Source>(this.sourceRef(pvc)),
      60_000,
      250,
    );
    const token = rs?.spec.trigger?.manual;
    if (!token) throw new Error(`${pvc}-backup has no manual trigger`);
    await this.synced(pvc, token);
  }

  /** Asks for one more backup (a new manual trigger) and waits for the real mover to finish it. */
  async backup(pvc: string, token: string): Promise<NonNullable<Source['status']>> {
    const ref = this.sourceRef(pvc);
    await this.kube.http.request(
      'PATCH',
      await this.kube.resources.objectPath(VOLSYNC, ref.kind, ref.name, ref.namespace),
      {
        contentType: 'application/merge-patch+json',
        body: { spec: { trigger: { manual: token } } },
      },
    );
    return await this.synced(pvc, token);
  }

  /** The snapshot the real mover says it created (its log, as VolSync reports it in latestMoverStatus). */
  static snapshotInLogs(logs: string | undefined): string | undefined {
    // kopia: "Created snapshot with root k… and ID <id> in 0s"; restic: "snapshot <short id> saved".
    return (
      /Created snapshot with root \S+ and ID ([0-9a-f]+)/.exec(logs ?? '')?.[1] ??
      /snapshot ([0-9a-f]{8,}) saved/.exec(logs ?? '')?.[1]
    );
  }

  /** Waits until lifeboat's catalog names as newest snapshot of `pvc` the one whose id starts with `id`. */
  async catalogNewest(pvc: string, id: string): Promise<{ id: string; time: string; snapshots: number }> {
    let seen = '';
    return await eventually(
      `lifeboat's catalog names ${id} newest snapshot of ${pvc}`,
      async () => {
        const res = await fetch(this.lifeboat.opsUrl(`/exists/${this.namespace}/${pvc}`));
        const body = (await res.json()) as { snapshots?: number; newest?: { id: string; time: string } };
        seen = JSON.stringify(body);
        return body.newest?.id.startsWith(id) ? { ...body.newest, snapshots: body.snapshots ?? 0 } : undefined;
      },
      120_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last answer of /exists: ${seen}`);
    });
  }
}
