import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { certificateNotAfter, createAuthority, issueCertificate, loadAuthority, splitCertificates } from './pki.ts';

describe('pki', () => {
  it('issues a server certificate that verifies against its CA and carries the SANs', async () => {
    const ca = await createAuthority('lifeboat-test-ca', 3_600_000);
    const leaf = await issueCertificate(ca, {
      commonName: 'lifeboat.lifeboat-system.svc',
      dnsNames: ['lifeboat.lifeboat-system.svc', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validForMs: 60_000,
    });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(leaf.certPem);
    assert.ok(cert.verify(caCert.publicKey), 'leaf is signed by the CA');
    assert.ok(cert.checkIssued(caCert));
    assert.equal(caCert.ca, true);
    assert.equal(cert.ca, false);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(cert.checkIP('127.0.0.1'));
    assert.ok(cert.checkHost('lifeboat.lifeboat-system.svc'));
    assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('puts organisations in the subject (Kubernetes groups) and never outlives its CA', async () => {
    const ca = await createAuthority('ca', 60_000);
    const leaf = await issueCertificate(ca, {
      commonName: 'admin',
      organizations: ['system:masters'],
      usage: 'client',
      validForMs: 3_600_000,
    });
    const cert = new X509Certificate(leaf.certPem);
    assert.match(cert.subject, /O=system:masters/);
    assert.ok(leaf.notAfter.getTime() <= ca.notAfter.getTime());
  });

  it('loads a stored CA back and keeps issuing from it; refuses a key of another CA', async () => {
    const ca = await createAuthority('stored-ca', 3_600_000);
    const loaded = await loadAuthority(ca.certPem, ca.keyPem);
    const leaf = await issueCertificate(loaded, {
      commonName: 'x',
      dnsNames: ['x'],
      usage: 'server',
      validForMs: 60_000,
    });
    assert.ok(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey));
    assert.equal(loaded.notAfter.getTime(), ca.notAfter.getTime() - (ca.notAfter.getTime() % 1000));
    const other = await createAuthority('other', 3_600_000);
    await assert.rejects(loadAuthority(ca.certPem, other.keyPem), /does not belong/);
  });

  it('splits bundles and reads notAfter', async () => {
    const a = await createAuthority('a', 3_600_000);
    const b = await createAuthority('b', 7_200_000);
    const blocks = splitCertificates(`${a.certPem}${b.certPem}\n`);
    assert.equal(blocks.length, 2);
    assert.ok(blocks.every((block) => block.endsWith('-----END CERTIFICATE-----\n')));
    assert.equal(
      certificateNotAfter(`${b.certPem}${a.certPem}`).toISOString(),
      new X509Certificate(b.certPem).validToDate.toISOString(),
    );
    assert.deepEqual(splitCertificates('nothing here'), []);
    assert.throws(() => certificateNotAfter('nothing'), /no PEM certificate/);
  });
});
