import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './issues.ts';
import { loadConfig } from './load.ts';

describe('config: catalog and admission sections', () => {
  it('defaults to a fail-closed webhook with lifeboat-managed certificates', () => {
    const c = loadConfig('');
    assert.deepEqual(c.admission, {
      enabled: true,
      failurePolicy: 'Fail',
      breakGlass: false,
      timeoutSeconds: 5,
      service: { name: 'lifeboat', port: 443 },
      certificate: { mode: 'self-signed', secretName: 'lifeboat-webhook-tls' },
    });
    assert.equal(c.catalog.location, undefined);
    assert.equal(c.catalog.credentialsSecretRef, undefined);
  });

  it('reads every admission and catalog setting', () => {
    const c = loadConfig(`
catalog:
  location: filesystem:///repository
  credentialsSecretRef: { namespace: lifeboat-system, name: repo-creds }
admission:
  failurePolicy: Ignore
  breakGlass: true
  timeoutSeconds: 3
  service: { name: lb, port: 8443 }
  certificate: { mode: cert-manager, secretName: lb-tls }
`);
    assert.equal(c.catalog.location, 'filesystem:///repository');
    assert.deepEqual(c.catalog.credentialsSecretRef, { namespace: 'lifeboat-system', name: 'repo-creds' });
    assert.equal(c.admission.failurePolicy, 'Ignore');
    assert.equal(c.admission.breakGlass, true);
    assert.equal(c.admission.timeoutSeconds, 3);
    assert.deepEqual(c.admission.service, { name: 'lb', port: 8443 });
    assert.deepEqual(c.admission.certificate, { mode: 'cert-manager', secretName: 'lb-tls' });
  });

  const bad: [string, string, RegExp][] = [
    ['unknown failure policy', 'admission: { failurePolicy: Open }', /admission\.failurePolicy: is "Open".*use Fail/],
    ['timeout above the API server limit', 'admission: { timeoutSeconds: 10 }', /admission\.timeoutSeconds/],
    ['unknown certificate mode', 'admission: { certificate: { mode: acme } }', /admission\.certificate\.mode/],
    ['half a Secret reference', 'catalog: { credentialsSecretRef: { name: x } }', /credentialsSecretRef: needs both/],
  ];
  for (const [name, yaml, message] of bad) {
    it(`rejects ${name}, naming the fix`, () => {
      assert.throws(
        () => loadConfig(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    });
  }
});
