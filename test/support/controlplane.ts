/**
 * A real Kubernetes control plane for tests: etcd 3.6 + kube-apiserver on free loopback ports, with client
 * certificate authentication, RBAC authorization and a service-account signing key. No kubelet or controller-manager
 * runs: where those (or VolSync) would act, a test plays their part explicitly.
 *
 *   const cp = await startControlPlane({ crds: 'kopia-fork' });
 *   try { ... cp.kubeConfig ... } finally { await cp.stop(); }
 *
 * Most test files share the run's control plane through `sharedControlPlane()` (started once by the global setup).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { createAuthority, issueCertificate, type KeyPairPem, type LeafOptions } from '../../src/admission/pki.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { freePort, type Managed, startProcess, waitUntil } from './processes.ts';
import { binary, CRDS_DIR } from './testenv.ts';

/** Which CRDs to install: one VolSync flavour (a cluster runs one), plus VolumeSnapshot and external-secrets. */
export type CrdSet = 'kopia-fork' | 'upstream' | 'none';

/**
 * Where a control plane for a real node listens (test/support/realnode.ts): an address of the node, a fixed port,
 * Node+RBAC authorization, the ServiceAccount admission plugin on (a controller-manager creates the accounts), and the
 * kubelet reached by its InternalIP only (by name, the API server would ask the machine's DNS resolver).
 */
export interface NodeNetwork {
  address: string;
  port: number;
  serviceCidr: string;
  /** The `kubernetes` Service's ClusterIP (the first address of serviceCidr): Pods reach the API server by it. */
  serviceIp: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT (or https://<network.address>:<network.port>) */
  server: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** The cluster CA (PEM), e.g. to verify the server or to issue more client certificates. */
  caPem: string;
  /** http://127.0.0.1:PORT of the etcd client endpoint, e.g. to compact its history (forces watch 410 Gone). */
  etcdUrl: string;
  dir: string;
  /** Files in `dir` other components of a real node use. */
  files: { ca: string; saKey: string; adminCert: string; adminKey: string };
  /** Issues a certificate of the cluster CA (e.g. a kubelet's serving certificate), valid for a day. */
  issue(opts: Omit<LeafOptions, 'validForMs'>): Promise<KeyPairPem>;
  /** Writes a kubeconfig for a client certificate with this user name and groups (RBAC tests). */
  kubeconfigFor(user: string, groups?: string[]): Promise<KubeConfig>;
  stop(): Promise<void>;
}

const SHARED_ENV = 'LIFEBOAT_TEST_KUBECONFIG';

async function httpsOk(url: string, tls: { ca: string; cert?: string; key?: string }): Promise<boolean> {
  return await new Promise((resolve) => {
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function kubeconfigYaml(server: string, caPem: string, user: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lifeboat-test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: 'lifeboat-test', context: { cluster: 'lifeboat-test', user, namespace: 'default' } }],
    'current-context': 'lifeboat-test',
  });
}

async function crdFiles(set: CrdSet): Promise<string[]> {
  if (set === 'none') return [];
  const dirs = [set === 'kopia-fork' ? 'volsync-kopia-fork' : 'volsync-upstream', 'snapshot', 'external-secrets'];
  const files: string[] = [];
  for (const d of dirs) {
    const dir = join(CRDS_DIR, d);
    for (const f of (await readdir(dir)).sort()) if (/\.ya?ml$/.test(f)) files.push(join(dir, f));
  }
  return files;
}

/** Server-side applies CRD manifests and waits until every one reports Established; returns their names. */
export async function installCrds(kc: KubeConfig, files: string[]): Promise<string[]> {
  const kube = new KubeClient(kc, 'lifeboat-test');
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj?.kind !== 'CustomResourceDefinition') continue;
      await kube.apply(obj, { force: true });
      names.push(obj.metadata.name);
    }
  }
  const pending = new Set(names);
  await waitUntil(
    `CRDs Established (${names.length})`,
    async () => {
      for (const name of [...pending]) {
        const crd = await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          name,
        });
        if (crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) pending.delete(name);
      }
      return pending.size === 0;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return names;
}

export async function startControlPlane(opts: { crds?: CrdSet; network?: NodeNetwork } = {}): Promise<ControlPlane> {
  const net = opts.network;
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-cp-'));
  const processes: Managed[] = [];
  const stop = async () => {
    // The API server holds no state of its own (etcd does): no need to wait for its graceful shutdown.
    for (const p of processes.reverse()) await p.stop(p.name === 'kube-apiserver' ? 500 : 5000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // PKI: cluster CA, API server serving certificate, an admin client certificate (group system:masters),
    // and the service-account token signing key.
    const ca = await createAuthority('lifeboat-test-cluster-ca', 24 * 3_600_000);
    const serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '::1', ...(net ? [net.address, net.serviceIp] : [])],
      usage: 'server',
      validForMs: 24 * 3_600_000,
    });
    const admin = await issueCertificate(ca, {
      commonName: 'lifeboat-test-admin',
      organizations: ['system:masters'],
      usage: 'client',
      validForMs: 24 * 3_600_000,
    });
    const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const files = {
      ca: join(dir, 'ca.crt'),
      tlsCert: join(dir, 'apiserver.crt'),
      tlsKey: join(dir, 'apiserver.key'),
      saKey: join(dir, 'sa.key'),
      saPub: join(dir, 'sa.pub'),
      kubeconfig: join(dir, 'kubeconfig'),
      adminCert: join(dir, 'admin.crt'),
      adminKey: join(dir, 'admin.key'),
    };
    await writeFile(files.adminCert, admin.certPem);
    await writeFile(files.adminKey, admin.keyPem, { mode: 0o600 });
    await writeFile(files.ca, ca.certPem);
    await writeFile(files.tlsCert, serving.certPem);
    await writeFile(files.tlsKey, serving.keyPem, { mode: 0o600 });
    await writeFile(files.saKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(files.saPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));

    // etcd: in-memory-fast (no fsync), loopback only.
    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    const etcd = startProcess(
      'etcd',
      binary('etcd'),
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
        '--quota-backend-bytes=4294967296',
      ],
      { logFile: join(dir, 'etcd.log') },
    );
    processes.push(etcd);
    await waitUntil(
      'etcd health',
      async () => {
        const res = await fetch(`http://127.0.0.1:${etcdClient}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { timeoutMs: 30_000, process: etcd },
    );

    const port = net?.port ?? (await freePort());
    const address = net?.address ?? '127.0.0.1';
    const apiserver = startProcess(
      'kube-apiserver',
      binary('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--bind-address=${address}`,
        `--advertise-address=${address}`,
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--tls-cert-file=${files.tlsCert}`,
        `--tls-private-key-file=${files.tlsKey}`,
        `--client-ca-file=${files.ca}`,
        `--service-account-key-file=${files.saPub}`,
        `--service-account-signing-key-file=${files.saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        // A documentation-only range (RFC 5737 TEST-NET-3): the API server needs one, nothing routes to it.
        `--service-cluster-ip-range=${net?.serviceCidr ?? '203.0.113.0/24'}`,
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=0',
        ...(net
          ? [
              '--authorization-mode=Node,RBAC',
              '--kubelet-preferred-address-types=InternalIP',
              `--kubelet-client-certificate=${files.adminCert}`,
              `--kubelet-client-key=${files.adminKey}`,
            ]
          : [
              '--authorization-mode=RBAC',
              // No controller-manager creates default ServiceAccounts, so the admission plugin that requires them is off.
              '--disable-admission-plugins=ServiceAccount',
            ]),
      ],
      { logFile: join(dir, 'kube-apiserver.log') },
    );
    processes.push(apiserver);
    const server = `https://${address}:${port}`;
    await waitUntil(
      'kube-apiserver /readyz',
      () => httpsOk(`${server}/readyz`, { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem }),
      { timeoutMs: 90_000, intervalMs: 200, process: apiserver },
    );

    await writeFile(
      files.kubeconfig,
      kubeconfigYaml(server, ca.certPem, 'lifeboat-test-admin', admin.certPem, admin.keyPem),
      { mode: 0o600 },
    );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(files.kubeconfig);
    await installCrds(kubeConfig, await crdFiles(opts.crds ?? 'kopia-fork'));

    return {
      server,
      kubeconfigPath: files.kubeconfig,
      kubeConfig,
      caPem: ca.certPem,
      etcdUrl: `http://127.0.0.1:${etcdClient}`,
      dir,
      files: { ca: files.ca, saKey: files.saKey, adminCert: files.adminCert, adminKey: files.adminKey },
      issue: (leaf) => issueCertificate(ca, { ...leaf, validForMs: 24 * 3_600_000 }),
      async kubeconfigFor(user, groups = []) {
        const cert = await issueCertificate(ca, {
          commonName: user,
          organizations: groups,
          usage: 'client',
          validForMs: 3_600_000,
        });
        const kc = new KubeConfig();
        kc.loadFromString(kubeconfigYaml(server, ca.certPem, user, cert.certPem, cert.keyPem));
        return kc;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The control plane shared by this test run (started by test/support/global-setup.ts, CRDs: kopia fork). When a test
 * file runs on its own (`node --test file`), it starts a private one and stops it when the file's tests end.
 * Tests that share it isolate themselves by namespace.
 */
let privatePlane: Promise<ControlPlane> | undefined;

export async function sharedControlPlane(): Promise<{ kubeConfig: KubeConfig; kubeconfigPath: string }> {
  const path = process.env[SHARED_ENV];
  if (path) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path);
    return { kubeConfig, kubeconfigPath: path };
  }
  if (!privatePlane) {
    privatePlane = startControlPlane({ crds: 'kopia-fork' });
    // Stopped when the file's event loop drains (its processes also die with it through pdeathsig).
    process.once('beforeExit', () => void privatePlane?.then((cp) => cp.stop()));
  }
  return await privatePlane;
}

export const SHARED_KUBECONFIG_ENV = SHARED_ENV;
