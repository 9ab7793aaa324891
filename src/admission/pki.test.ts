import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { certificateNotAfter, createAuthority, issueCertificate, loadAuthority, splitCertificates } from './pki.ts';

/** The openssl CLI's view of PEM files (written to a scratch directory); throws with openssl's message when it refuses. */
function openssl(files: Record<string, string>, args: (dir: string) => string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-pki-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return execFileSync('openssl', args(dir), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A CA as the certificate library lifeboat used before wrote it (and as installations keep it in their Secret): its
 * subject is a PrintableString, where certificates written now use UTF8String. Valid until 2126.
 */
const CA_OF_THE_PREVIOUS_LIBRARY = {
  certPem: `-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIQDJmKOqoHVqOJYdDElU+2ETAKBggqhkjOPQQDAjAeMRww
GgYDVQQDExNsaWZlYm9hdC13ZWJob29rLWNhMCAXDTI2MTIwNDIzNTUwMFoYDzIx
MjYxMTExMDAwMDAwWjAeMRwwGgYDVQQDExNsaWZlYm9hdC13ZWJob29rLWNhMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGOtxc2yDVGjUDHSIIy67z+cuc0frXO3U
0caV4A+Qk/EZRuasa9IZPCECok0Fc3pl1hJwPw3UbF9bNgnREs3YrKNFMEMwEgYD
VR0TAQH/BAgwBgEB/wIBADAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFFBUIg+0
EiTUlLZTmOPj2LczhAyTMAoGCCqGSM49BAMCA0gAMEUCIQDJNVjchaXqHmzehbZk
m9Qgt83Zx7HgWD/PZD9A6iZhVwIgC/Lk/dTJ3SuwDDs13zOZPHxNKCWTkAc7DNiZ
OiorLJ0=
-----END CERTIFICATE-----
`,
  keyPem: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKVJVjjtlNYWYrMSW
Dm3nddFNtnRyo/qNG4MhLCGcd+2hRANCAAQY63FzbINUaNQMdIgjLrvP5y5zR+tc
7dTRxpXgD5CT8RlG5qxr0hk8IQKiTQVzemXWEnA/DdRsX1s2CdESzdis
-----END PRIVATE KEY-----

`,
};

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

  it('writes certificates openssl accepts, with every extension', async () => {
    const ca = await createAuthority('lifeboat-ca', 3_600_000);
    const leaf = await issueCertificate(ca, {
      commonName: 'lifeboat.lifeboat-system.svc',
      organizations: ['system:masters'],
      dnsNames: ['lifeboat.lifeboat-system.svc'],
      ipAddresses: ['127.0.0.1', '::1', '2001:db8::ffff:192.0.2.1'],
      usage: 'both',
      validForMs: 60_000,
    });
    const files = { 'ca.pem': ca.certPem, 'leaf.pem': leaf.certPem };
    assert.match(
      openssl(files, (d) => ['verify', '-CAfile', join(d, 'ca.pem'), join(d, 'leaf.pem')]),
      /leaf\.pem: OK/,
    );
    const caText = openssl(files, (d) => ['x509', '-noout', '-text', '-in', join(d, 'ca.pem')]);
    assert.match(caText, /Version: 3 \(0x2\)/);
    assert.match(caText, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(caText, /ASN1 OID: prime256v1/);
    assert.match(caText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(caText, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    const caKeyId = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(caText)?.[1];
    assert.ok(caKeyId, caText);
    const text = openssl(files, (d) => ['x509', '-noout', '-text', '-in', join(d, 'leaf.pem')]);
    assert.match(text, /Issuer: CN ?= ?lifeboat-ca\n/);
    assert.match(text, /Subject: CN ?= ?lifeboat\.lifeboat-system\.svc, O ?= ?system:masters\n/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /Extended Key Usage:\s*\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    assert.match(
      text,
      /DNS:lifeboat\.lifeboat-system\.svc, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:FFFF:C000:201\n/,
    );
    assert.equal(
      /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1],
      caKeyId,
      'leaf names its CA key',
    );
    const validity = /Not Before: (.+)\n\s+Not After : (.+)\n/.exec(text);
    assert.equal(new Date(validity?.[2] ?? '').getTime(), Math.floor(leaf.notAfter.getTime() / 1000) * 1000);
    const server = await issueCertificate(ca, {
      commonName: 's',
      dnsNames: ['s'],
      usage: 'server',
      validForMs: 60_000,
    });
    assert.match(
      openssl({ 's.pem': server.certPem }, (d) => [
        'x509',
        '-noout',
        '-ext',
        'extendedKeyUsage',
        '-in',
        join(d, 's.pem'),
      ]),
      /^\s+TLS Web Server Authentication$/m,
    );
  });

  it('keeps issuing from a CA the previous certificate library wrote', async () => {
    const ca = await loadAuthority(CA_OF_THE_PREVIOUS_LIBRARY.certPem, CA_OF_THE_PREVIOUS_LIBRARY.keyPem);
    const leaf = await issueCertificate(ca, { commonName: 'x', dnsNames: ['x'], usage: 'server', validForMs: 60_000 });
    const cert = new X509Certificate(leaf.certPem);
    assert.ok(cert.checkIssued(ca.cert), 'issuer copied byte for byte from the CA subject');
    assert.ok(cert.verify(ca.cert.publicKey));
    const files = { 'ca.pem': CA_OF_THE_PREVIOUS_LIBRARY.certPem, 'leaf.pem': leaf.certPem };
    assert.match(
      openssl(files, (d) => ['verify', '-CAfile', join(d, 'ca.pem'), join(d, 'leaf.pem')]),
      /OK/,
    );
    const caKeyId = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(
      openssl(files, (d) => ['x509', '-noout', '-text', '-in', join(d, 'ca.pem')]),
    )?.[1];
    const leafText = openssl(files, (d) => ['x509', '-noout', '-text', '-in', join(d, 'leaf.pem')]);
    assert.equal(/Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(leafText)?.[1], caKeyId);
  });

  it('writes validity after 2049 as GeneralizedTime', async () => {
    const ca = await createAuthority('far', 60_000, new Date('2060-01-01T00:00:00Z'));
    assert.equal(certificateNotAfter(ca.certPem).toISOString(), '2060-01-01T00:01:00.000Z');
    assert.match(new X509Certificate(ca.certPem).validFrom, /2059/);
  });

  it('refuses a CA key that is not ECDSA P-256 in PKCS#8, naming what it got', async () => {
    const ca = await createAuthority('ca', 60_000);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(loadAuthority(ca.certPem, ed), /not an ECDSA P-256 key/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await assert.rejects(
      loadAuthority(ca.certPem, p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      /not an ECDSA P-256 key/,
    );
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'sec1',
      format: 'pem',
    });
    await assert.rejects(loadAuthority(ca.certPem, sec1.toString()), /not a PKCS#8 PEM/);
  });

  it('refuses an IP address it cannot encode', async () => {
    const ca = await createAuthority('ca', 60_000);
    await assert.rejects(
      issueCertificate(ca, { commonName: 'x', ipAddresses: ['localhost'], usage: 'server', validForMs: 1000 }),
      /"localhost" is neither IPv4 nor IPv6/,
    );
  });
});
