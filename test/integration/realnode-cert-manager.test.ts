/**
 * lifeboat's cert-manager webhook mode on the real node (test/support/realnode.ts), with the real cert-manager: its
 * CRDs from the cert-manager module and its own controllers and CA injector (testenv/cert-manager, built by testenv on
 * the module's packages) running out of cluster against the node's API server, as VolSync does. lifeboat is installed
 * from its chart with `config.admission.certificate.mode: cert-manager` (deploy/helm/lifeboat/ci/
 * webhook-cert-manager-values.yaml): the chart's self-signed Issuer, CA Certificate, CA Issuer and serving Certificate.
 *
 * Shown: cert-manager issues the chain (Certificates Ready, CertificateRequests approved by its approver, the serving
 * Secret signed by the chart's CA); its CA injector fills caBundle of both webhook configurations with that CA; the
 * real kube-apiserver calls lifeboat's webhooks over that TLS (labelled PVC CREATEs answered, one stored); lifeboat's
 * pod serves exactly the certificate of the Secret. Then a renewal as `cmctl renew` asks for one (the Certificate's
 * Issuing condition): cert-manager issues a new key and certificate, lifeboat serves the new one, the CA and caBundle
 * stay, and admission answers every CREATE throughout.
 *
 * Nothing is played (the renewal request is what a user's `cmctl renew` writes). cert-manager's own webhook (validation
 * and defaulting of cert-manager's resources) is not run: the chart's objects are issued as rendered without it.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/client.ts';
import { installCrds } from '../support/controlplane.ts';
import { eventually } from '../support/eventually.ts';
import { type Managed, startProcess } from '../support/processes.ts';
import { sharedRealNode } from '../support/realnode.ts';
import { LIFEBOAT_NAMESPACE, RELEASE } from '../support/realnode-lifeboat.ts';
import { Scenario, TURN } from '../support/realnode-scenario.ts';
import { admitted, servedCertificate } from '../support/realnode-webhook.ts';
import { nodeComponents } from '../support/testenv.ts';

const CM = 'cert-manager.io/v1';
type Condition = { type: string; status: string; reason?: string; message?: string };
type Certificate = KubeObject & {
  spec: { secretName: string; issuerRef: { name: string; kind?: string } };
  status?: { conditions?: Condition[]; revision?: number; notAfter?: string };
};
type Secret = KubeObject & { data?: Record<string, string> };
type Webhooks = KubeObject & { webhooks?: { name: string; clientConfig: { caBundle?: string } }[] };

const certificateRef = (name: string) => ({ apiVersion: CM, kind: 'Certificate', namespace: LIFEBOAT_NAMESPACE, name });
const condition = (o: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);
const pem = (secret: Secret | undefined, key: string) =>
  Buffer.from(secret?.data?.[key] ?? '', 'base64').toString('utf8');

describe('real node: lifeboat in cert-manager mode with the real cert-manager', { timeout: 1_800_000 }, () => {
  let s: Scenario;
  let certManager: Managed | undefined;
  /** Set when the cert-manager process ends (its exit code): waits for its work fail at once with its output. */
  let certManagerExit: number | null | undefined;
  let crds: string[] = [];

  /** The Certificate once the real controller reports it Ready at `revision` or later. */
  async function ready(name: string, revision: number): Promise<Certificate> {
    let seen = '';
    return await eventually(
      `Certificate ${name} Ready at revision ${revision}`,
      async () => {
        if (certManagerExit !== undefined) {
          throw new Error(`cert-manager exited (${certManagerExit}):\n${certManager?.tail()}`);
        }
        const cert = await s.kube.get<Certificate>(certificateRef(name));
        seen = JSON.stringify(cert?.status ?? null);
        const isReady = condition(cert, 'Ready')?.status === 'True' && (cert?.status?.revision ?? 0) >= revision;
        return isReady ? cert : undefined;
      },
      120_000,
      250,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status: ${seen}; cert-manager's output:\n${certManager?.tail()}`);
    });
  }

  const secretOf = async (cert: Certificate) =>
    await s.kube.get<Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: LIFEBOAT_NAMESPACE,
      name: cert.spec.secretName,
    });

  before(async () => {
    const node = await sharedRealNode();
    const bin = nodeComponents();
    s = new Scenario(node, 'real-cert-manager');
    const dir = bin['cert-manager-crds'] as string;
    crds = await s.step('cert-manager CRDs installed', async () =>
      installCrds(
        node.kubeConfig,
        (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f)),
      ),
    );
    certManager = startProcess('cert-manager', bin['cert-manager'] as string, [`--kubeconfig=${node.kubeconfigPath}`], {
      logFile: join(node.dir, 'logs', 'cert-manager.log'),
    });
    void certManager.exited.then((code) => {
      certManagerExit = code;
    });
    const { secret, config } = s.s3Repository('kopia');
    await s.start(secret, { ...config, admission: { certificate: { mode: 'cert-manager' } } });
  }, TURN);

  after(async () => {
    await s?.stop();
    await certManager?.stop(10_000);
    for (const name of crds) {
      await s?.kube.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    }
  });

  let issued: { cert: Certificate; tls: X509Certificate; ca: string } | undefined;

  it('cert-manager issues the serving certificate, injects its CA, and the API server calls lifeboat over it', async () => {
    const caCert = await s.step('CA Certificate Ready', () => ready(`${RELEASE}-webhook-ca`, 1));
    const cert = await s.step('serving Certificate Ready', () => ready(`${RELEASE}-webhook`, 1));
    assert.equal(
      cert.spec.issuerRef.name,
      `${RELEASE}-webhook-ca`,
      "the chart's CA Issuer signs the serving certificate",
    );

    // The CertificateRequests the real controllers made, approved by cert-manager's approver and signed.
    const requests = await s.kube.list<KubeObject & { status?: { conditions?: Condition[] } }>(
      CM,
      'CertificateRequest',
      { namespace: LIFEBOAT_NAMESPACE },
    );
    for (const name of [caCert.metadata.name, cert.metadata.name]) {
      const mine = requests.filter((r) => r.metadata.annotations?.['cert-manager.io/certificate-name'] === name);
      assert.equal(mine.length, 1, `one CertificateRequest for ${name}`);
      assert.equal(condition(mine[0], 'Approved')?.status, 'True', `${name}'s request approved`);
      assert.equal(condition(mine[0], 'Ready')?.status, 'True', `${name}'s request signed`);
    }

    const secret = await secretOf(cert);
    assert.equal(secret?.metadata.annotations?.['cert-manager.io/certificate-name'], cert.metadata.name);
    assert.equal(secret?.metadata.annotations?.['cert-manager.io/issuer-name'], `${RELEASE}-webhook-ca`);
    const caSecret = await secretOf(caCert);
    const ca = new X509Certificate(pem(caSecret, 'tls.crt'));
    assert.ok(ca.ca, 'the chart CA is a CA certificate');
    assert.equal(pem(secret, 'ca.crt').trim(), ca.toString().trim(), "the serving Secret's ca.crt is the chart's CA");
    const tls = new X509Certificate(pem(secret, 'tls.crt'));
    assert.ok(tls.checkIssued(ca) && tls.verify(ca.publicKey), 'the serving certificate is signed by that CA');
    assert.ok(tls.checkHost(`${RELEASE}.${LIFEBOAT_NAMESPACE}.svc`), `for the Service name: ${tls.subjectAltName}`);

    // The CA injector put that CA into every webhook of both configurations.
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const w = await s.kube.get<Webhooks>({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name: 'lifeboat' });
      assert.equal(
        w?.metadata.annotations?.['cert-manager.io/inject-ca-from'],
        `${LIFEBOAT_NAMESPACE}/${cert.metadata.name}`,
      );
      for (const h of w?.webhooks ?? []) {
        assert.equal(
          Buffer.from(h.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
          pem(secret, 'ca.crt'),
          `${kind} ${h.name} caBundle`,
        );
      }
    }

    // lifeboat's pod serves that very certificate, and it verifies as the API server verifies it.
    const served = await s.step('lifeboat serves the Secret', () =>
      eventually(
        "lifeboat's webhook serving the cert-manager certificate",
        async () => {
          const c = await servedCertificate(s);
          return c.der.equals(tls.raw) ? c : undefined;
        },
        60_000,
        500,
      ),
    );
    assert.equal(served.authorized, true, `the served certificate verifies against the caBundle: ${served.error}`);

    // The real kube-apiserver calls both webhooks over that TLS (failurePolicy Fail: a failed call refuses the claim).
    const answer = await admitted(s, 'dry-run');
    assert.equal(answer.ok, true, `a labelled PVC CREATE (dry run) is answered: ${answer.error}`);
    const created = await s.step('a labelled PVC created through admission', () => s.createPvc('through-cert-manager'));
    assert.equal(created.spec.dataSourceRef, undefined, 'a new PVC of a first installation starts empty');
    issued = { cert, tls, ca: pem(secret, 'ca.crt') };
  });

  it('a renewal (`cmctl renew`): cert-manager issues a new certificate, lifeboat serves it, admission keeps answering', async () => {
    assert.ok(issued, 'the first test ran');
    const before = issued;
    const revision = before.cert.status?.revision ?? 1;
    // What `cmctl renew` does: the Issuing condition on the Certificate's status; the real controllers take it from
    // there (a new key, as the chart's rotationPolicy Always asks, a new CertificateRequest, the Secret updated).
    const current = (await s.kube.get<Certificate>(certificateRef(before.cert.metadata.name))) as Certificate;
    const path = await s.kube.resources.objectPath(CM, 'Certificate', current.metadata.name, LIFEBOAT_NAMESPACE);
    await s.kube.http.request('PATCH', `${path}/status`, {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          conditions: [
            ...(current.status?.conditions ?? []).filter((c) => c.type !== 'Issuing'),
            {
              type: 'Issuing',
              status: 'True',
              reason: 'ManuallyTriggered',
              message: 'Certificate re-issuance manually triggered',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              observedGeneration: current.metadata.generation,
            },
          ],
        },
      },
    });
    const t0 = Date.now();
    // Labelled CREATEs (dry run) one after another until lifeboat serves the new certificate: every one answered.
    const answers: { atMs: number; ok: boolean; error?: string }[] = [];
    let renewed: X509Certificate | undefined;
    let servedNew: Awaited<ReturnType<typeof servedCertificate>> | undefined;
    for (let i = 0; !servedNew && Date.now() - t0 < 180_000; i++) {
      answers.push({ atMs: Date.now() - t0, ...(await admitted(s, `during-renewal-${i}`)) });
      if (!renewed) {
        const cert = await s.kube.get<Certificate>(certificateRef(before.cert.metadata.name));
        if ((cert?.status?.revision ?? 0) > revision && condition(cert, 'Ready')?.status === 'True') {
          const tls = new X509Certificate(pem(await secretOf(cert as Certificate), 'tls.crt'));
          if (!tls.raw.equals(before.tls.raw)) {
            renewed = tls;
            s.timings['renewed Secret written after the Issuing condition'] = Date.now() - t0;
          }
        }
      } else {
        const c = await servedCertificate(s);
        if (c.der.equals(renewed.raw)) {
          servedNew = c;
          s.timings['lifeboat serving the renewed certificate after the Issuing condition'] = Date.now() - t0;
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    s.timings['admission CREATEs during the renewal'] = answers.length;
    assert.ok(renewed, `cert-manager renewed the certificate; its output:\n${certManager?.tail()}`);
    assert.ok(servedNew, 'lifeboat serves the renewed certificate');
    assert.notEqual(
      renewed.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      before.tls.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      'a new key (rotationPolicy Always)',
    );
    assert.equal(
      servedNew.authorized,
      true,
      `the renewed certificate verifies against the caBundle: ${servedNew.error}`,
    );
    assert.equal(
      Buffer.from(servedNew.caBundle, 'base64').toString('utf8'),
      before.ca,
      'the webhook configurations kept the CA',
    );
    assert.deepEqual(
      answers.filter((a) => !a.ok),
      [],
      'admission answered every CREATE during the renewal',
    );
    const afterwards = await admitted(s, 'after-renewal');
    assert.equal(afterwards.ok, true, `a labelled PVC CREATE after the renewal: ${afterwards.error}`);
  });
});
