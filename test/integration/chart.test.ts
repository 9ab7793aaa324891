/**
 * The Helm chart against the real helm binary and a real API server: for every documented values combination
 * (deploy/helm/lifeboat/ci/*-values.yaml), `helm template` prints exactly the objects `lifeboat manifests` prints
 * (the chart is tested against the TypeScript generator), and the API server accepts every one of them in a
 * server-side-apply dry run with strict field validation (a misspelt or unknown field is an error, not a warning).
 *
 * The VolSync, snapshot and external-secrets CRDs come from ../shared/crds through the harness; the Prometheus
 * Operator and cert-manager kinds from minimal CRDs written for these tests (test/support/optional-crds.ts).
 * Own control plane: the optional CRDs are cluster-wide state other test files do not expect.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { renderManifests } from '../../src/deploy/manifests.ts';
import { resolveValues } from '../../src/deploy/values.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { VERSION } from '../../src/version.ts';
import { type ControlPlane, installCrds, startControlPlane } from '../support/controlplane.ts';
import { OPTIONAL_CRDS } from '../support/optional-crds.ts';
import { binary, REPO_ROOT } from '../support/testenv.ts';

const run = promisify(execFile);
const CHART = join(REPO_ROOT, 'deploy', 'helm', 'lifeboat');
const CI = join(CHART, 'ci');
const NAMESPACE = 'lifeboat-system';
/** Every documented values combination: the files chart-testing would also use. */
const COMBINATIONS = readdirSync(CI)
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();

async function helmTemplate(release: string, args: string[]): Promise<KubeObject[]> {
  const { stdout } = await run(binary('helm'), ['template', release, CHART, '--namespace', NAMESPACE, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

const key = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

const MANAGED_BY = 'app.kubernetes.io/managed-by';

/**
 * What may differ: Helm's own two labels (asserted on Helm's objects, absent from plain manifests), and the config
 * text's formatting (its parsed value must be equal).
 */
function normalise(o: KubeObject, fromHelm: boolean): unknown {
  const copy = structuredClone(o) as KubeObject & { data?: Record<string, string> };
  const labels = copy.metadata.labels ?? {};
  if (fromHelm) {
    assert.equal(labels['helm.sh/chart'], `lifeboat-${VERSION}`, `${key(o)}: helm.sh/chart`);
    delete labels['helm.sh/chart'];
    // The webhook configurations keep lifeboat's own value: the leader applies their caBundle with that label.
    if (!o.kind.endsWith('WebhookConfiguration')) {
      assert.equal(labels[MANAGED_BY], 'Helm', `${key(o)}: ${MANAGED_BY}`);
      delete labels[MANAGED_BY];
    }
  }
  if (copy.kind === 'ConfigMap' && copy.data?.['config.yaml']) {
    copy.data['config.yaml'] = parse(copy.data['config.yaml']) as string;
  }
  return JSON.parse(JSON.stringify(copy));
}

function assertSameObjects(helm: KubeObject[], ours: KubeObject[], what: string): void {
  assert.deepEqual(helm.map(key).sort(), ours.map(key).sort(), `${what}: the same set of objects`);
  const byKey = new Map(helm.map((o) => [key(o), o]));
  for (const object of ours) {
    assert.deepEqual(
      normalise(byKey.get(key(object)) as KubeObject, true),
      normalise(object, false),
      `${what}: ${key(object)}`,
    );
  }
}

/** Whether the webhook configuration appears within 20 s. */
async function waitForWebhookConfiguration(kube: KubeClient): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const found = await kube.http
      .request('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/lifeboat')
      .then(
        () => true,
        () => false,
      );
    if (found) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function dryRun(kube: KubeClient, object: KubeObject): Promise<void> {
  const { apiVersion, kind, metadata } = object;
  const path = await kube.resources.objectPath(apiVersion, kind, metadata.name, metadata.namespace);
  await kube.http.request('PATCH', path, {
    query: { fieldManager: 'lifeboat-chart-test', force: true, dryRun: 'All', fieldValidation: 'Strict' },
    contentType: 'application/apply-patch+yaml',
    body: object,
  });
}

describe('Helm chart: helm template = lifeboat manifests, accepted by the API server', () => {
  let cp: ControlPlane;
  let kube: KubeClient;
  let scratch: string;

  before(async () => {
    cp = await startControlPlane({ crds: 'kopia-fork' });
    scratch = await mkdtemp(join(tmpdir(), 'lifeboat-chart-'));
    const files: string[] = [];
    for (const [i, crd] of OPTIONAL_CRDS.entries()) {
      const file = join(scratch, `crd-${i}.yaml`);
      await writeFile(file, stringify(crd));
      files.push(file);
    }
    await installCrds(cp.kubeConfig, files);
    kube = new KubeClient(cp.kubeConfig, 'lifeboat-chart-test');
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  });

  /** helm against this test's API server, with its caches in the scratch directory. */
  const helmEnv = () => ({
    ...process.env,
    KUBECONFIG: cp.kubeconfigPath,
    HELM_CACHE_HOME: scratch,
    HELM_CONFIG_HOME: scratch,
    HELM_DATA_HOME: scratch,
  });

  after(async () => {
    kube?.close();
    await cp?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('documents its combinations: every ci/ values file is named in docs/install.md', async () => {
    assert.ok(COMBINATIONS.length >= 7);
    const docs = await readFile(join(REPO_ROOT, 'docs', 'install.md'), 'utf8');
    for (const file of await readdir(CI))
      assert.ok(docs.includes(`ci/${file}`), `docs/install.md does not name ci/${file}`);
  });

  for (const file of COMBINATIONS) {
    it(`ci/${file}`, async () => {
      const values = (parse(await readFile(join(CI, file), 'utf8')) ?? {}) as Record<string, unknown>;
      const helm = await helmTemplate('lifeboat', ['--values', join(CI, file)]);
      const ours = renderManifests(resolveValues(values), { namespace: NAMESPACE }).map((r) => r.object);
      assertSameObjects(helm, ours, file);
      for (const object of helm) {
        await dryRun(kube, object).catch((error: Error) => assert.fail(`${key(object)} refused: ${error.message}`));
      }
    });
  }

  it('the dry run can fail: a misspelt field in a core kind and in an optional kind is refused', async () => {
    const [object] = renderManifests(resolveValues({ serviceMonitor: { enabled: true } }), { namespace: NAMESPACE })
      .map((r) => r.object)
      .filter((o) => o.kind === 'ServiceMonitor');
    assert.ok(object);
    const misspelt = structuredClone(object) as KubeObject & { spec: Record<string, unknown> };
    misspelt.spec.jobLabels = misspelt.spec.jobLabel;
    await assert.rejects(dryRun(kube, misspelt), /\.spec\.jobLabels: field not declared in schema/);
    const [deployment] = renderManifests(resolveValues(), { namespace: NAMESPACE })
      .map((r) => r.object)
      .filter((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    const text = JSON.stringify(deployment).replace('"readOnlyRootFilesystem"', '"readOnlyRootFileSystem"');
    await assert.rejects(
      dryRun(kube, JSON.parse(text) as KubeObject),
      /\.readOnlyRootFileSystem: field not declared in schema/,
    );
  });

  it('names derive from the release as in other charts; nameOverride and fullnameOverride', async () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['platform-backup', {}, 'platform-backup-lifeboat', 'lifeboat'],
      ['lifeboat-prod', {}, 'lifeboat-prod', 'lifeboat'],
      ['backup', { nameOverride: 'boat' }, 'backup-boat', 'boat'],
      ['backup', { fullnameOverride: 'pvc-guard' }, 'pvc-guard', 'lifeboat'],
    ];
    for (const [release, values, fullname, name] of cases) {
      const file = join(scratch, `names-${release}.yaml`);
      await writeFile(file, stringify(values));
      const helm = await helmTemplate(release, ['--values', file]);
      const ours = renderManifests(resolveValues(values), { namespace: NAMESPACE, release }).map((r) => r.object);
      assertSameObjects(helm, ours, `release ${release}`);
      assert.ok(helm.every((o) => o.metadata.labels?.['app.kubernetes.io/instance'] === release));
      assert.ok(helm.every((o) => o.metadata.labels?.['app.kubernetes.io/name'] === name));
      const named = (kind: string) => helm.filter((o) => o.kind === kind).map((o) => o.metadata.name);
      for (const kind of ['ServiceAccount', 'Deployment', 'Service', 'ClusterRole', 'Role', 'RoleBinding'])
        assert.deepEqual(named(kind), [fullname], kind);
      assert.deepEqual(named('ConfigMap'), [`${fullname}-config`]);
      // What the binary looks up by name stays fixed: one lifeboat per cluster.
      assert.deepEqual(named('MutatingWebhookConfiguration'), ['lifeboat']);
      const [configMap] = helm.filter((o) => o.kind === 'ConfigMap') as (KubeObject & {
        data: Record<string, string>;
      })[];
      const config = parse(configMap?.data['config.yaml'] ?? '') as { admission: { service: { name: string } } };
      assert.equal(config.admission.service.name, fullname, 'lifeboat run certifies the Service the chart creates');
    }
  });

  it('helm refuses a misspelt config key or choice with the loader’s own message, "did you mean" included', async () => {
    const cases: Record<string, unknown>[] = [
      { tirs: { hourly: { trigger: { schedule: 'H * * * *' } } } },
      { admission: { failurePolicy: 'Fail', certifcate: { mode: 'cert-manager' } } },
      { tiers: { nightly: { trigger: { schedul: 'H 3 * * *' }, retain: { daily: 7 } } } },
      {
        credentials: {
          mode: 'external-secret',
          storeRef: { name: 's' },
          data: { KOPIA_PASSWORD: { key: 'k', propety: 'p' } },
        },
        catalog: { credentialsSecretRef: { namespace: NAMESPACE, name: 'catalog' } },
      },
      { repository: { backend: 'kopai' } },
      { repository: { backend: 'borg' } },
      { catalog: { credentialSecret: 'x' } },
      { 'storage.example.com/x': true },
    ];
    for (const config of cases) {
      const file = join(scratch, 'typo.yaml');
      await writeFile(file, stringify({ config }));
      let expected = '';
      assert.throws(
        () => renderManifests(resolveValues({ config }), { namespace: NAMESPACE }),
        (error: Error) => {
          expected = error.message;
          return /1 problem\n {2}- .*(did you mean|known settings here|use one of)/.test(expected);
        },
        JSON.stringify(config),
      );
      await assert.rejects(helmTemplate('lifeboat', ['--values', file]), (error: Error & { stderr?: string }) => {
        assert.ok((error.stderr ?? '').includes(expected), `helm: ${error.stderr}\nlifeboat manifests: ${expected}`);
        return true;
      });
    }
  });

  it('NOTES.txt says how to check readiness and how break-glass works, with full links', async () => {
    const { stdout } = await run(
      binary('helm'),
      ['install', 'lifeboat', CHART, '--namespace', NAMESPACE, '--dry-run=client'],
      { env: helmEnv() },
    );
    const notes = stdout.slice(stdout.indexOf('NOTES:'));
    assert.match(notes, /rollout status deployment\/lifeboat/);
    assert.match(notes, /kubectl label namespace <ns> lifeboat\.dev\/break-glass=true/);
    const links = notes.match(/https:\/\/\S+/g) ?? [];
    assert.ok(links.length >= 4, notes);
    for (const link of links) {
      assert.match(link, new RegExp(`^https://github\\.com/lifeboat-dev/lifeboat/blob/v${VERSION}/docs/[a-z-]+\\.md`));
      const file = link.replace(/^.*\/blob\/v[^/]+\//, '').replace(/#.*$/, '');
      const doc = await readFile(join(REPO_ROOT, file), 'utf8');
      const anchor = link.split('#')[1];
      if (anchor) {
        // GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes.
        const slugs = [...doc.matchAll(/^#+ (.+)$/gm)].map((m) =>
          (m[1] ?? '')
            .toLowerCase()
            .replace(/[^\w\- ]/g, '')
            .replaceAll(' ', '-'),
        );
        assert.ok(slugs.includes(anchor), `${link}: no such heading in ${file}`);
      }
    }
    assert.doesNotMatch(notes, /(^|\s)docs\//m, 'no repository-relative paths');
  });

  it('helm install --atomic --wait removes the fail-closed webhooks again when lifeboat’s pods cannot start', async () => {
    // This API server has no nodes: the Deployment never becomes ready, as with a missing image or a crashing pod.
    const env = helmEnv();
    const install = run(
      binary('helm'),
      ['install', 'lifeboat', CHART, '--namespace', NAMESPACE, '--atomic', '--wait', '--timeout', '20s'],
      { env },
    );
    const registered = waitForWebhookConfiguration(kube);
    await assert.rejects(install, (error: Error & { stderr?: string }) => {
      assert.match(error.stderr ?? '', /release lifeboat failed, and has been uninstalled due to atomic/);
      return true;
    });
    assert.equal(await registered, true, 'the webhooks were registered while the install waited');
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      await assert.rejects(
        kube.http.request('GET', `/apis/admissionregistration.k8s.io/v1/${kind}/lifeboat`),
        /404|not found/i,
        `${kind}/lifeboat is gone`,
      );
    }
  });

  it('helm refuses what lifeboat manifests refuses: a misspelt setting, no replicas, a foreign namespace, wrong types, no ServiceAccount, a catalog without credentials', async () => {
    const noCredentials = [
      '--set',
      'config.credentials.mode=external-secret,config.credentials.storeRef.name=s,config.credentials.extract=k',
    ];
    const cases: [string[], Record<string, unknown>, RegExp][] = [
      [['--set', 'serviceMonitor.enable=true'], { serviceMonitor: { enable: true } }, /enable/],
      [['--set', 'replicaCount=0'], { replicaCount: 0 }, /replicaCount/],
      [
        ['--set', 'config.namespace=elsewhere'],
        { config: { namespace: 'elsewhere' } },
        /config\.namespace is "elsewhere" but lifeboat is installed into "lifeboat-system"/,
      ],
      // Wrong types and limits in config: the schema generated from the loader refuses them before rendering.
      [['--set-json', 'config={"minPvcAge":5}'], { config: { minPvcAge: 5 } }, /minPvcAge/],
      [
        ['--set', 'config.admission.timeoutSeconds=9'],
        { config: { admission: { timeoutSeconds: 9 } } },
        /timeoutSeconds/,
      ],
      [['--set', 'podSecurityContext.runAsUser=-1'], { podSecurityContext: { runAsUser: -1 } }, /runAsUser/],
      [['--set', 'serviceAccount.create=false'], { serviceAccount: { create: false } }, /serviceAccount\.name/],
      [
        noCredentials,
        { config: { credentials: { mode: 'external-secret', storeRef: { name: 's' }, extract: 'k' } } },
        /catalog\.credentialsSecretRef is required in external-secret mode/,
      ],
    ];
    for (const [args, values, message] of cases) {
      await assert.rejects(helmTemplate('lifeboat', args), (error: Error & { stderr?: string }) => {
        assert.match(error.stderr ?? error.message, message);
        return true;
      });
      assert.throws(() => renderManifests(resolveValues(values), { namespace: NAMESPACE }), message);
    }
  });
});
