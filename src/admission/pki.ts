/**
 * A tiny PKI: a self-signed CA and leaf certificates it issues, as PEM. lifeboat uses it for its webhook's serving
 * certificate (the CA goes into the webhook configurations' caBundle); the test harness uses it for the API server's
 * serving and client certificates. ECDSA P-256 with SHA-256: small, fast to generate, accepted by Go's TLS stack.
 *
 * Keys and signatures come from node:crypto, certificates are read with its X509Certificate, and the one thing node
 * cannot do, writing a certificate, is a TBSCertificate assembled here with der.ts
 * (docs/design.md#certificates-without-a-library).
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { promisify } from 'node:util';
import {
  bitString,
  boolean,
  children,
  explicit,
  ia5,
  implicit,
  namedBits,
  octetString,
  oid,
  sequence,
  set,
  single,
  TAG,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

const generateEcKeyPair = promisify(generateKeyPair);

/** Object identifiers of RFC 5280 and RFC 5758 that these certificates carry. */
const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** The signature algorithm, written twice in every certificate; ECDSA's AlgorithmIdentifier has no parameters. */
const SIGNATURE_ALGORITHM = sequence(oid(OID.ecdsaWithSha256));

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

export interface Authority extends KeyPairPem {
  /** Private handle for issuing; never serialised by this module except as `keyPem`. */
  keys: { privateKey: KeyObject; publicKey: KeyObject };
  cert: X509Certificate;
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

async function newKeys(): Promise<Authority['keys']> {
  return await generateEcKeyPair('ec', { namedCurve: 'prime256v1' });
}

function exportKey(keys: Authority['keys']): string {
  return String(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
}

function serial(): Buffer {
  // 16 random bytes, the top bit cleared (a positive INTEGER) and the next set, so the value keeps all 16 bytes.
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

/** A Name of one attribute per RDN, in order (CN first, then each O), as UTF8Strings. */
function name(attributes: readonly (readonly [string, string])[]): Buffer {
  return sequence(...attributes.map(([type, value]) => set(sequence(oid(type), utf8String(value)))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/**
 * The key identifier of a public key as RFC 5280 §4.2.1.2 suggests (and as the previous library computed it, so CAs
 * it wrote still match the authority key identifier of leaves issued now): SHA-1 of the subjectPublicKey bits.
 */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = single(publicKey.export({ type: 'spki', format: 'der' }), TAG.sequence, 'SubjectPublicKeyInfo');
  const key = children(spki.contents).find((e) => e.tag === TAG.bitString);
  if (!key) throw new Error('SubjectPublicKeyInfo without a public key');
  return createHash('sha1').update(key.contents.subarray(1)).digest();
}

/**
 * What a leaf copies from its CA: the subject exactly as encoded (TLS stacks match a leaf's issuer to its CA's subject
 * byte for byte) and the CA's own subject key identifier when it has one.
 */
function issuerOf(ca: X509Certificate): { subject: Buffer; keyId: Buffer } {
  const certificate = single(ca.raw, TAG.sequence, 'Certificate');
  const [tbs] = children(certificate.contents);
  if (tbs?.tag !== TAG.sequence) throw new Error('CA certificate without a TBSCertificate');
  // version [0] (optional), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then [1] [2] [3].
  const fields = children(tbs.contents);
  const afterVersion = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const subject = afterVersion[4];
  if (subject?.tag !== TAG.sequence) throw new Error('CA certificate without a subject');
  let keyId: Buffer | undefined;
  const extensions = afterVersion.find((e) => e.tag === 0xa3);
  if (extensions) {
    const wanted = oid(OID.subjectKeyIdentifier);
    for (const ext of children(single(extensions.contents, TAG.sequence, 'extensions').contents)) {
      const parts = children(ext.contents);
      if (!parts[0]?.der.equals(wanted)) continue;
      const value = parts.at(-1);
      if (value?.tag === TAG.octetString)
        keyId = single(value.contents, TAG.octetString, 'subjectKeyIdentifier').contents;
    }
  }
  return { subject: Buffer.from(subject.der), keyId: keyId ?? keyIdentifier(ca.publicKey) };
}

/** An IP address as the 4 or 16 bytes a subjectAltName iPAddress carries. */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`certificate IP address "${ip}" is neither IPv4 nor IPv6`);
  // Expand "::" and a trailing dotted IPv4 part into eight 16-bit groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip)?.[1];
  const text = v4 ? `${ip.slice(0, -v4.length)}0:0` : ip;
  const [head = '', tail] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const filled =
    tail === undefined
      ? groups(head)
      : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  const out = Buffer.alloc(16);
  for (const [i, g] of filled.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  if (v4) Buffer.from(v4.split('.').map(Number)).copy(out, 12);
  return out;
}

/** Signs a TBSCertificate with the issuer's key and wraps it into a Certificate. */
function signed(tbs: Buffer, issuerKey: KeyObject): X509Certificate {
  const signature = sign('sha256', tbs, issuerKey); // DER ECDSA-Sig-Value, as X.509 wants it
  return new X509Certificate(sequence(tbs, SIGNATURE_ALGORITHM, bitString(signature)));
}

function tbsCertificate(o: {
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  extensions: Buffer[];
}): Buffer {
  return sequence(
    explicit(0, unsignedInteger(2)), // v3: the only version with extensions
    unsignedInteger(serial()),
    SIGNATURE_ALGORITHM,
    o.issuer,
    sequence(time(o.notBefore), time(o.notAfter)),
    o.subject,
    o.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...o.extensions)),
  );
}

export async function createAuthority(commonName: string, validForMs: number, now = new Date()): Promise<Authority> {
  const keys = await newKeys();
  const notAfter = new Date(now.getTime() + validForMs);
  const subject = name([[OID.commonName, commonName]]);
  const tbs = tbsCertificate({
    issuer: subject,
    subject,
    notBefore: new Date(now.getTime() - 5 * 60_000), // tolerate small clock skew between processes
    notAfter,
    publicKey: keys.publicKey,
    extensions: [
      // cA TRUE, pathLenConstraint 0: it signs leaves only.
      extension(OID.basicConstraints, true, sequence(boolean(true), unsignedInteger(0))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(keys.publicKey))),
    ],
  });
  const cert = signed(tbs, keys.privateKey);
  return { keys, cert, certPem: cert.toString(), keyPem: exportKey(keys), notAfter };
}

export async function issueCertificate(ca: Authority, opts: LeafOptions): Promise<KeyPairPem> {
  const keys = await newKeys();
  const now = opts.now ?? new Date();
  const notAfter = new Date(Math.min(now.getTime() + opts.validForMs, ca.notAfter.getTime()));
  const issuer = issuerOf(ca.cert);
  const usages: string[] = [];
  if (opts.usage !== 'client') usages.push(OID.serverAuth);
  if (opts.usage !== 'server') usages.push(OID.clientAuth);
  // GeneralName: dNSName is [2] IA5String, iPAddress is [7] OCTET STRING, both implicitly tagged.
  const san = [
    ...(opts.dnsNames ?? []).map((dns) => implicit(2, ia5(dns))),
    ...(opts.ipAddresses ?? []).map((ip) => implicit(7, ipBytes(ip))),
  ];
  const tbs = tbsCertificate({
    issuer: issuer.subject,
    subject: name([
      [OID.commonName, opts.commonName],
      ...(opts.organizations ?? []).map((o) => [OID.organization, o] as const),
    ]),
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter,
    publicKey: keys.publicKey,
    extensions: [
      // cA FALSE is the default, and DER leaves defaults out: an empty SEQUENCE.
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment])),
      extension(OID.extendedKeyUsage, false, sequence(...usages.map(oid))),
      ...(san.length > 0 ? [extension(OID.subjectAltName, false, sequence(...san))] : []),
      // AuthorityKeyIdentifier: keyIdentifier is [0] IMPLICIT OCTET STRING.
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, issuer.keyId))),
    ],
  });
  return { certPem: signed(tbs, ca.keys.privateKey).toString(), keyPem: exportKey(keys), notAfter };
}

/** The notAfter of the first certificate in a PEM (a leaf, or the first of a bundle). */
export function certificateNotAfter(certPem: string): Date {
  return new X509Certificate(firstCertificate(certPem)).validToDate;
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
  const cert = new X509Certificate(firstCertificate(certPem));
  if (!/^-----BEGIN PRIVATE KEY-----/.test(keyPem.trimStart())) {
    throw new Error('the CA key is not a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")');
  }
  const privateKey = createPrivateKey(keyPem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the CA key is not an ECDSA P-256 key');
  }
  // Prove the pair: sign with the key, verify with the certificate's public key.
  const probe = Buffer.from('lifeboat');
  if (!verify('sha256', probe, cert.publicKey, sign('sha256', probe, privateKey))) {
    throw new Error('the CA key does not belong to the CA certificate');
  }
  return {
    keys: { privateKey, publicKey: cert.publicKey },
    cert,
    certPem: cert.toString(),
    keyPem,
    notAfter: cert.validToDate,
  };
}
