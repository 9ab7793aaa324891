/**
 * What to do next with lifeboat's own webhook CA and serving certificate, pure: the stored PEMs, the policy and "now"
 * in, a plan out. The I/O (Secret read/write, key generation) is certificates.ts.
 *
 * Rotation never breaks a request, because the API server must trust a certificate before any replica serves it:
 *
 * 1. The signing CA reaches `renewFraction` (2/3) of its lifetime → a new CA is put FIRST in the trust bundle
 *    (`ca.crt`), the old CA stays, the serving certificate stays. The leader copies the bundle into the webhooks'
 *    caBundle.
 * 2. `overlapMs` later (long enough for the caBundle update and every replica's next read) → a serving certificate
 *    signed by the new CA replaces the old one; replicas hot-swap it.
 * 3. `overlapMs` after that → old CAs leave the bundle.
 *
 * A serving certificate due for renewal under an unchanged CA is simply re-issued (the bundle does not change). A
 * broken or missing certificate or key is replaced at once: there is nothing working to protect.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { splitCertificates } from './pki.ts';

export interface StoredCertificates {
  /** `tls.crt`: the serving certificate. */
  leafPem?: string;
  /** `tls.key`. */
  leafKeyPem?: string;
  /** `ca.crt`: every CA the API server should trust, the signing CA first. */
  bundlePem?: string;
  /** `ca.key`: the key of the first CA in the bundle. */
  caKeyPem?: string;
  /** When the first CA entered the bundle (ms since the epoch); unknown counts as long ago. */
  caRotatedAtMs?: number;
  /** When the serving certificate was issued (ms since the epoch); unknown counts as long ago. */
  leafIssuedAtMs?: number;
}

export interface CertificatePolicy {
  /** Names the serving certificate must cover (Service DNS names). */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  caValidityMs: number;
  leafValidityMs: number;
  /** Renew at this fraction of a certificate's lifetime. Default 2/3. */
  renewFraction: number;
  overlapMs: number;
}

export interface CertificatePlan {
  /** Generate a new CA and put it first in the bundle. */
  rotateCa: boolean;
  /** Issue a new serving certificate from the (new or current) signing CA. */
  issueLeaf: boolean;
  /** PEMs of the other CAs that stay in the bundle after the signing CA. */
  keepCas: string[];
  /** Whether anything changes (then the Secret is written). */
  changed: boolean;
  /** Why, for the log. */
  reasons: string[];
  /** When the plan may change next without anything else happening (ms since the epoch). */
  nextCheckAtMs: number;
}

interface Cert {
  pem: string;
  x509: X509Certificate;
  notBeforeMs: number;
  notAfterMs: number;
  renewAtMs: number;
}

function parse(pem: string | undefined, renewFraction: number): Cert | undefined {
  if (!pem) return undefined;
  try {
    const x509 = new X509Certificate(pem);
    const notBeforeMs = new Date(x509.validFrom).getTime();
    const notAfterMs = new Date(x509.validTo).getTime();
    return { pem, x509, notBeforeMs, notAfterMs, renewAtMs: notBeforeMs + (notAfterMs - notBeforeMs) * renewFraction };
  } catch {
    return undefined;
  }
}

function keyMatches(cert: Cert | undefined, keyPem: string | undefined): boolean {
  if (!cert || !keyPem) return false;
  try {
    return cert.x509.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function signedBy(leaf: Cert, ca: Cert): boolean {
  try {
    return leaf.x509.checkIssued(ca.x509) && leaf.x509.verify(ca.x509.publicKey);
  } catch {
    return false;
  }
}

function covers(leaf: Cert, policy: CertificatePolicy): boolean {
  return (
    policy.dnsNames.every((name) => leaf.x509.checkHost(name, { subject: 'never' }) !== undefined) &&
    policy.ipAddresses.every((ip) => leaf.x509.checkIP(ip) !== undefined)
  );
}

export function planCertificates(
  stored: StoredCertificates,
  policy: CertificatePolicy,
  nowMs: number,
  options: { forceCaRotation?: boolean } = {},
): CertificatePlan {
  const reasons: string[] = [];
  const cas = splitCertificates(stored.bundlePem ?? '')
    .map((pem) => parse(pem, policy.renewFraction))
    .filter((c): c is Cert => c !== undefined && c.notAfterMs > nowMs);
  const first = parse(splitCertificates(stored.bundlePem ?? '')[0], policy.renewFraction);
  const signing = first && first.notAfterMs > nowMs && keyMatches(first, stored.caKeyPem) ? first : undefined;
  const others = cas.filter((c) => c.pem !== signing?.pem);

  let rotateCa = false;
  if (options.forceCaRotation) {
    rotateCa = true;
    reasons.push('CA rotation requested');
  } else if (!signing) {
    rotateCa = true;
    reasons.push(stored.bundlePem ? 'the CA or its key is missing, invalid or expired' : 'no CA yet');
  } else if (nowMs >= signing.renewAtMs) {
    rotateCa = true;
    reasons.push(`the CA reached ${Math.round(policy.renewFraction * 100)}% of its lifetime`);
  }

  const leaf = parse(stored.leafPem, policy.renewFraction);
  const usable =
    leaf !== undefined &&
    leaf.notAfterMs > nowMs &&
    keyMatches(leaf, stored.leafKeyPem) &&
    covers(leaf, policy) &&
    cas.some((ca) => signedBy(leaf, ca));
  const bySigning = usable && signing !== undefined && signedBy(leaf, signing);
  const caRotatedAt = stored.caRotatedAtMs ?? 0;
  const leafIssuedAt = stored.leafIssuedAtMs ?? 0;
  const checks: number[] = [];

  let issueLeaf = false;
  if (!usable) {
    issueLeaf = true;
    reasons.push(
      stored.leafPem ? 'the serving certificate is invalid, expired or lacks a name' : 'no serving certificate yet',
    );
  } else if (rotateCa) {
    // Keep serving the old certificate until the new CA has been trusted for a while (step 1 → 2).
    checks.push(nowMs + policy.overlapMs);
  } else if (!bySigning) {
    if (nowMs >= caRotatedAt + policy.overlapMs) {
      issueLeaf = true;
      reasons.push('the serving certificate was signed by the previous CA');
    } else {
      checks.push(caRotatedAt + policy.overlapMs);
    }
  } else if (nowMs >= leaf.renewAtMs) {
    issueLeaf = true;
    reasons.push(`the serving certificate reached ${Math.round(policy.renewFraction * 100)}% of its lifetime`);
  } else {
    checks.push(leaf.renewAtMs);
  }

  // Old CAs leave once the certificate of the current CA has been served for a while (step 2 → 3).
  let keepCas = rotateCa ? (signing ? [signing, ...others] : cas) : others;
  const oldCasDroppable = !rotateCa && !issueLeaf && bySigning && nowMs >= leafIssuedAt + policy.overlapMs;
  if (oldCasDroppable && keepCas.length > 0) {
    reasons.push('the previous CA is no longer needed');
    keepCas = [];
  } else if (keepCas.length > 0 && !rotateCa && (bySigning || issueLeaf)) {
    checks.push((issueLeaf ? nowMs : leafIssuedAt) + policy.overlapMs);
  }
  if (signing && !rotateCa) checks.push(signing.renewAtMs);
  for (const ca of keepCas) checks.push(ca.notAfterMs);

  const storedOthers = splitCertificates(stored.bundlePem ?? '').slice(1);
  const bundleChanged = keepCas.length !== storedOthers.length || keepCas.some((ca, i) => ca.pem !== storedOthers[i]);
  return {
    rotateCa,
    issueLeaf,
    keepCas: keepCas.map((c) => c.pem),
    changed: rotateCa || issueLeaf || bundleChanged,
    reasons: bundleChanged && reasons.length === 0 ? ['expired CAs leave the bundle'] : reasons,
    nextCheckAtMs: checks.length > 0 ? Math.min(...checks) : nowMs + policy.overlapMs,
  };
}
