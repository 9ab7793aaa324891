/**
 * The webhook configurations and, with `admission.certificate.mode: cert-manager`, the cert-manager objects of their
 * certificate. Every setting comes from the lifeboat config's `admission` section, the same one `lifeboat run` reads.
 *
 * The configurations come from the builder admission/registration.ts registers at run time (webhookDefinitions), minus
 * the caBundle, with the chart's metadata: the chart owns the objects, so uninstalling removes them (a fail-closed webhook left
 * behind would block labelled PVCs cluster-wide, docs/design.md#webhook-outage), and the trust bundle is filled in by
 * whoever owns the CA:
 * - lifeboat's own CA (default): the leader server-side-applies `caBundle` from its certificate Secret
 *   (`admission.certificate.secretName`, lifeboat-webhook-tls).
 *   Until then the API server cannot verify lifeboat and, with failurePolicy Fail, refuses labelled PVCs; ArgoCD
 *   registers the webhooks only after the Deployment is healthy (sync wave), so that window is short.
 * - cert-manager: its CA injector fills `caBundle` from the serving Certificate (annotation inject-ca-from), and the
 *   Certificate writes the certificate Secret with `ca.crt`, which lifeboat serves from.
 * Leaving caBundle out of the rendered objects also keeps GitOps diffs quiet: the field is owned by another manager.
 */
import { webhookDefinitions } from '../admission/registration.ts';
import type { KubeObject } from '../kube/client.ts';
import { objectMeta, type RenderContext } from './meta.ts';
import { WEBHOOK_CONFIGURATION } from './names.ts';

const CERT_MANAGER = 'cert-manager.io/v1';
export const INJECT_CA_ANNOTATION = 'cert-manager.io/inject-ca-from';

/** DNS names the API server uses to reach the webhook Service. */
export function serviceDnsNames(ctx: RenderContext): string[] {
  const service = `${ctx.config.admission.service.name}.${ctx.namespace}`;
  return [`${service}.svc`, `${service}.svc.cluster.local`];
}

/** Rendered when `config.admission.enabled` (the default), as `lifeboat run` then serves the webhook port. */
export function webhookConfigurations(ctx: RenderContext): KubeObject[] {
  if (!ctx.config.admission.enabled) return [];
  const annotations: Record<string, string> =
    ctx.config.admission.certificate.mode === 'cert-manager'
      ? { [INJECT_CA_ANNOTATION]: `${ctx.namespace}/${ctx.names.certServing}` }
      : {};
  const metadata = objectMeta(ctx, WEBHOOK_CONFIGURATION, {
    namespaced: false,
    wave: 'webhook',
    // The label registration.ts applies too, so lifeboat's server-side apply agrees with the chart on it.
    labels: { 'app.kubernetes.io/managed-by': 'lifeboat' },
    annotations,
  });
  const { service, failurePolicy, timeoutSeconds } = ctx.config.admission;
  const { mutating, validating } = webhookDefinitions({
    config: ctx.config,
    endpoint: { service: { namespace: ctx.namespace, name: service.name, port: service.port } },
    name: WEBHOOK_CONFIGURATION,
    permissive: failurePolicy === 'Ignore',
    mutateTimeoutSeconds: timeoutSeconds,
    validateTimeoutSeconds: timeoutSeconds,
  });
  return [
    { ...mutating, metadata },
    { ...validating, metadata: structuredClone(metadata) },
  ];
}

/**
 * cert-manager mode. Without an `issuerRef`, a private CA in lifeboat's namespace (self-signed Issuer → CA
 * Certificate → CA Issuer), so the serving certificate can be renewed without changing the trusted CA. With an
 * `issuerRef`, only the serving Certificate; that issuer must write `ca.crt` (CA and self-signed issuers do).
 */
export function certManagerObjects(ctx: RenderContext): KubeObject[] {
  const { enabled, certificate } = ctx.config.admission;
  if (!enabled || certificate.mode !== 'cert-manager') return [];
  const { issuerRef } = ctx.values.certManager;
  const { certSelfSigned, certCa, certServing } = ctx.names;
  const objects: KubeObject[] = [];
  let servingIssuer: Record<string, unknown> = issuerRef;
  if (Object.keys(issuerRef).length === 0) {
    objects.push(
      {
        apiVersion: CERT_MANAGER,
        kind: 'Issuer',
        metadata: objectMeta(ctx, certSelfSigned),
        spec: { selfSigned: {} },
      },
      {
        apiVersion: CERT_MANAGER,
        kind: 'Certificate',
        metadata: objectMeta(ctx, certCa),
        spec: {
          isCA: true,
          commonName: certCa,
          secretName: certCa,
          duration: '43800h',
          privateKey: { algorithm: 'ECDSA', size: 256 },
          issuerRef: { name: certSelfSigned, kind: 'Issuer', group: 'cert-manager.io' },
        },
      },
      {
        apiVersion: CERT_MANAGER,
        kind: 'Issuer',
        metadata: objectMeta(ctx, certCa),
        spec: { ca: { secretName: certCa } },
      },
    );
    servingIssuer = { name: certCa, kind: 'Issuer', group: 'cert-manager.io' };
  }
  objects.push({
    apiVersion: CERT_MANAGER,
    kind: 'Certificate',
    metadata: objectMeta(ctx, certServing),
    spec: {
      secretName: certificate.secretName,
      commonName: serviceDnsNames(ctx)[0],
      dnsNames: serviceDnsNames(ctx),
      duration: '8760h',
      renewBefore: '2920h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
      issuerRef: servingIssuer,
    },
  });
  return objects;
}
