import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthority } from '../admission/pki.ts';
import { webhookConfigurations as registration } from '../admission/registration.ts';
import type { KubeObject } from '../kube/client.ts';
import { loadInstalledConfig } from './config-map.ts';
import { renderManifests } from './manifests.ts';
import { resolveValues } from './values.ts';

const NAMESPACE = 'lifeboat-system';

/** What the chart adds that `lifeboat run` does not state: its labels, sync wave and cert-manager annotation. */
function withoutChartMetadata(o: KubeObject): unknown {
  const copy = structuredClone(o);
  copy.metadata = { name: copy.metadata.name, labels: { 'app.kubernetes.io/managed-by': 'lifeboat' } };
  return copy;
}

function stripCaBundle(o: KubeObject): KubeObject {
  const copy = structuredClone(o) as KubeObject & { webhooks: { clientConfig: Record<string, unknown> }[] };
  for (const w of copy.webhooks) delete w.clientConfig.caBundle;
  return copy;
}

describe('webhook configurations: the chart renders what lifeboat run registers, minus the caBundle', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['defaults', {}],
    [
      'custom label, exclusions, failure policy, timeout and Service',
      {
        config: {
          keys: { backupLabel: 'backup.example.com/tier' },
          namespaces: { excluded: ['argocd', 'monitoring'] },
          admission: { failurePolicy: 'Ignore', timeoutSeconds: 2, service: { name: 'lifeboat-webhook', port: 8443 } },
        },
      },
    ],
  ];
  for (const [name, overrides] of cases) {
    it(name, async () => {
      const values = resolveValues(overrides);
      const rendered = renderManifests(values, { namespace: NAMESPACE })
        .map((r) => r.object)
        .filter((o) => o.kind.endsWith('WebhookConfiguration'));
      const config = loadInstalledConfig({ values, namespace: NAMESPACE, release: 'lifeboat' });
      const ca = await createAuthority('test', 3_600_000);
      const expected = registration({
        config,
        endpoint: {
          service: { namespace: NAMESPACE, name: config.admission.service.name, port: config.admission.service.port },
        },
        caBundlePem: ca.certPem,
        permissive: config.admission.failurePolicy === 'Ignore',
        mutateTimeoutSeconds: config.admission.timeoutSeconds,
        validateTimeoutSeconds: config.admission.timeoutSeconds,
      });
      assert.deepEqual(
        rendered.map(withoutChartMetadata),
        [expected.mutating, expected.validating].map(stripCaBundle).map(withoutChartMetadata),
      );
    });
  }

  it('cert-manager mode: the CA injector is pointed at the serving Certificate, which covers the Service', () => {
    const values = resolveValues({ config: { admission: { certificate: { mode: 'cert-manager' } } } });
    const objects = renderManifests(values, { namespace: NAMESPACE }).map((r) => r.object);
    const serving = objects.find((o) => o.kind === 'Certificate' && o.metadata.name === 'lifeboat-webhook') as
      | (KubeObject & { spec: { dnsNames: string[]; secretName: string } })
      | undefined;
    assert.deepEqual(serving?.spec.dnsNames, [
      'lifeboat.lifeboat-system.svc',
      'lifeboat.lifeboat-system.svc.cluster.local',
    ]);
    assert.equal(serving?.spec.secretName, 'lifeboat-webhook-tls');
    for (const o of objects.filter((x) => x.kind.endsWith('WebhookConfiguration'))) {
      assert.equal(o.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'lifeboat-system/lifeboat-webhook');
    }
  });
});
