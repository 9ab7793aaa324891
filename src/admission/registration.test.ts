import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { createAuthority } from './pki.ts';
import { webhookConfigurations } from './registration.ts';

const config = DEFAULT_CONFIG as LifeboatConfig;

type Webhook = Record<string, unknown> & {
  clientConfig: Record<string, unknown>;
  namespaceSelector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
};

function only(obj: Record<string, unknown>): Webhook {
  const list = obj.webhooks as Webhook[];
  assert.equal(list.length, 1);
  return list[0] as Webhook;
}

describe('webhookConfigurations', () => {
  let caPem: string;
  before(async () => {
    caPem = (await createAuthority('ca', 60_000)).certPem;
  });

  it('matches only PVC CREATE of labelled PVCs outside system and break-glass namespaces, fail-closed', () => {
    const { mutating, validating } = webhookConfigurations({
      config,
      endpoint: { service: { namespace: 'lifeboat-system', name: 'lifeboat' } },
      caBundlePem: caPem,
    });
    assert.equal(mutating.kind, 'MutatingWebhookConfiguration');
    assert.equal(validating.kind, 'ValidatingWebhookConfiguration');
    assert.equal(mutating.metadata.name, 'lifeboat');
    assert.equal(mutating.metadata.labels?.['app.kubernetes.io/managed-by'], 'lifeboat');
    const m = only(mutating);
    const v = only(validating);
    for (const hook of [m, v]) {
      assert.deepEqual(hook.rules, [
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['persistentvolumeclaims'],
          operations: ['CREATE'],
          scope: 'Namespaced',
        },
      ]);
      assert.equal(hook.matchPolicy, 'Equivalent');
      assert.deepEqual(hook.objectSelector, { matchExpressions: [{ key: 'backup', operator: 'Exists' }] });
      const [names, breakGlass] = hook.namespaceSelector.matchExpressions;
      assert.equal(names?.key, 'kubernetes.io/metadata.name');
      assert.equal(names?.operator, 'NotIn');
      for (const ns of ['kube-system', 'lifeboat-system', 'longhorn-system', 'argocd', 'cert-manager']) {
        assert.ok(names?.values?.includes(ns), ns);
      }
      assert.deepEqual(breakGlass, { key: 'lifeboat.dev/break-glass', operator: 'NotIn', values: ['true'] });
      assert.equal(hook.sideEffects, 'None');
      assert.deepEqual(hook.admissionReviewVersions, ['v1']);
      assert.equal(hook.failurePolicy, 'Fail');
      assert.equal(hook.timeoutSeconds, 5);
      assert.equal(Buffer.from(hook.clientConfig.caBundle as string, 'base64').toString('utf8'), caPem);
    }
    assert.equal(m.reinvocationPolicy, 'IfNeeded');
    assert.equal(v.reinvocationPolicy, undefined);
    assert.deepEqual(m.clientConfig.service, {
      namespace: 'lifeboat-system',
      name: 'lifeboat',
      path: '/mutate-pvc',
      port: 443,
    });
    assert.equal((v.clientConfig.service as { path: string }).path, '/validate-pvc');
    assert.notEqual(m.name, v.name);
  });

  it('uses the configured backup label, extra selectors, URLs, permissive mode and timeouts', () => {
    const { mutating, validating } = webhookConfigurations({
      config: { ...config, keys: { ...config.keys, backupLabel: 'example.com/backup' } },
      endpoint: { url: 'https://127.0.0.1:9443/ignored' },
      caBundlePem: caPem,
      name: 'lifeboat-test',
      permissive: true,
      mutateTimeoutSeconds: 3,
      validateTimeoutSeconds: 2,
      extraNamespaceSelector: [{ key: 'team', operator: 'In', values: ['a'] }],
    });
    const m = only(mutating);
    const v = only(validating);
    assert.equal(mutating.metadata.name, 'lifeboat-test');
    assert.deepEqual(m.objectSelector, { matchExpressions: [{ key: 'example.com/backup', operator: 'Exists' }] });
    assert.equal(m.clientConfig.url, 'https://127.0.0.1:9443/mutate-pvc');
    assert.equal(v.clientConfig.url, 'https://127.0.0.1:9443/validate-pvc');
    assert.equal(m.failurePolicy, 'Ignore');
    assert.equal(v.failurePolicy, 'Ignore');
    assert.equal(m.timeoutSeconds, 3);
    assert.equal(v.timeoutSeconds, 2);
    assert.deepEqual(m.namespaceSelector.matchExpressions[2], { key: 'team', operator: 'In', values: ['a'] });
  });

  it('refuses timeouts outside 1–5 s, plain http, and an empty CA bundle', () => {
    const base = { config, endpoint: { url: 'https://127.0.0.1:1' }, caBundlePem: caPem };
    assert.throws(() => webhookConfigurations({ ...base, mutateTimeoutSeconds: 10 }), /from 1 to 5/);
    assert.throws(() => webhookConfigurations({ ...base, validateTimeoutSeconds: 0 }), /from 1 to 5/);
    assert.throws(() => webhookConfigurations({ ...base, validateTimeoutSeconds: 2.5 }), /whole number/);
    assert.throws(() => webhookConfigurations({ ...base, endpoint: { url: 'http://127.0.0.1:1' } }), /must use https/);
    assert.throws(() => webhookConfigurations({ ...base, caBundlePem: '' }), /no PEM certificate/);
  });
});
