import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type CertificatePolicy, planCertificates, type StoredCertificates } from './certificate-plan.ts';
import { type Authority, createAuthority, issueCertificate, type KeyPairPem, splitCertificates } from './pki.ts';

const pem = (text: string): string => splitCertificates(text)[0] ?? '';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const policy: CertificatePolicy = {
  dnsNames: ['lifeboat.lifeboat-system.svc'],
  ipAddresses: ['127.0.0.1'],
  caValidityMs: 300 * DAY,
  leafValidityMs: 30 * DAY,
  renewFraction: 2 / 3,
  overlapMs: 10 * 60_000,
};

async function leafOf(ca: Authority, now: number, names = policy.dnsNames): Promise<KeyPairPem> {
  return await issueCertificate(ca, {
    commonName: 'lifeboat',
    dnsNames: [...names],
    ipAddresses: [...policy.ipAddresses],
    usage: 'server',
    validForMs: policy.leafValidityMs,
    now: new Date(now),
  });
}

function stored(ca: Authority, leaf: KeyPairPem, extra: Partial<StoredCertificates> = {}): StoredCertificates {
  return { leafPem: leaf.certPem, leafKeyPem: leaf.keyPem, bundlePem: ca.certPem, caKeyPem: ca.keyPem, ...extra };
}

describe('planCertificates', () => {
  let ca: Authority;
  let leaf: KeyPairPem;
  let other: Authority;

  before(async () => {
    ca = await createAuthority('ca-1', policy.caValidityMs, new Date(T0));
    leaf = await leafOf(ca, T0);
    other = await createAuthority('ca-other', policy.caValidityMs, new Date(T0));
  });

  it('nothing stored: a CA and a serving certificate', () => {
    const plan = planCertificates({}, policy, T0);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.changed, plan.keepCas], [true, true, true, []]);
    assert.match(plan.reasons.join('; '), /no CA yet; no serving certificate yet/);
  });

  it('healthy: no change, next check when the serving certificate is due', () => {
    const plan = planCertificates(stored(ca, leaf), policy, T0 + DAY);
    assert.equal(plan.changed, false);
    const leafRenewAt = T0 - 5 * 60_000 + ((30 * DAY + 5 * 60_000) * 2) / 3;
    assert.ok(Math.abs(plan.nextCheckAtMs - leafRenewAt) < 1000, `${new Date(plan.nextCheckAtMs).toISOString()}`);
  });

  it('serving certificate at 2/3 of its lifetime: re-issued under the same CA, bundle unchanged', () => {
    const plan = planCertificates(stored(ca, leaf), policy, T0 + 21 * DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas], [false, true, []]);
    assert.match(plan.reasons.join(), /serving certificate reached 67%/);
  });

  it('CA due and serving certificate expired: new CA and a certificate from it at once, old CA kept', () => {
    const plan = planCertificates(stored(ca, leaf, { leafIssuedAtMs: T0 }), policy, T0 + 201 * DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas], [true, true, [pem(ca.certPem)]]);
  });

  it('walks the three steps of a CA rotation without ever serving an untrusted certificate', async () => {
    const t1 = T0 + 201 * DAY;
    const recentLeaf = await leafOf(ca, t1 - DAY);
    const step1 = planCertificates(stored(ca, recentLeaf, { leafIssuedAtMs: t1 - DAY }), policy, t1);
    assert.deepEqual([step1.rotateCa, step1.issueLeaf, step1.keepCas], [true, false, [pem(ca.certPem)]]);
    assert.match(step1.reasons.join(), /CA reached 67% of its lifetime/);

    // After step 1 the Secret holds [new, old] with the new CA's key and the old serving certificate.
    const next = await createAuthority('ca-2', policy.caValidityMs, new Date(t1));
    const rotated: StoredCertificates = {
      leafPem: recentLeaf.certPem,
      leafKeyPem: recentLeaf.keyPem,
      bundlePem: next.certPem + ca.certPem,
      caKeyPem: next.keyPem,
      caRotatedAtMs: t1,
      leafIssuedAtMs: t1 - DAY,
    };
    const waiting = planCertificates(rotated, policy, t1 + policy.overlapMs - 1);
    assert.equal(waiting.changed, false, 'the new CA is not trusted long enough yet');
    assert.equal(waiting.nextCheckAtMs, t1 + policy.overlapMs);

    const step2 = planCertificates(rotated, policy, t1 + policy.overlapMs);
    assert.deepEqual([step2.rotateCa, step2.issueLeaf, step2.keepCas], [false, true, [pem(ca.certPem)]]);
    assert.match(step2.reasons.join(), /signed by the previous CA/);

    const t2 = t1 + policy.overlapMs;
    const newLeaf = await leafOf(next, t2);
    const served: StoredCertificates = {
      ...rotated,
      leafPem: newLeaf.certPem,
      leafKeyPem: newLeaf.keyPem,
      leafIssuedAtMs: t2,
    };
    const still = planCertificates(served, policy, t2 + policy.overlapMs - 1);
    assert.equal(still.changed, false, 'replicas may still serve the old certificate');
    assert.equal(still.nextCheckAtMs, t2 + policy.overlapMs);

    const step3 = planCertificates(served, policy, t2 + policy.overlapMs);
    assert.deepEqual([step3.rotateCa, step3.issueLeaf, step3.keepCas, step3.changed], [false, false, [], true]);
    assert.match(step3.reasons.join(), /previous CA is no longer needed/);

    const done = planCertificates({ ...served, bundlePem: next.certPem }, policy, t2 + policy.overlapMs);
    assert.equal(done.changed, false);
  });

  it('forced CA rotation keeps the current CA trusted', () => {
    const plan = planCertificates(stored(ca, leaf), policy, T0 + DAY, { forceCaRotation: true });
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas], [true, false, [pem(ca.certPem)]]);
  });

  it('a serving key that does not match: re-issued at once', () => {
    const plan = planCertificates(stored(ca, { ...leaf, keyPem: ca.keyPem }), policy, T0 + DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf], [false, true]);
    assert.match(plan.reasons.join(), /invalid, expired or lacks a name/);
  });

  it('a serving certificate missing a required name: re-issued', async () => {
    const narrow = await leafOf(ca, T0, ['other.example']);
    const plan = planCertificates(stored(ca, narrow), policy, T0 + DAY);
    assert.equal(plan.issueLeaf, true);
  });

  it('a serving certificate from a CA not in the bundle: re-issued', async () => {
    const foreign = await leafOf(other, T0);
    const plan = planCertificates(stored(ca, foreign), policy, T0 + DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf], [false, true]);
  });

  it('an expired serving certificate: re-issued', () => {
    const plan = planCertificates(stored(ca, leaf), policy, T0 + 31 * DAY);
    assert.equal(plan.issueLeaf, true);
  });

  it('CA key missing: new CA, old CA kept trusted, working serving certificate kept for the overlap', () => {
    const plan = planCertificates(stored(ca, leaf, { caKeyPem: undefined }), policy, T0 + DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas], [true, false, [pem(ca.certPem)]]);
    assert.match(plan.reasons.join(), /CA or its key is missing/);
  });

  it('garbage everywhere: regenerated', () => {
    const plan = planCertificates({ leafPem: 'x', leafKeyPem: 'y', bundlePem: 'not a pem', caKeyPem: 'z' }, policy, T0);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas], [true, true, []]);
  });

  it('expired CAs leave the bundle', async () => {
    const old = await createAuthority('ca-old', DAY, new Date(T0 - 10 * DAY));
    const plan = planCertificates(stored(ca, leaf, { bundlePem: ca.certPem + old.certPem }), policy, T0 + DAY);
    assert.deepEqual([plan.rotateCa, plan.issueLeaf, plan.keepCas, plan.changed], [false, false, [], true]);
  });
});
