/**
 * The release test (docs/design.md#the-wrong-artefact-shipped: an image once shipped the previous binary, without its
 * webhook port, and nobody
 * noticed until every labelled PVC was denied). It runs what the container image runs — the bundled dist/ started
 * by the Dockerfile's ENTRYPOINT with the Deployment's arguments and the ConfigMap's config — against a real API
 * server on which the rendered manifests were installed, as the chart's ServiceAccount with only the rendered RBAC:
 *
 * - every port the rendered Service routes traffic to, and every probe of the Deployment, answers;
 * - the operator reconciles with the rendered permissions, and those permissions are no wider than documented;
 * - every metric of the registry (src/deploy/metric-names.ts) is served by the process it names;
 * - memory stays inside the chart's limit;
 * - it stops gracefully, and its logs are JSON lines free of the repository's secrets (plain or base64).
 *
 * Adding a listener to `lifeboat run` is one entry in LISTENERS below: the flag that moves it to a test port and
 * what must answer there. A port the manifests route to without an entry fails the test, by design.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts';
import { renderManifests } from '../../src/deploy/manifests.ts';
import { EXPORTED, type Exporter } from '../../src/deploy/metric-names.ts';
import { CONFIG_FILE, GUARD_CONFIGMAP, LEASE_NAME, NAME, WEBHOOK_CONFIGURATION } from '../../src/deploy/names.ts';
import { DEFAULT_RESOURCES, DEFAULT_RUN_AS, resolveValues } from '../../src/deploy/values.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { type Artefact, buildArtefact } from '../support/artefact.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { IMAGE_ENV, IMAGE_NODE_FLAGS } from '../support/image.ts';
import { createKopiaRepository, type KopiaTestRepository, makeSourceDir } from '../support/kopia.ts';
import { parseExposition } from '../support/metrics-text.ts';
import { freePort, type Managed, startProcess, waitUntil } from '../support/processes.ts';
import { startS3Server } from '../support/s3server.ts';
import { REPO_ROOT } from '../support/testenv.ts';

const runFile = promisify(execFile);
const NAMESPACE = 'lifeboat-system';
const APPS = 'artefact-apps';
const PVCS = ['photos', 'notes'];
const SA_USER = `system:serviceaccount:${NAMESPACE}:${NAME}`;
const POD = 'lifeboat-7d9f8-abcde';
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`];
/** Values that must never reach a log line, in any encoding. */
const SECRETS: Record<string, string> = {
  KOPIA_PASSWORD: 'lifeboat-test-kopia-password-4f1c9e',
  AWS_ACCESS_KEY_ID: 'LIFEBOATTESTACCESSKEY7',
  AWS_SECRET_ACCESS_KEY: 'lifeboat-test-aws-secret-8b2d70',
};

interface Probe {
  path: string;
  status: number;
  body?: RegExp;
}

interface Listener {
  /** The `lifeboat run` flag that sets this listener's address. */
  flag: string;
  /** Further arguments the test needs for it, given its port. */
  extraArgs?: (port: number) => string[];
  tls?: boolean;
  probes: Probe[];
}

interface HttpProbe {
  httpGet: { path: string; port: string };
}

interface Container {
  args: string[];
  ports: { name: string }[];
  readinessProbe: HttpProbe;
  livenessProbe: HttpProbe;
}

type Deployment = KubeObject & {
  spec: { template: { spec: { securityContext: { runAsUser: number }; containers: Container[] } } };
};
type Service = KubeObject & { spec: { ports: { targetPort: string }[] } };
type WebhookConfiguration = KubeObject & { webhooks: { clientConfig: Record<string, unknown> }[] };

/** Container port name → how to reach it. */
const LISTENERS: Record<string, Listener> = {
  http: {
    flag: '--listen',
    probes: [
      { path: '/healthz', status: 200, body: /"ok"/ },
      { path: '/readyz', status: 200 },
      { path: '/metrics', status: 200, body: /^lifeboat_leader 1$/m },
      { path: `/exists/${'artefact-apps'}/photos`, status: 200, body: /"decision":"fresh"/ },
    ],
  },
  webhook: {
    flag: '--webhook-listen',
    // Registered at this URL instead of the in-cluster Service, so the test's API server calls the process.
    extraArgs: (port) => ['--webhook-url', `https://127.0.0.1:${port}`],
    tls: true,
    probes: [{ path: '/mutate-pvc', status: 405, body: /MethodNotAllowed/ }],
  },
};

function pvc(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: APPS, labels: { backup: 'hourly' } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * The base64 text a value produces wherever it starts in a longer base64-encoded string: for each of the three
 * alignments, the characters that depend on the value's bytes alone.
 */
function base64Needles(value: string): string[] {
  const needles: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), Buffer.from(value, 'utf8')]).toString('base64');
    const start = Math.ceil((pad * 4) / 3);
    needles.push(encoded.slice(start + 1, encoded.length - 4));
  }
  return needles;
}

async function get(url: string, tls: boolean): Promise<{ status: number; body: string }> {
  if (!tls) {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  }
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(m[1]) * { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The JSON array of a Dockerfile instruction in exec form, e.g. ENTRYPOINT ["node", "x.js"]. */
function dockerInstruction(dockerfile: string, name: string): string[] {
  const lines = dockerfile.split('\n').filter((l) => l.startsWith(`${name} `));
  const last = lines.at(-1);
  assert.ok(last, `the Dockerfile has no ${name}`);
  return JSON.parse(last.slice(name.length + 1)) as string[];
}

describe('the release artefact: bundled lifeboat run, as installed by the rendered manifests', () => {
  let artefact: Artefact;
  let cp: ControlPlane;
  let admin: KubeClient;
  let sa: KubeClient;
  let scratch: string;
  let repository: KopiaTestRepository | undefined;
  let operator: Managed;
  let logFile: string;
  const ports = new Map<string, number>();
  const rendered = renderManifests(resolveValues(), { namespace: NAMESPACE, includeNamespace: true }).map(
    (r) => r.object,
  );
  const find = <T extends KubeObject>(kind: string): T => {
    const found = rendered.find((o) => o.kind === kind);
    assert.ok(found, `the manifests hold a ${kind}`);
    return found as T;
  };
  const deployment = find<Deployment>('Deployment');
  const container = deployment.spec.template.spec.containers[0] as Container;

  async function subjectCan(attributes: Record<string, string>): Promise<boolean> {
    const path = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    const review = await admin.http.request<{ status: { allowed?: boolean } }>('POST', path, {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: SA_USER, groups: SA_GROUPS, resourceAttributes: attributes },
      },
    });
    return review.status.allowed === true;
  }

  before(async () => {
    [artefact, cp] = await Promise.all([buildArtefact(), startControlPlane({ crds: 'kopia-fork' })]);
    scratch = await mkdtemp(join(tmpdir(), 'lifeboat-artefact-run-'));
    admin = new KubeClient(cp.kubeConfig, 'lifeboat-test');
    // The apps exist before lifeboat: with its webhooks registered (failurePolicy Fail) and no pod behind the
    // Service, labelled PVCs would be refused until lifeboat answers, as they should.
    await admin.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: APPS, annotations: { 'volsync.backube/privileged-movers': 'true' } },
    });
    for (const name of PVCS) await admin.apply(pvc(name));
    for (const port of container.ports) if (LISTENERS[port.name]) ports.set(port.name, await freePort());
    // The installation, as `kubectl apply -f <(lifeboat manifests)` makes it (no kubelet runs the Deployment). In a
    // cluster the API server reaches the webhook through the Service; here the same configurations point at the test
    // port, as --webhook-url tells lifeboat, so lifeboat's own registration agrees with the chart's objects.
    for (const object of rendered) {
      if (object.kind.endsWith('WebhookConfiguration')) {
        for (const webhook of (object as WebhookConfiguration).webhooks) {
          const { path } = webhook.clientConfig.service as { path: string };
          webhook.clientConfig = { url: `https://127.0.0.1:${ports.get('webhook')}${path}` };
        }
      }
      await admin.apply(object, { force: true });
    }
    // The repository: an empty kopia repository written by the real kopia, so every decision is an authoritative
    // "fresh" (a location without any repository would be repository-missing).
    repository = await createKopiaRepository({
      backend: { kind: 'filesystem' },
      password: SECRETS.KOPIA_PASSWORD ?? '',
    });
    await admin.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'lifeboat-repository', namespace: NAMESPACE },
      data: {
        ...Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [k, b64(v)])),
        KOPIA_REPOSITORY: b64(`filesystem://${repository.repoPath}`),
      },
    });

    // The pod's identity: the ServiceAccount's user name and groups, so RBAC grants exactly what it grants the pod.
    const saConfig = await cp.kubeconfigFor(SA_USER, SA_GROUPS);
    sa = new KubeClient(saConfig, 'lifeboat');
    const kubeconfig = join(scratch, 'kubeconfig');
    await writeFile(kubeconfig, saConfig.exportConfig(), { mode: 0o600 });
    const configFile = join(scratch, 'config.yaml');
    await writeFile(
      configFile,
      find<KubeObject & { data: Record<string, string> }>('ConfigMap').data['config.yaml'] ?? '',
    );

    const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const [program, ...entry] = dockerInstruction(dockerfile, 'ENTRYPOINT');
    assert.equal(program, 'node');
    const args: string[] = container.args.map((a) => (a === CONFIG_FILE ? configFile : a));
    for (const [name, local] of ports) {
      const listener = LISTENERS[name] as Listener;
      args.push(listener.flag, `127.0.0.1:${local}`, ...(listener.extraArgs?.(local) ?? []));
    }
    logFile = join(scratch, 'lifeboat.log');
    operator = startProcess(
      'lifeboat run (artefact)',
      process.execPath,
      [
        ...entry.map((e) => (e.startsWith('--') ? e : join(artefact.dir, e))),
        ...args,
        '--log-level',
        'debug',
        '--kubeconfig',
        kubeconfig,
      ],
      {
        cwd: artefact.dir,
        env: { ...IMAGE_ENV, PATH: process.env.PATH, HOME: scratch, POD_NAME: POD, POD_NAMESPACE: NAMESPACE },
        logFile,
      },
    );
    const http = ports.get('http');
    await waitUntil('the artefact serves /healthz', async () => (await fetch(`http://127.0.0.1:${http}/healthz`)).ok, {
      timeoutMs: 30_000,
      process: operator,
    });
  });

  after(async () => {
    await operator?.stop();
    admin?.close();
    sa?.close();
    await cp?.stop();
    await artefact?.remove();
    await repository?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('the bundle loads only runtime dependencies and Node built-ins (what `npm ci --omit=dev` installs)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // The S3 client's optional signers for multi-region access points, which lifeboat does not use: it requires them
    // inside try/catch and carries on without them, in the bundle as it did from node_modules.
    const optional = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules, ...optional]);
    const specifiers = new Set<string>();
    for (const file of walk(join(artefact.dir, 'dist')).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(file, 'utf8');
      // Minified: statements share lines, and createRequire is renamed.
      const patterns = [
        /\bfrom\s*['"]([.@\w][\w@./:-]*)['"]/g, // static import / re-export
        /\bimport\s*['"]([.@\w][\w@./:-]*)['"]/g, // side-effect import
        /\bimport\(\s*['"]([.@\w][\w@./:-]*)['"]\s*\)/g, // dynamic import
        /\brequire\(\s*['"]([.@\w][\w@./:-]*)['"]\s*\)/g, // require
        /\(import\.meta\.url\)\(\s*['"]([.@\w][\w@./:-]*)['"]/g, // createRequire(import.meta.url)('pkg')
      ];
      for (const pattern of patterns) {
        for (const m of text.matchAll(pattern)) {
          const spec = m[1] ?? '';
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          specifiers.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
        }
      }
    }
    // The one package left out of the bundle on purpose (scripts/build.ts): proof that the scan sees what is loaded.
    assert.ok(specifiers.has('@kubernetes/client-node'), `found the package imports: ${[...specifiers].join(', ')}`);
    for (const spec of specifiers)
      assert.ok(allowed.has(spec), `dist imports "${spec}", which is not a runtime dependency`);
  });

  it("the Dockerfile runs this: same build command, entrypoint in dist, CMD and Deployment args agree, non-root image, pod as the movers' uid", async () => {
    const dockerfile = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^RUN npm run build$/m);
    assert.equal(artefact.buildCommand, 'node scripts/build.ts');
    assert.match(dockerfile, /^RUN npm ci --omit=dev --ignore-scripts/m);
    const script = dockerInstruction(dockerfile, 'ENTRYPOINT')
      .slice(1)
      .find((e) => !e.startsWith('--'));
    assert.ok(script && statSync(join(artefact.dir, script)).isFile(), `ENTRYPOINT script ${script} is built`);
    const cmd = dockerInstruction(dockerfile, 'CMD');
    assert.deepEqual(cmd, ['run', '--config', CONFIG_FILE]);
    assert.deepEqual(container.args.slice(0, cmd.length), cmd, 'the Deployment runs what CMD runs');
    // The image's own user is distroless "nonroot"; the chart runs the pod as `podSecurityContext` says instead.
    assert.match(dockerfile, /^USER 65532:65532$/m);
    // The chart overrides the image's user with the movers' uid, so the catalog can read kopia's 0600 files.
    assert.equal(deployment.spec.template.spec.securityContext.runAsUser, DEFAULT_RUN_AS);
  });

  it('every port the Service routes to, and every probe of the Deployment, answers', async () => {
    const routed = find<Service>('Service').spec.ports.map((p) => p.targetPort);
    assert.ok(routed.length > 0);
    for (const name of routed) {
      const listener = LISTENERS[name];
      const port = ports.get(name);
      assert.ok(listener && port, `the Service routes to port "${name}", but nothing in this test can reach it`);
      const base = `${listener.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      for (const probe of listener.probes) {
        await waitUntil(
          `${name} ${probe.path} answers ${probe.status}`,
          async () => {
            const res = await get(`${base}${probe.path}`, listener.tls ?? false);
            return res.status === probe.status && (!probe.body || probe.body.test(res.body));
          },
          { timeoutMs: 30_000, process: operator },
        );
      }
    }
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      const { path, port } = probe.httpGet;
      assert.equal((await fetch(`http://127.0.0.1:${ports.get(port)}${path}`)).status, 200, `probe ${path}`);
    }
  });

  it('reconciles as the ServiceAccount with only the rendered RBAC: Secrets copied, restore points, Events, Lease', async () => {
    for (const pvc of PVCS) {
      const secret = await waitFor(`Secret of ${pvc}`, () =>
        admin.get<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: APPS,
          name: `${pvc}-volsync-secret`,
        }),
      );
      assert.equal(
        secret.data?.KOPIA_PASSWORD,
        b64(SECRETS.KOPIA_PASSWORD ?? ''),
        'the credentials went through lifeboat',
      );
      await waitFor(`ReplicationDestination of ${pvc}`, () =>
        admin.get({
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          namespace: APPS,
          name: `${pvc}-restore`,
        }),
      );
    }
    await waitFor('an Event on a PVC', async () => {
      const events = await admin.list<KubeObject & { regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', {
        namespace: APPS,
      });
      return events.find((e) => PVCS.includes(e.regarding?.name ?? '')) ?? undefined;
    });
    const lease = await admin.get<KubeObject & { spec: { holderIdentity?: string } }>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: NAMESPACE,
      name: LEASE_NAME,
    });
    assert.ok(lease?.spec.holderIdentity?.startsWith(`${POD}_`), `the Lease is held by ${POD}`);
    const errors = (await readFile(logFile, 'utf8')).split('\n').filter((l) => /forbidden/i.test(l));
    assert.deepEqual(errors, [], 'no request of the operator was forbidden');
  });

  it('the rendered RBAC allows what lifeboat does and refuses what it does not need', async () => {
    const allowed: Record<string, string>[] = [
      { verb: 'watch', resource: 'persistentvolumeclaims' },
      { verb: 'list', resource: 'namespaces' },
      { verb: 'patch', group: 'volsync.backube', resource: 'replicationdestinations', namespace: APPS },
      { verb: 'delete', group: 'volsync.backube', resource: 'replicationsources', namespace: APPS },
      { verb: 'list', resource: 'secrets', namespace: APPS },
      { verb: 'create', resource: 'secrets', namespace: APPS },
      { verb: 'patch', group: 'external-secrets.io', resource: 'externalsecrets', namespace: APPS },
      { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: APPS },
      {
        verb: 'get',
        group: 'apiextensions.k8s.io',
        resource: 'customresourcedefinitions',
        name: 'replicationsources.volsync.backube',
      },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: NAMESPACE, name: LEASE_NAME },
      { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: NAMESPACE },
      { verb: 'patch', resource: 'configmaps', namespace: NAMESPACE, name: GUARD_CONFIGMAP },
      {
        verb: 'patch',
        group: 'admissionregistration.k8s.io',
        resource: 'mutatingwebhookconfigurations',
        name: WEBHOOK_CONFIGURATION,
      },
      {
        verb: 'update',
        resource: 'secrets',
        namespace: NAMESPACE,
        name: DEFAULT_CONFIG.admission.certificate.secretName,
      },
      // Restore drills: the scratch PVC (created, and deleted at the end: the code deletes only PVCs it lists by the
      // drill label, with a uid precondition), the verification Job and its Pod's termination message.
      { verb: 'create', resource: 'persistentvolumeclaims', namespace: APPS },
      { verb: 'delete', resource: 'persistentvolumeclaims', namespace: APPS },
      { verb: 'create', group: 'batch', resource: 'jobs', namespace: APPS },
      { verb: 'list', resource: 'pods', namespace: APPS },
      // Standby evidence: when a standby's image VolumeSnapshot was made.
      { verb: 'get', group: 'snapshot.storage.k8s.io', resource: 'volumesnapshots', namespace: APPS },
    ];
    const refused: Record<string, string>[] = [
      { verb: 'update', resource: 'secrets', namespace: APPS, name: 'anything' },
      { verb: 'update', group: 'volsync.backube', resource: 'replicationsources', namespace: APPS },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: NAMESPACE, name: 'someone-else' },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: APPS, name: LEASE_NAME },
      { verb: 'patch', resource: 'configmaps', namespace: NAMESPACE, name: 'other' },
      { verb: 'create', resource: 'configmaps', namespace: APPS },
      {
        verb: 'get',
        group: 'apiextensions.k8s.io',
        resource: 'customresourcedefinitions',
        name: 'certificates.cert-manager.io',
      },
      { verb: 'update', resource: 'persistentvolumeclaims', namespace: APPS },
      { verb: 'deletecollection', resource: 'persistentvolumeclaims', namespace: APPS },
      { verb: 'get', resource: 'pods', subresource: 'log', namespace: APPS },
      { verb: 'delete', resource: 'pods', namespace: APPS },
      { verb: 'update', group: 'batch', resource: 'jobs', namespace: APPS },
      { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: APPS },
      { verb: 'patch', group: 'apps', resource: 'statefulsets', namespace: APPS },
      { verb: 'create', resource: 'events', namespace: APPS },
      { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
      { verb: 'get', resource: 'nodes' },
      { verb: 'list', group: 'snapshot.storage.k8s.io', resource: 'volumesnapshots', namespace: APPS },
      { verb: 'delete', group: 'snapshot.storage.k8s.io', resource: 'volumesnapshots', namespace: APPS },
      { verb: 'get', group: 'snapshot.storage.k8s.io', resource: 'volumesnapshotcontents' },
    ];
    for (const a of allowed) assert.equal(await subjectCan(a), true, `allowed: ${JSON.stringify(a)}`);
    for (const r of refused) assert.equal(await subjectCan(r), false, `refused: ${JSON.stringify(r)}`);

    // Server-side apply of an object that does not exist yet needs create as well as patch: the guard's record.
    const guard = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: GUARD_CONFIGMAP, namespace: NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'lifeboat' } },
      data: { state: 'not tripped' },
    };
    await sa.apply(guard, { force: true });
    await sa.apply(guard, { force: true });
  });

  it('admission round trip: the leader registered the webhooks as the ServiceAccount; the API server calls lifeboat', async () => {
    // The leader patched the chart's configurations (caBundle, and here the test URL): patch on named objects is all
    // the rendered RBAC allows it, and all it needs.
    const registered = await waitFor('the leader registered the webhook with its CA bundle', async () => {
      const live = await admin.get<KubeObject & { webhooks: { clientConfig: { caBundle?: string; url?: string } }[] }>({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        name: WEBHOOK_CONFIGURATION,
      });
      return live?.webhooks[0]?.clientConfig.caBundle && live.webhooks[0].clientConfig.url ? live : undefined;
    });
    assert.equal(registered.webhooks[0]?.clientConfig.url, `https://127.0.0.1:${ports.get('webhook')}/validate-pvc`);
    // Creating a labelled PVC goes through lifeboat (until the API server sees the registration, the chart's Service
    // endpoint, with no pod behind it, refuses: fail-closed).
    await waitFor('a labelled PVC admitted by lifeboat', async () => {
      try {
        return await admin.apply(pvc('roundtrip'));
      } catch {
        return undefined;
      }
    });
    const metrics = await (await fetch(`http://127.0.0.1:${ports.get('http')}/metrics`)).text();
    assert.match(
      metrics,
      /^lifeboat_admission_decisions_total\{webhook="validate",decision="fresh",cause="[a-z-]+"\} [1-9]/m,
    );
    assert.equal(
      await subjectCan({
        verb: 'create',
        group: 'admissionregistration.k8s.io',
        resource: 'validatingwebhookconfigurations',
      }),
      false,
      'lifeboat cannot create webhook configurations (an administrator who deletes them in an emergency wins)',
    );
    assert.equal(
      await subjectCan({
        verb: 'patch',
        group: 'admissionregistration.k8s.io',
        resource: 'mutatingwebhookconfigurations',
        name: 'kyverno',
      }),
      false,
    );
    assert.equal(
      await subjectCan({ verb: 'update', resource: 'secrets', namespace: NAMESPACE, name: 'lifeboat-repository' }),
      false,
    );
  });

  it('serves every registry metric its entry says it serves (lifeboat run and lifeboat serve-catalog)', async (t) => {
    const scraped: Record<Exporter, string> = {
      run: await (await fetch(`http://127.0.0.1:${ports.get('http')}/metrics`)).text(),
      'serve-catalog': await scrapeServeCatalog(),
    };
    for (const [exporter, text] of Object.entries(scraped) as [Exporter, string][]) {
      const exposition = parseExposition(text);
      const expected = EXPORTED.filter((m) => m.exportedBy.includes(exporter));
      for (const metric of expected) {
        assert.equal(
          exposition.types.get(metric.name),
          metric.type,
          `${exporter} serves ${metric.name} as a ${metric.type}`,
        );
        const seen = exposition.labels.get(metric.name) ?? new Set<string>();
        const extra = [...seen].filter((l) => !metric.labels.includes(l) && l !== 'le');
        assert.deepEqual(extra, [], `${metric.name} carries labels the registry does not list`);
      }
      t.diagnostic(`${exporter}: all ${expected.length} registry metrics it should serve are served`);
    }
  });

  it('reads a kopia repository on S3 with the AWS SDK as bundled (loaded on first use, from a chunk)', async () => {
    // The SDK is CommonJS and loaded lazily: a bundled import() of such a package once left its classes undefined
    // ("NodeHttpHandler is not a constructor"), and every S3 repository read as a backend error, so admission denied.
    const s3 = await startS3Server({ bucket: 'artefact' });
    const kopia = await createKopiaRepository({ backend: { kind: 's3', ...s3, prefix: 'kopia/' } });
    try {
      const data = await makeSourceDir(scratch, 's3-source', { 'db.sqlite': 'rows' });
      await kopia.snapshot({ source: 'app-backup@shop:/data', dir: data });
      const { stdout } = await runFile(
        process.execPath,
        [...IMAGE_NODE_FLAGS, join(artefact.dir, 'dist/lifeboat.js'), 'check', 'shop/app', '--backend', 'kopia'],
        {
          cwd: artefact.dir,
          env: {
            PATH: process.env.PATH,
            HOME: scratch,
            KOPIA_PASSWORD: kopia.password,
            KOPIA_REPOSITORY: `s3://${s3.bucket}/kopia/`,
            KOPIA_S3_ENDPOINT: new URL(s3.endpoint).host,
            KOPIA_S3_DISABLE_TLS: 'true',
            AWS_ACCESS_KEY_ID: s3.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
            AWS_REGION: s3.region,
          },
        },
      );
      const verdict = JSON.parse(stdout) as { decision: string; snapshots: unknown[] };
      assert.equal(verdict.decision, 'restore', stdout);
      assert.equal(verdict.snapshots.length, 1, stdout);
    } finally {
      await kopia.cleanup();
      await s3.stop();
    }
  });

  it("stays inside the chart's memory limit", (t) => {
    const status = readFileSync(`/proc/${operator.pid}/status`, 'utf8');
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
    const limit = memoryBytes(DEFAULT_RESOURCES.limits.memory);
    t.diagnostic(
      `peak RSS ${(peak / 1024 ** 2).toFixed(1)} MiB (a plain kubeconfig, read without @kubernetes/client-node as in a pod); limit ${DEFAULT_RESOURCES.limits.memory}`,
    );
    assert.ok(peak > 0 && peak < limit, `peak RSS ${peak} bytes within ${limit}`);
  });

  it('the secret scan would see a leak: a value base64-encoded inside a longer text, at any alignment', () => {
    const secret = SECRETS.KOPIA_PASSWORD ?? '';
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const leaked = `{"msg":"${b64(`{"KOPIA_PASSWORD":"${prefix}${secret}","x":1}`)}"}`;
      assert.ok(
        base64Needles(secret).some((needle) => leaked.includes(needle)),
        `found with prefix "${prefix}"`,
      );
    }
  });

  it('stops gracefully on SIGTERM; every log line is JSON and none carries a repository secret, plain or base64', async () => {
    await operator.stop(10_000);
    assert.equal(await operator.exited, 0, 'exit status 0 after SIGTERM');
    const logs = await readFile(logFile, 'utf8');
    const lines = logs.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 5, `a real session logged (${lines.length} lines)`);
    assert.ok(
      lines.some((l) => l.includes('"level":"debug"')),
      'debug lines included',
    );
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    for (const [key, value] of Object.entries(SECRETS)) {
      for (const needle of [value, b64(value), ...base64Needles(value)]) {
        assert.ok(!logs.includes(needle), `${key} appears in the logs as ${needle}`);
      }
    }
  });

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    let value: T | undefined;
    await waitUntil(
      what,
      async () => {
        value = await probe();
        return value !== undefined;
      },
      { timeoutMs: 30_000, process: operator },
    );
    return value as T;
  }

  async function scrapeServeCatalog(): Promise<string> {
    const port = await freePort();
    const repository = join(scratch, 'empty-repository');
    const catalog = startProcess(
      'lifeboat serve-catalog (artefact)',
      process.execPath,
      [
        join(artefact.dir, 'dist/lifeboat.js'),
        'serve-catalog',
        '--listen',
        `127.0.0.1:${port}`,
        '--backend',
        'kopia',
        '--repository',
        `filesystem://${repository}`,
      ],
      { cwd: artefact.dir, env: { PATH: process.env.PATH, HOME: scratch, KOPIA_PASSWORD: SECRETS.KOPIA_PASSWORD } },
    );
    try {
      let text = '';
      await waitUntil(
        'serve-catalog /metrics',
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          text = await res.text();
          return res.ok;
        },
        { timeoutMs: 20_000, process: catalog },
      );
      return text;
    } finally {
      await catalog.stop();
    }
  }
});
