import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DRILL_LABEL } from '../config/keys.ts';
import { loadConfig } from '../config/load.ts';
import type { KubeObject } from '../kube/client.ts';
import { VERSION } from '../version.ts';
import { renderManifests } from './manifests.ts';
import { SYNC_WAVE_ANNOTATION } from './meta.ts';
import { DEFAULT_VALUES, resolveValues } from './values.ts';

const CHART = new URL('../../deploy/helm/lifeboat/', import.meta.url);
const NAMESPACE = 'backup-system';
const COMBINATIONS = readdirSync(new URL('ci/', CHART)).filter((f) => f.endsWith('-values.yaml'));

interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: {
    args: string[];
    env?: { valueFrom?: Record<string, unknown> }[];
    securityContext: Record<string, unknown>;
    readinessProbe: { httpGet: { port: string } };
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  }[];
  volumes: Record<string, unknown>[];
}
type Deployment = KubeObject & { spec: { replicas: number; template: { spec: PodSpec } } };
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Webhooks = KubeObject & { webhooks: Record<string, unknown>[] };
type PolicySpec = {
  failurePolicy: string;
  matchConditions: { name: string; expression: string }[];
  validations: { expression: string }[];
};

function render(file: string): { values: Record<string, unknown>; objects: KubeObject[] } {
  const values = (parse(readFileSync(new URL(`ci/${file}`, CHART), 'utf8')) ?? {}) as Record<string, unknown>;
  return { values, objects: renderManifests(resolveValues(values), { namespace: NAMESPACE }).map((r) => r.object) };
}

const ofKind = <T extends KubeObject>(objects: KubeObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as T[];

describe('chart values', () => {
  it('DEFAULT_VALUES equal deploy/helm/lifeboat/values.yaml', () => {
    assert.deepEqual(parse(readFileSync(new URL('values.yaml', CHART), 'utf8')), DEFAULT_VALUES);
  });

  it('Chart.yaml carries the package version as chart version and appVersion', () => {
    const chart = parse(readFileSync(new URL('Chart.yaml', CHART), 'utf8')) as { version: string; appVersion: string };
    assert.equal(chart.version, VERSION);
    assert.equal(chart.appVersion, VERSION);
  });

  it('refuses misspelt settings, wrong types, unknown enum values, removed defaults and impossible numbers', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ replicaCont: 2 }, /replicaCont: unknown setting/],
      [{ image: { tag: 1 } }, /image\.tag: expected a string, got a number/],
      [{ logLevel: 'verbose' }, /logLevel: must be one of debug, info, warn, error/],
      [{ image: null }, /image: missing/],
      [{ replicaCount: 0 }, /replicaCount: must be a whole number of at least 1/],
      [{ podDisruptionBudget: { minAvailable: -1 } }, /minAvailable: must be a whole number of at least 0/],
      [{ serviceMonitor: { enable: true } }, /serviceMonitor\.enable: unknown setting/],
    ];
    for (const [values, message] of cases) assert.throws(() => resolveValues(values), message);
  });

  it('free-form sections take anything; maps merge and later files win, like helm -f', () => {
    const values = resolveValues({ nodeSelector: { a: 'b' }, config: { minPvcAge: '1h' } }, { image: { tag: 'v2' } });
    assert.deepEqual(values.nodeSelector, { a: 'b' });
    assert.equal(values.image.tag, 'v2');
    assert.equal(values.image.repository, DEFAULT_VALUES.image.repository);
  });

  it('refuses an invalid lifeboat config at render time, with the loader’s message', () => {
    assert.throws(
      () =>
        renderManifests(resolveValues({ config: { tiers: { hourly: { trigger: {} } } } }), { namespace: NAMESPACE }),
      /tiers\.hourly\.trigger/,
    );
    assert.throws(
      () =>
        renderManifests(
          resolveValues({
            config: { credentials: { mode: 'external-secret', storeRef: { name: 's' }, extract: 'volsync' } },
          }),
          {
            namespace: NAMESPACE,
          },
        ),
      /catalog\.credentialsSecretRef is required in external-secret mode/,
    );
  });
});

describe('rendered manifests: the properties every documented combination keeps', () => {
  assert.ok(COMBINATIONS.length >= 7);
  for (const file of COMBINATIONS) {
    it(file, () => {
      const { values, objects } = render(file);
      const resolved = resolveValues(values);
      const [deployment] = ofKind<Deployment>(objects, 'Deployment');
      assert.ok(deployment);
      const pod = deployment.spec.template.spec;
      const [container] = pod.containers;
      assert.ok(container);

      // Non-root, read-only, no privileges; the user, group and supplemental groups as the values say.
      assert.deepEqual(pod.securityContext, resolved.podSecurityContext);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
      // No credentials at start-up: neither Secret volumes nor Secret environment
      // (docs/design.md#credentials-that-crash-the-process).
      assert.ok(!JSON.stringify(pod).includes('secretKeyRef') && pod.volumes.every((v) => !('secret' in v)));
      assert.equal(deployment.spec.replicas, resolved.replicaCount);

      // The config mounted is valid for lifeboat, in this namespace.
      const [configMap] = ofKind<KubeObject & { data: Record<string, string> }>(objects, 'ConfigMap');
      const config = loadConfig(configMap?.data['config.yaml'] ?? '', 'ConfigMap');
      assert.equal(config.namespace, NAMESPACE);

      // A budget only when there is more than one replica to keep.
      assert.equal(ofKind(objects, 'PodDisruptionBudget').length, resolved.replicaCount > 1 ? 1 : 0);

      // Least privilege: no wildcards, no Secret updates cluster-wide.
      for (const role of [
        ...ofKind<KubeObject & { rules: Rule[] }>(objects, 'ClusterRole'),
        ...ofKind<KubeObject & { rules: Rule[] }>(objects, 'Role'),
      ]) {
        for (const rule of role.rules) {
          for (const field of [rule.apiGroups, rule.resources, rule.verbs])
            assert.ok(!field.includes('*'), JSON.stringify(rule));
          if (role.kind === 'ClusterRole' && rule.resources.includes('secrets')) {
            assert.ok(!rule.verbs.includes('update'), 'no cluster-wide Secret update');
          }
        }
      }
      for (const role of ofKind(objects, 'Role')) assert.equal(role.metadata.namespace, NAMESPACE);

      // No Prometheus Operator kinds unless asked for (docs/design.md#dependencies-on-optional-crds).
      const monitoring = objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'));
      assert.equal(
        monitoring.length,
        Number(resolved.serviceMonitor.enabled) + Number(resolved.prometheusRule.enabled),
      );

      // Webhooks exactly when lifeboat serves them; scoped as docs/design.md#webhook-outage demands; registered last.
      const webhooks = objects.filter((o) => o.kind.endsWith('WebhookConfiguration')) as Webhooks[];
      assert.equal(webhooks.length, config.admission.enabled ? 2 : 0);
      assert.equal(container.args.includes('--webhook-listen'), config.admission.enabled);
      for (const configuration of webhooks) {
        for (const w of configuration.webhooks) {
          assert.deepEqual(
            (w.rules as { operations: string[] }[]).map((r) => r.operations),
            [['CREATE']],
          );
          assert.ok((w.timeoutSeconds as number) <= 5);
          assert.equal(w.sideEffects, 'None');
          const excluded = (w.namespaceSelector as { matchExpressions: { values: string[] }[] }).matchExpressions[0]
            ?.values;
          assert.ok(excluded?.includes('kube-system') && excluded.includes(NAMESPACE));
        }
        if (resolved.argocd.enabled) {
          const waves = objects.map((o) => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION]));
          assert.ok(Number(configuration.metadata.annotations?.[SYNC_WAVE_ANNOTATION]) === Math.max(...waves));
        }
      }
      if (!resolved.argocd.enabled) assert.ok(objects.every((o) => !o.metadata.annotations?.[SYNC_WAVE_ANNOTATION]));

      // PVC delete is granted for restore drills; the policy limits it to drill-labelled claims, for exactly the
      // ServiceAccount the ClusterRoleBinding names (docs/design.md#pvc-deletion-policy).
      const [binding] = ofKind<KubeObject & { subjects: { name: string; namespace: string }[] }>(
        objects,
        'ClusterRoleBinding',
      );
      const subject = binding?.subjects[0];
      const [policy] = ofKind<KubeObject & { spec: PolicySpec }>(objects, 'ValidatingAdmissionPolicy');
      const [policyBinding] = ofKind<KubeObject & { spec: { policyName: string; validationActions: string[] } }>(
        objects,
        'ValidatingAdmissionPolicyBinding',
      );
      assert.ok(policy && policyBinding && subject);
      assert.equal(policy.spec.failurePolicy, 'Fail');
      assert.deepEqual(policy.spec.matchConditions, [
        {
          name: 'lifeboat-service-account',
          expression: `request.userInfo.username == 'system:serviceaccount:${subject.namespace}:${subject.name}'`,
        },
      ]);
      assert.ok(policy.spec.validations.every((v) => v.expression.includes(`'${DRILL_LABEL}'`)));
      assert.deepEqual(policyBinding.spec, { policyName: policy.metadata.name, validationActions: ['Deny'] });
      const order = objects.map((o) => o.kind);
      assert.ok(order.indexOf('ValidatingAdmissionPolicy') > order.indexOf('ClusterRoleBinding'));

      // An NFS repository is mounted read-only where the catalog reads it.
      const nfs = config.repository.nfs;
      const mount = container.volumeMounts.find((m) => m.name === 'repository');
      assert.deepEqual(
        mount,
        nfs ? { name: 'repository', mountPath: `/mnt/${nfs.mountPath}`, readOnly: true } : undefined,
      );
    });
  }
});

describe('PVC deletion policy names', () => {
  it('follow the release, fullnameOverride and serviceAccount.name the RBAC uses', () => {
    const cases: [Record<string, unknown>, string, string, string][] = [
      [{}, 'lifeboat', 'lifeboat-pvc-deletion', 'system:serviceaccount:backup-system:lifeboat'],
      [{}, 'vault', 'vault-lifeboat-pvc-deletion', 'system:serviceaccount:backup-system:vault-lifeboat'],
      [{ fullnameOverride: 'keeper' }, 'lifeboat', 'keeper-pvc-deletion', 'system:serviceaccount:backup-system:keeper'],
      [
        { serviceAccount: { create: false, name: 'existing-sa' } },
        'lifeboat',
        'lifeboat-pvc-deletion',
        'system:serviceaccount:backup-system:existing-sa',
      ],
    ];
    for (const [values, release, name, user] of cases) {
      const objects = renderManifests(resolveValues(values), { namespace: NAMESPACE, release }).map((r) => r.object);
      const [policy] = ofKind<KubeObject & { spec: PolicySpec }>(objects, 'ValidatingAdmissionPolicy');
      assert.equal(policy?.metadata.name, name);
      assert.equal(policy?.spec.matchConditions[0]?.expression, `request.userInfo.username == '${user}'`);
      assert.equal(ofKind(objects, 'ValidatingAdmissionPolicyBinding')[0]?.metadata.name, name);
    }
  });
});
