/**
 * A real one-node Kubernetes for tests, run as processes on this machine: etcd + kube-apiserver (controlplane.ts),
 * containerd + runc with the bridge CNI plugin, kubelet, kube-controller-manager, kube-scheduler, kube-proxy
 * (iptables), the project's own CSI driver with the external provisioner, snapshotter and snapshot-controller, and the
 * real VolSync controller (kopia fork) whose mover Jobs run VolSync's own entry scripts in a locally built image.
 *
 *   const node = await sharedRealNode();   // the run's node, or a private one for a file run alone
 *   node.kubeConfig, node.storageClass, node.snapshotClass, node.s3 (MinIO reachable from Pods)
 *
 * One node per machine (fixed ports and interface names). The machine is recorded before the node changes it and put
 * back on stop — and by the next start when a run was killed (test/support/host-state.ts). That includes the one host
 * file the node installs for its lifetime: an NFS-like mount helper (MOUNT_HELPER), as the kernel has no NFS client.
 *
 * Addresses come from the documentation ranges only (RFC 5737), so nothing a test addresses can be outside this
 * machine: the node is 203.0.113.129 on a bridge with no ports (203.0.113.128/25), Services are 203.0.113.0/25, Pods
 * 198.51.100.0/24. Pods get an empty resolv.conf (no upstream DNS) and a route to 203.0.113.0/24 only (no default
 * route), so a pod cannot send anything off the machine either. 192.0.2.0/24 is left alone: machines of this kind
 * have their own uplink in it (eth0 192.0.2.2, gateway 192.0.2.1), and a node address there would shadow the gateway.
 * The start refuses, naming the route, when the machine already uses either range.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';
import {
  type HostState,
  killPodProcesses,
  leftovers,
  overlappingRoutes,
  ownerAlive,
  readState,
  recordState,
  restoreState,
  STATE_FILE,
} from './host-state.ts';
import { acquireNodeLock, type HeldLock } from './node-lock.ts';
import { type Managed, startProcess, waitUntil } from './processes.ts';
import { type S3Server, startS3Server } from './s3server.ts';
import { nodeComponents, REPO_ROOT } from './testenv.ts';

export const NODE = {
  name: 'lifeboat-node',
  address: '203.0.113.129',
  /** The bridge's subnet, holding only the node's address; beside the Service range, both inside 203.0.113.0/24. */
  addressCidr: '203.0.113.128/25',
  bridge: 'lbnode0',
  podBridge: 'lbcni0',
  podCidr: '198.51.100.0/24',
  podGateway: '198.51.100.1',
  serviceCidr: '203.0.113.0/25',
  serviceIp: '203.0.113.1',
  apiPort: 6443,
} as const;

export const CSI_DRIVER = 'csi.lifeboat.test';

/**
 * Where util-linux `mount -t nfs` looks for the NFS helper (/sbin, which is /usr/sbin on this Debian). This machine's
 * kernel has no NFS client (no nfs in /proc/filesystems) and it runs no NFS server, so the node installs its own
 * helper there for its lifetime: an NFS-like export (see nfsMountHelper).
 */
export const MOUNT_HELPER = '/sbin/mount.nfs';

/**
 * The node's NFS-like mount helper. The kubelet's nfs volume plugin runs `mount -t nfs [-o ro] <server>:<path>
 * <target>` and util-linux runs `/sbin/mount.nfs <server>:<path> <target> [-o <options>]`; this helper answers for
 * the node's address only and bind-mounts `<exportRoot><path>` (read-only when asked), failing like mount.nfs when the
 * server or the export is wrong. Everything else on the way is real: lifeboat's generated `moverVolumes`, VolSync's
 * mover Pods and lifeboat's own Deployment carry `nfs:` volumes the real kubelet mounts through its real nfs plugin.
 * What differs from NFS: no network file protocol (no NFS locking, attribute caching or root squashing), and the
 * export's owner is set by the harness as an administrator would prepare it.
 */
export function nfsMountHelper(exportRoot: string, log: string): string {
  return `#!/bin/bash
# NFS-like mount helper of lifeboat's real-node tests (test/support/realnode.ts), installed while the test node runs
# and removed (or the file that was here put back) when it stops: ${exportRoot}
set -euo pipefail
echo "$(date -u +%FT%TZ) mount.nfs $*" >> '${log}'
spec=$1 target=$2
shift 2
opts=
while [ $# -gt 0 ]; do
  case $1 in
    -o) opts=$2; shift 2 ;;
    *) shift ;;
  esac
done
server=\${spec%%:*}
path=\${spec#*:}
if [ "$server" != '${NODE.address}' ]; then
  echo "mount.nfs: Connection refused: $server is not the test node's NFS server (${NODE.address})" >&2
  exit 32
fi
case "$path/" in
  /*/../* | /../* | [!/]*) echo "mount.nfs: access denied by server while mounting $spec" >&2; exit 32 ;;
esac
if [ ! -d '${exportRoot}'"$path" ]; then
  echo "mount.nfs: access denied by server while mounting $spec" >&2
  exit 32
fi
mount --bind '${exportRoot}'"$path" "$target"
case ",$opts," in
  *,ro,*) mount -o remount,bind,ro "$target" ;;
esac
`;
}
const KUBECONFIG_ENV = 'LIFEBOAT_REAL_NODE_KUBECONFIG';
const INFO_ENV = 'LIFEBOAT_REAL_NODE_INFO';
/** The file holding the current node's RealNodeInfo (rewritten when a test rebuilds the cluster). */
const INFO_FILE_ENV = 'LIFEBOAT_REAL_NODE_INFO_FILE';
/** The Unix socket of the process that owns the node (the global setup), which rebuilds the cluster on request. */
const CONTROL_ENV = 'LIFEBOAT_REAL_NODE_CONTROL';

/**
 * The NFS-like server's exports (MOUNT_HELPER): storage outside the cluster, like MinIO, so they live in a directory of
 * their own beside the node's and a rebuilt cluster is handed them as they were (RealNode.rebuild). Removed when the
 * node stops for good, and by the next start when the process that owned them was killed.
 */
function makeExports(): string {
  sweepOrphaned(EXPORTS_PREFIX);
  const dir = mkdtempSync(join(tmpdir(), EXPORTS_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  mkdirSync(join(dir, 'exports'), { mode: 0o755 });
  return dir;
}

const EXPORTS_PREFIX = 'lifeboat-nfs-server-';
const OWNER_FILE = 'owner.pid';

export interface RealNodeInfo {
  kubeconfigPath: string;
  server: string;
  storageClass: string;
  snapshotClass: string;
  /** The image VolSync's mover Jobs run (VolSync's entry scripts, kopia, restic). */
  moverImage: string;
  /** A small image with bash and coreutils for the tests' own Pods (the mover image, run with another command). */
  toolsImage: string;
  /** lifeboat's own image, made by testenv from this checkout (testenv/build.sh lifeboat_image). */
  lifeboatImage: string;
  /**
   * The node's NFS-like server (MOUNT_HELPER): `nfs: {server, path}` volumes mount `<exportRoot><path>` of this
   * machine. A scenario makes its own export directory under exportRoot. A rebuilt cluster serves the same exports.
   */
  nfs: { server: string; exportRoot: string };
  /** MinIO on the node's address, reachable from Pods and from the test process. */
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string; bucket: string };
  dir: string;
  /** Milliseconds from start to a Ready node with storage. */
  startMs: number;
}

export interface RealNode extends RealNodeInfo {
  kubeConfig: KubeConfig;
  stop(): Promise<void>;
  /**
   * Stops this cluster and starts a fresh one in its place (see rebuildRealNode): a new control plane (new etcd data,
   * CA and service-account keys), new kubelet, runtime and CSI state (every volume gone), no object of the old
   * cluster left — while MinIO keeps running with its data and the NFS-like server keeps its exports, as storage
   * outside a cluster does. Returns the new node, which owns them from then on; this one is stopped.
   */
  rebuild(): Promise<RealNode>;
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input });
}

const yaml = (o: unknown) => JSON.stringify(o, null, 1);

function containerdConfig(dir: string, socket: string, pauseRef: string): string {
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseRef}"
  # The VM drops CAP_SYS_RESOURCE: a negative oom_score_adj for sandboxes would fail every Pod.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni/net.d"
`;
}

function cniConfig(dir: string): string {
  return yaml({
    cniVersion: '0.4.0',
    name: 'lifeboat-pods',
    plugins: [
      {
        type: 'bridge',
        bridge: NODE.podBridge,
        isGateway: true,
        // No masquerade: nothing leaves the machine, and it would add NAT rules to the host.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: NODE.podCidr, gateway: NODE.podGateway }]],
          // No default route: pods reach the node and the Services (both in 203.0.113.0/24) through the bridge, and
          // have no route to anything else, so no address a pod tries can leave the machine.
          routes: [{ dst: NODE.addressCidr }, { dst: NODE.serviceCidr }],
          dataDir: join(dir, 'cni', 'ipam'),
        },
      },
    ],
  });
}

function kubeletConfig(dir: string, socket: string, certs: { ca: string; cert: string; key: string }): string {
  return yaml({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE.address,
    port: 10250,
    readOnlyPort: 0,
    healthzPort: 0,
    tlsCertFile: certs.cert,
    tlsPrivateKeyFile: certs.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: certs.ca } },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${socket}`,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    failCgroupV1: false,
    // Thresholds at 0: the node must not evict the tests' Pods because the machine's disk is nearly full.
    evictionHard: {
      'memory.available': '0%',
      'nodefs.available': '0%',
      'nodefs.inodesFree': '0%',
      'imagefs.available': '0%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    makeIPTablesUtilChains: false,
    resolvConf: join(dir, 'resolv.conf'),
    podLogsDir: join(dir, 'pod-logs'),
    serializeImagePulls: false,
    registerNode: true,
    volumeStatsAggPeriod: '0s',
    syncFrequency: '5s',
    fileCheckFrequency: '0s',
    nodeStatusReportFrequency: '10s',
    shutdownGracePeriod: '0s',
  });
}

function kubeProxyConfig(kubeconfig: string): string {
  return yaml({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE.name,
    bindAddress: NODE.address,
    clusterCIDR: NODE.podCidr,
    // Loopback, fixed ports (one node per machine): kube-proxy refuses port 0 ("must be a valid port") and exits.
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    nodePortAddresses: [`${NODE.address}/32`],
    // Leave the machine's conntrack limits alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

/** Objects every real node has: storage classes of the CSI driver, VolSync's namespace. */
function clusterObjects(): KubeObject[] {
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: CSI_DRIVER },
      spec: {
        attachRequired: false,
        podInfoOnMount: false,
        fsGroupPolicy: 'File',
        volumeLifecycleModes: ['Persistent'],
      },
    } as KubeObject,
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'lifeboat-csi', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: CSI_DRIVER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    } as KubeObject,
    {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'lifeboat-csi', annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: CSI_DRIVER,
      deletionPolicy: 'Delete',
    } as KubeObject,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'volsync-system' } },
  ];
}

/** Refuses to start beside another run's node; cleans up after a killed one. */
function takeMachine(): void {
  const previous = readState();
  if (!previous) return;
  if (ownerAlive(previous)) {
    throw new Error(
      `a real node of another test run (pid ${previous.owner.pid}, ${previous.dir}) is running on this machine: ` +
        `one node per machine (fixed ports and interfaces). Wait for that run, or stop it; its state is ${STATE_FILE}.`,
    );
  }
  process.stderr.write(`[realnode] cleaning up after a previous run that did not stop its node (${previous.dir})\n`);
  restoreState(previous);
}

export async function startRealNode(opts: { s3?: S3Server; exports?: string } = {}): Promise<RealNode> {
  const started = Date.now();
  // lifeboat's image is made from this checkout: unlike the other components, it changes with every edit of the
  // sources, so the node makes it when its key has no tar yet (seconds; cached by content otherwise).
  sh('bash', [join(REPO_ROOT, 'testenv', 'build.sh'), 'lifeboat-image']);
  const bin = nodeComponents();
  takeMachine();
  const taken = overlappingRoutes(sh('ip', ['-4', 'route', 'show', 'table', 'all']).split('\n'), [
    NODE.addressCidr,
    NODE.serviceCidr,
    NODE.podCidr,
  ]);
  if (taken.length > 0) {
    throw new Error(
      `the real node's ranges (${NODE.addressCidr}, ${NODE.serviceCidr}, ${NODE.podCidr}) are already routed on this machine: ${taken.join('; ')}. ` +
        'Remove that route (or interface), or change NODE in test/support/realnode.ts to unused documentation ranges.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-node-'));
  const socket = join(dir, 'containerd.sock');
  const state: HostState = recordState(dir, [NODE.bridge, NODE.podBridge], socket, [MOUNT_HELPER]);
  const exports = opts.exports ?? makeExports();
  const exportRoot = join(exports, 'exports');
  const processes: Managed[] = [];
  let plane: ControlPlane | undefined;
  let s3: S3Server | undefined = opts.s3;
  let stopped = false;
  /** Set by rebuild(): the stop leaves MinIO running and the exports in place for the next cluster. */
  let keepStorage = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Controllers first (nothing new is started), then the kubelet, the Pods, the runtime, storage, the API.
    const order = [
      'volsync',
      'csi-provisioner',
      'csi-snapshotter',
      'snapshot-controller',
      'kube-scheduler',
      'kube-controller-manager',
      'kube-proxy',
      'kubelet',
    ];
    for (const name of order) await processes.find((p) => p.name === name)?.stop(5000);
    killPodProcesses(state); // the Pods and the runtime's shims outlive the kubelet and the runtime
    for (const p of processes.reverse()) await p.stop(3000);
    if (!keepStorage) await s3?.stop();
    await plane?.stop();
    restoreState(state);
    // After restoreState: the kubelet's mounts of the exports are gone with the node's directory.
    if (!keepStorage) rmSync(exports, { recursive: true, force: true });
    const left = leftovers(state);
    if (left.length) process.stderr.write(`[realnode] the machine still shows: ${left.join('; ')}\n`);
  };
  const start = (name: string, args: string[], env?: NodeJS.ProcessEnv) => {
    // The container runtime is the machine's (a Debian package); everything else was built by testenv.
    const p = startProcess(name, name === 'containerd' ? 'containerd' : (bin[name] as string), args, {
      logFile: join(dir, 'logs', `${name}.log`),
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    processes.push(p);
    return p;
  };
  try {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
    writeFileSync(join(dir, 'resolv.conf'), '');
    // Never written through: whatever was there (recorded above) is replaced, not modified.
    rmSync(MOUNT_HELPER, { force: true });
    writeFileSync(MOUNT_HELPER, nfsMountHelper(exportRoot, join(dir, 'logs', 'mount.nfs.log')), { mode: 0o755 });
    chmodSync(MOUNT_HELPER, 0o755);

    // The node's address, on a bridge with no ports (the kernel has no dummy interfaces); Pods reach it through their
    // own bridge's gateway.
    sh('ip', ['link', 'add', NODE.bridge, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${NODE.address}/${NODE.addressCidr.split('/')[1]}`, 'dev', NODE.bridge]);
    sh('ip', ['link', 'set', NODE.bridge, 'up']);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');

    plane = await startControlPlane({
      crds: 'kopia-fork',
      network: { address: NODE.address, port: NODE.apiPort, serviceCidr: NODE.serviceCidr, serviceIp: NODE.serviceIp },
    });
    const kubeconfig = plane.kubeconfigPath;
    const kube = new KubeClient(plane.kubeConfig, 'lifeboat-test');

    // The kubelet's own identity (Node authorizer: system:node:<name> in system:nodes) and serving certificate.
    const ca = plane.files.ca;
    const nodeKc = await plane.kubeconfigFor(`system:node:${NODE.name}`, ['system:nodes']);
    const kubeletKubeconfig = join(dir, 'kubelet.kubeconfig');
    writeFileSync(kubeletKubeconfig, nodeKc.exportConfig(), { mode: 0o600 });
    const serving = await plane.issue({ commonName: NODE.name, ipAddresses: [NODE.address], usage: 'server' });
    writeFileSync(join(dir, 'kubelet.crt'), serving.certPem);
    writeFileSync(join(dir, 'kubelet.key'), serving.keyPem, { mode: 0o600 });

    writeFileSync(join(dir, 'containerd.toml'), containerdConfig(dir, socket, bin['pause-image-ref'] as string));
    writeFileSync(join(dir, 'cni', 'net.d', '10-lifeboat.conflist'), cniConfig(dir));
    const containerd = start('containerd', ['--config', join(dir, 'containerd.toml'), '--log-level', 'warn']);
    await waitUntil('containerd', async () => sh('ctr', ['--address', socket, 'version']).includes('Server'), {
      timeoutMs: 30_000,
      intervalMs: 200,
      process: containerd,
    });
    for (const image of ['pause-image', 'mover-image', 'lifeboat-image']) {
      sh('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', bin[image] as string]);
    }

    const kubeletRoot = join(dir, 'kubelet');
    writeFileSync(
      join(dir, 'kubelet.yaml'),
      kubeletConfig(dir, socket, { ca, cert: join(dir, 'kubelet.crt'), key: join(dir, 'kubelet.key') }),
    );
    const kubelet = start('kubelet', [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--root-dir=${kubeletRoot}`,
      `--hostname-override=${NODE.name}`,
      `--node-ip=${NODE.address}`,
      '--v=1',
    ]);
    start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      '--use-service-account-credentials',
      `--root-ca-file=${ca}`,
      `--service-account-private-key-file=${plane.files.saKey}`,
      '--allocate-node-cidrs=false',
      '--pvclaimbinder-sync-period=2s',
      '--leader-elect=false',
      '--secure-port=0',
      '--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle-controller',
    ]);
    // VolSync creates a mover's claim and its Job together. When the claim is bound during the pod's scheduling
    // attempts, this scheduler can leave the pod in its unschedulable pool with the claim already Bound, until its
    // fallback retry: after 5 minutes by default (seen: five attempts within 70 ms, the last still "pod has unbound
    // immediate PersistentVolumeClaims", then nothing for 5 minutes). The volume plugin's own cache of claims is fed by
    // an informer handler of its own, which can run after the handler that re-queues the pod
    // (kubernetes/kubernetes#93552, open). The flag that shortens the fallback is the workaround kube-scheduler's
    // source names for pods stuck there (kubernetes/kubernetes#110175).
    start('kube-scheduler', [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--pod-max-in-unschedulable-pods-duration=20s',
    ]);
    writeFileSync(join(dir, 'kube-proxy.yaml'), kubeProxyConfig(kubeconfig));
    const proxy = start('kube-proxy', [`--config=${join(dir, 'kube-proxy.yaml')}`]);

    for (const o of clusterObjects()) await kube.apply(o, { force: true });
    const csiSocket = join(dir, 'csi', 'csi.sock');
    start('csi-driver', [
      `--endpoint=${csiSocket}`,
      `--node-id=${NODE.name}`,
      `--root=${join(dir, 'csi-data')}`,
      `--registration-dir=${join(kubeletRoot, 'plugins_registry')}`,
    ]);
    const sidecar = ['--leader-election=false', `--kubeconfig=${kubeconfig}`, '--timeout=60s'];
    start('csi-provisioner', [`--csi-address=${csiSocket}`, ...sidecar, '--extra-create-metadata']);
    start('csi-snapshotter', [`--csi-address=${csiSocket}`, ...sidecar]);
    start('snapshot-controller', [`--kubeconfig=${kubeconfig}`, '--leader-election=false']);

    // A rebuilt cluster keeps the MinIO of the one before: its socket on the node's address outlives the bridge being
    // deleted and made again, so the repositories answer at the same endpoint.
    s3 ??= await startS3Server({ host: NODE.address, bucket: 'lifeboat-real' });
    const mover = bin['mover-image-ref'] as string;
    start('volsync', ['--health-probe-bind-address=127.0.0.1:0', '--metrics-bind-address=0', '--leader-elect=false'], {
      KUBECONFIG: kubeconfig,
      VOLSYNC_NAMESPACE: 'volsync-system',
      RELATED_IMAGE_KOPIA_CONTAINER: mover,
      RELATED_IMAGE_RESTIC_CONTAINER: mover,
    });

    await waitUntil(
      `node ${NODE.name} Ready with the CSI driver registered`,
      async () => {
        const node = await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({
          apiVersion: 'v1',
          kind: 'Node',
          name: NODE.name,
        });
        const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        const csiNode = await kube.get<KubeObject & { spec?: { drivers?: { name: string }[] | null } }>({
          apiVersion: 'storage.k8s.io/v1',
          kind: 'CSINode',
          name: NODE.name,
        });
        return Boolean(ready && csiNode?.spec?.drivers?.some((d) => d.name === CSI_DRIVER));
      },
      { timeoutMs: 120_000, intervalMs: 250, process: kubelet },
    );
    // Services work only once kube-proxy has written the rules of the API server's own Service.
    await waitUntil(
      'kube-proxy routing the kubernetes Service',
      async () => sh('iptables-save', ['-t', 'nat']).includes('default/kubernetes:https'),
      { timeoutMs: 60_000, intervalMs: 250, process: proxy },
    );
    kube.close();
    const info: RealNodeInfo = {
      kubeconfigPath: kubeconfig,
      server: plane.server,
      storageClass: 'lifeboat-csi',
      snapshotClass: 'lifeboat-csi',
      moverImage: mover,
      toolsImage: mover,
      lifeboatImage: bin['lifeboat-image-ref'] as string,
      nfs: { server: NODE.address, exportRoot },
      s3: {
        endpoint: s3.endpoint,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        region: s3.region,
        bucket: s3.bucket,
      },
      dir,
      startMs: Date.now() - started,
    };
    const rebuild = async (): Promise<RealNode> => {
      keepStorage = true;
      await stop();
      return await startRealNode({ s3: s3 as S3Server, exports });
    };
    return { ...info, kubeConfig: plane.kubeConfig, stop, rebuild };
  } catch (error) {
    const tails = processes.map((p) => `--- ${p.name}\n${p.tail().split('\n').slice(-6).join('\n')}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\nlast output of the node's processes:\n${tails}`);
  }
}

/** For the global setup: the node's description, passed to the test files through the environment. */
export function publishRealNode(node: RealNode, infoFile?: string): void {
  process.env[KUBECONFIG_ENV] = node.kubeconfigPath;
  const { kubeConfig: _kc, stop: _stop, rebuild: _rebuild, ...info } = node;
  process.env[INFO_ENV] = JSON.stringify(info);
  if (infoFile) {
    // Whole or not at all: a file starting meanwhile reads the old description or the new one.
    writeFileSync(`${infoFile}.new`, JSON.stringify(info));
    renameSync(`${infoFile}.new`, infoFile);
    process.env[INFO_FILE_ENV] = infoFile;
  }
}

/**
 * For the global setup, which owns the node's processes: publishes the node and serves rebuilds on a Unix socket for
 * the run's test files (a test file cannot restart processes it did not start: they die with their parent). A rebuild
 * is asked for by a file holding the node lock exclusive (withRealNodeAlone), so no other file uses the node; the new
 * node's description replaces the published one, and `current()` is what the teardown stops.
 */
export async function serveRealNode(first: RealNode): Promise<{ current(): RealNode; close(): Promise<void> }> {
  sweepOrphaned(RUN_DIR_PREFIX);
  const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const infoFile = join(dir, 'node.json');
  const socket = join(dir, 'control.sock');
  let node = first;
  publishRealNode(node, infoFile);
  let busy: Promise<void> = Promise.resolve();
  const server = createServer((conn) => {
    conn.once('data', (chunk) => {
      if (chunk.toString('utf8').trim() !== 'rebuild') {
        conn.end('error: unknown request\n');
        return;
      }
      busy = busy.then(async () => {
        const t0 = Date.now();
        try {
          node = await node.rebuild();
          publishRealNode(node, infoFile);
          process.stderr.write(`[testenv] real node rebuilt in ${Date.now() - t0} ms (ready in ${node.startMs} ms)\n`);
          conn.end('ok\n');
        } catch (error) {
          conn.end(`error: ${(error as Error).message.replaceAll('\n', ' | ')}\n`);
        }
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  server.unref();
  process.env[CONTROL_ENV] = socket;
  return {
    current: () => node,
    close: async () => {
      await busy;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const RUN_DIR_PREFIX = 'lifeboat-real-node-run-';

/**
 * Removes the directories of `prefix` whose owner (the process named in their owner file) is gone: the description and
 * socket of runs that were killed, exports a killed run left.
 */
function sweepOrphaned(prefix: string): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(prefix))) {
    const dir = join(tmpdir(), name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
      process.kill(owner, 0);
    } catch (error) {
      if (owner > 0 && (error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(dir, { recursive: true, force: true });
    }
  }
}

let privateNode: Promise<RealNode> | undefined;
/** This process's hold on the node lock (test/support/node-lock.ts): shared while it uses the node. */
let held: Promise<HeldLock> | undefined;

function currentInfo(): RealNodeInfo | undefined {
  const file = process.env[INFO_FILE_ENV];
  if (file) return JSON.parse(readFileSync(file, 'utf8')) as RealNodeInfo;
  const published = process.env[INFO_ENV];
  return published ? (JSON.parse(published) as RealNodeInfo) : undefined;
}

function withKubeConfig(info: RealNodeInfo): RealNodeInfo & { kubeConfig: KubeConfig } {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(info.kubeconfigPath);
  return { ...info, kubeConfig };
}

/**
 * The real node shared by this test run (started by the global setup when the run includes real-node tests). A test
 * file run on its own starts a private one and stops it when the file's tests end. Either way the file holds the node
 * lock shared from its first call on (until it ends), so a rebuild waits for it; call again after withRealNodeAlone
 * for the node as it is now.
 */
export async function sharedRealNode(): Promise<RealNodeInfo & { kubeConfig: KubeConfig }> {
  held ??= acquireNodeLock('shared');
  await held;
  const info = currentInfo();
  if (info) return withKubeConfig(info);
  if (!privateNode) {
    privateNode = startRealNode();
    process.once('beforeExit', () => void privateNode?.then((n) => n.stop()));
  }
  return await privateNode;
}

/**
 * Runs `fn` while no other test file uses the node (the node lock held exclusive: it waits until every other file
 * that holds it shared has ended), then holds it shared again. For tests that replace the cluster (rebuildRealNode).
 */
export async function withRealNodeAlone<T>(fn: () => Promise<T>): Promise<T> {
  await (await held)?.release();
  held = acquireNodeLock('exclusive');
  const exclusive = await held;
  process.stderr.write(`[realnode] waited ${exclusive.waitedMs} ms to use the node alone\n`);
  try {
    return await fn();
  } finally {
    await exclusive.release();
    held = acquireNodeLock('shared');
    await held;
  }
}

/**
 * A fresh cluster in place of the current one, on the same machine and the same MinIO (RealNode.rebuild): for a
 * full-cluster rebuild. Only inside withRealNodeAlone. Returns the new node; what the caller had of the old one (its
 * kubeconfig, clients) is dead.
 */
export async function rebuildRealNode(): Promise<RealNodeInfo & { kubeConfig: KubeConfig }> {
  if ((await held)?.mode !== 'exclusive') {
    throw new Error(
      'rebuildRealNode() pulls the cluster from under every other test file: call it inside withRealNodeAlone',
    );
  }
  const control = process.env[CONTROL_ENV];
  if (!control) {
    const node = privateNode ? await privateNode : await startRealNode();
    privateNode = node.rebuild();
    return await privateNode;
  }
  const answer = await new Promise<string>((resolve, reject) => {
    const conn = connect(control, () => conn.write('rebuild\n'));
    let text = '';
    conn.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    conn.on('end', () => resolve(text.trim()));
    conn.on('error', reject);
  });
  if (answer !== 'ok') throw new Error(`the run's real node was not rebuilt: ${answer}`);
  return withKubeConfig(currentInfo() as RealNodeInfo);
}

/** Whether a test run's arguments include the real-node tests (a glob of every test, or a realnode-* file). */
export function runNeedsRealNode(argv: readonly string[]): boolean {
  return argv.some((a) => /realnode-[^/]*\.test\.ts$/.test(a) || (a.includes('test/') && a.includes('*')));
}
