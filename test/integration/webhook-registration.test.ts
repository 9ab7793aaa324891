/**
 * The leader's upkeep of the webhook configurations on the real kube-apiserver (src/admission/registrar.ts): created on
 * the first pass of a term (administrator's kubeconfig), repaired while they exist, never re-created after a deletion
 * by hand, and reported as missing (gauge, one warning) instead — also with the chart's RBAC, which grants no create.
 *
 * The configurations get a name of their own and a namespaceSelector no namespace matches, so the API server never
 * calls them and other test files sharing the control plane are unaffected.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createAuthority } from '../../src/admission/pki.ts';
import { WebhookRegistrar } from '../../src/admission/registrar.ts';
import { deleteWebhookConfigurations, type WebhookRegistrationOptions } from '../../src/admission/registration.ts';
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts';
import type { LifeboatConfig } from '../../src/config/types.ts';
import { RBAC_RULES } from '../../src/deploy/rbac.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { InClusterConfig } from '../../src/kube/incluster.ts';
import { sharedControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/memory-logger.ts';

const run = `${process.pid}`;
const NAME = `lifeboat-registrar-${run}`;
const NS = `registrar-${run}`;
const ADMISSION_API = 'admissionregistration.k8s.io/v1';
const KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] as const;

describe('webhook registration upkeep (leader)', () => {
  let kube: KubeClient;
  let kubeConfig: Awaited<ReturnType<typeof sharedControlPlane>>['kubeConfig'];
  let caBundlePem: string;
  let server: string;
  let caData: string;
  const cleanups: (() => Promise<void>)[] = [];

  const desired = (): WebhookRegistrationOptions => ({
    config: DEFAULT_CONFIG as LifeboatConfig,
    endpoint: { url: 'https://127.0.0.1:1' },
    caBundlePem,
    name: NAME,
    extraNamespaceSelector: [{ key: `registrar-test-${run}`, operator: 'In', values: ['never'] }],
  });

  const live = async (kind: (typeof KINDS)[number], client = kube) =>
    await client.get<KubeObject & { webhooks: { clientConfig: { caBundle: string } }[] }>({
      apiVersion: ADMISSION_API,
      kind,
      name: NAME,
    });

  const gauge = async (registry: Registry) =>
    (await registry.getSingleMetric('lifeboat_admission_webhooks_registered')?.get())?.values.map((v) => v.value);

  before(async () => {
    ({ kubeConfig } = await sharedControlPlane());
    kube = new KubeClient(kubeConfig, 'lifeboat-test');
    const cluster = kubeConfig.getCurrentCluster();
    assert.ok(cluster?.caData, 'the shared kubeconfig carries its CA');
    server = cluster.server;
    caData = cluster.caData;
    caBundlePem = (await createAuthority('registrar test CA', 3_600_000)).certPem;
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await deleteWebhookConfigurations(kube, NAME);
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    kube.close();
  });

  it('creates on the first pass, repairs while they exist, never re-creates a deleted one, and says so once', async () => {
    const registry = new Registry();
    const logger = memoryLogger();
    const registrar = new WebhookRegistrar({ kube, registry, logger, desired });
    registrar.begin();

    assert.equal(await registrar.pass(), 'registered');
    for (const kind of KINDS) assert.ok(await live(kind), `${kind} created on the first pass`);
    assert.deepEqual(await gauge(registry), [1]);

    // A hand edit (a wrong caBundle) is repaired by the next pass.
    const someoneElse = new KubeClient(kubeConfig, 'someone-else');
    await someoneElse.apply(
      {
        apiVersion: ADMISSION_API,
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: NAME },
        webhooks: [
          { name: 'validate.pvc.lifeboat.dev', clientConfig: { caBundle: Buffer.from('x').toString('base64') } },
        ],
      },
      { force: true },
    );
    someoneElse.close();
    assert.equal(await registrar.pass(), 'registered');
    const repaired = await live('ValidatingWebhookConfiguration');
    assert.equal(
      Buffer.from(repaired?.webhooks[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
      caBundlePem,
      'the caBundle is lifeboat’s again',
    );

    // The documented last resort: an administrator deletes the mutating configuration.
    await kube.delete({ apiVersion: ADMISSION_API, kind: 'MutatingWebhookConfiguration', name: NAME });
    assert.equal(await registrar.pass(), 'missing');
    assert.equal(await registrar.pass(), 'missing');
    assert.equal(await live('MutatingWebhookConfiguration'), undefined, 'lifeboat did not re-create it');
    assert.deepEqual(await gauge(registry), [0]);
    const warnings = logger.lines.filter((l) => l.startsWith('warn') && l.includes('were deleted'));
    assert.equal(warnings.length, 0, 'one configuration is missing, not two');
    const missing = logger.lines.filter(
      (l) => l.startsWith('warn') && l.includes(`MutatingWebhookConfiguration/${NAME}`),
    );
    assert.equal(missing.length, 1, `warned once: ${logger.lines.join('\n')}`);
    assert.match(missing[0] ?? '', /does not re-create .*Sync the Helm chart/);

    // The chart is synced again (here: a new leadership term of an administrator's run): back, and the gauge says so.
    registrar.begin();
    assert.equal(await registrar.pass(), 'registered');
    assert.ok(await live('MutatingWebhookConfiguration'));
    assert.deepEqual(await gauge(registry), [1]);

    registrar.end();
    assert.equal(await gauge(registry), undefined, 'a replica that stops leading drops the series');
  });

  it('with the chart’s RBAC (get and patch only) a missing configuration is reported, not created', async () => {
    const rule = RBAC_RULES.find((r) => r.resources.includes('mutatingwebhookconfigurations'));
    assert.ok(rule, 'the chart grants lifeboat a rule on webhook configurations');
    assert.ok(!rule.verbs.includes('create'), 'the chart grants no create on webhook configurations');
    await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'lifeboat', namespace: NS } });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: NAME },
      rules: [{ apiGroups: rule.apiGroups, resources: rule.resources, verbs: rule.verbs, resourceNames: [NAME] }],
    });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: 'lifeboat', namespace: NS }],
    });
    cleanups.push(async () => {
      await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: NAME });
      await kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: NAME });
    });
    const request = await kube.http.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${NS}/serviceaccounts/lifeboat/token`,
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } } },
    );
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-registrar-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'token'), request.status.token);
    await writeFile(join(dir, 'ca.crt'), Buffer.from(caData, 'base64'));
    await writeFile(join(dir, 'namespace'), NS);
    const { hostname, port } = new URL(server);
    const pod = new KubeClient(
      new InClusterConfig({ env: { KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port }, dir }),
    );
    cleanups.push(async () => pod.close());

    await deleteWebhookConfigurations(kube, NAME);
    const registry = new Registry();
    const logger = memoryLogger();
    const registrar = new WebhookRegistrar({ kube: pod, registry, logger, desired });
    registrar.begin();
    assert.equal(await registrar.pass(), 'missing');
    for (const kind of KINDS) assert.equal(await live(kind), undefined, `${kind} was not created`);
    assert.deepEqual(await gauge(registry), [0]);
    assert.ok(
      logger.lines.some((l) => l.includes('may not create webhook configurations') && l.includes('Helm chart')),
      logger.lines.join('\n'),
    );

    // The chart installs them (here: the administrator's apply); lifeboat, with its RBAC, keeps them current.
    const admin = new WebhookRegistrar({ kube, registry: new Registry(), logger: memoryLogger(), desired });
    admin.begin();
    assert.equal(await admin.pass(), 'registered');
    assert.equal(await registrar.pass(), 'registered');
    assert.deepEqual(await gauge(registry), [1]);
  });
});
