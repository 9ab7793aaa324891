/**
 * A tiny PKI: a self-signed CA and leaf certificates it issues, as PEM. lifeboat uses it for its webhook's serving
 * certificate (the CA goes into the webhook configurations' caBundle); the test harness uses it for the API server's
 * serving and client certificates. ECDSA P-256: small, fast to generate, accepted by Go's TLS stack.
 */
import { webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
// The library defaults to the global WebCrypto; pin Node's implementation explicitly.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

export interface Authority extends KeyPairPem {
  /** Private handle for issuing; never serialised by this module except as `keyPem`. */
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

export interface LeafOptions {
  commonName: string;
  /** Subject organisations; for Kubernetes client certificates these are the user's groups. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'both';
  validForMs: number;
  now?: Date;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

async function exportKey(keys: CryptoKeyPair): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

export async function createAuthority(commonName: string, validForMs: number, now = new Date()): Promise<Authority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate small clock skew between processes
  const notAfter = new Date(now.getTime() + validForMs);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeDn(commonName)}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false),
    ],
  });
  return { keys, cert, certPem: cert.toString('pem'), keyPem: await exportKey(keys), notAfter };
}

export async function issueCertificate(ca: Authority, opts: LeafOptions): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = opts.now ?? new Date();
  const notAfter = new Date(Math.min(now.getTime() + opts.validForMs, ca.notAfter.getTime()));
  const subject = [`CN=${escapeDn(opts.commonName)}`, ...(opts.organizations ?? []).map((o) => `O=${escapeDn(o)}`)];
  const usages: string[] = [];
  if (opts.usage !== 'client') usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.usage !== 'server') usages.push(x509.ExtendedKeyUsage.clientAuth);
  const san = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject.join(', '),
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
      ...(san.length > 0 ? [new x509.SubjectAlternativeNameExtension(san, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys), notAfter };
}

/** The notAfter of the first certificate in a PEM (a leaf, or the first of a bundle). */
export function certificateNotAfter(certPem: string): Date {
  return new x509.X509Certificate(firstCertificate(certPem)).notAfter;
}

/** The PEM blocks of every certificate in a bundle, in order. */
export function splitCertificates(bundlePem: string): string[] {
  return bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.map(normalise) ?? [];
}

function normalise(block: string): string {
  return block.endsWith('\n') ? block : `${block}\n`;
}

function firstCertificate(pem: string): string {
  const [first] = splitCertificates(pem);
  if (!first) throw new Error('no PEM certificate found');
  return first;
}

/**
 * An Authority from its stored PEMs (e.g. read back from a Secret), so it can issue more leaves. Throws when the key
 * is not an ECDSA P-256 PKCS#8 key or does not belong to the certificate.
 */
export async function loadAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const cert = new x509.X509Certificate(firstCertificate(certPem));
  const der = Buffer.from(keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''), 'base64');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  const publicKey = await cert.publicKey.export(ALG, ['verify']);
  // Prove the pair: sign with the key, verify with the certificate's public key.
  const probe = new TextEncoder().encode('lifeboat');
  const signature = await webcrypto.subtle.sign(SIGNING, privateKey, probe);
  if (!(await webcrypto.subtle.verify(SIGNING, publicKey, signature, probe))) {
    throw new Error('the CA key does not belong to the CA certificate');
  }
  const keys = { privateKey, publicKey } as CryptoKeyPair;
  return { keys, cert, certPem: cert.toString('pem'), keyPem, notAfter: cert.notAfter };
}
