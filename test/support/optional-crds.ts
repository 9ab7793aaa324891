/**
 * Minimal CustomResourceDefinitions for the optional objects lifeboat's chart can render — Prometheus Operator's
 * ServiceMonitor and PrometheusRule, cert-manager's Certificate and Issuer — which are not among ../shared/crds.
 *
 * They are written for the tests, not copied from upstream: the same group, version, kind and scope, and a
 * structural schema of exactly the fields lifeboat renders, with the types, enums and required fields upstream
 * declares for them (prometheus-operator v0.8x monitoring.coreos.com/v1, cert-manager v1.1x cert-manager.io/v1). Since
 * the dry-run uses fieldValidation=Strict, a field lifeboat renders that is missing here, or misspelt there, fails.
 * What they cannot check is anything upstream validates beyond these fields (CEL rules, webhooks).
 */
import type { KubeObject } from '../../src/kube/client.ts';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const duration: Schema = {
  type: 'string',
  pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
};
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const list = (items: Schema): Schema => ({ type: 'array', items });

const labelSelector = obj({
  matchLabels: stringMap,
  matchExpressions: list(obj({ key: str, operator: str, values: list(str) }, ['key', 'operator'])),
});

function crd(group: string, kind: string, plural: string, spec: Schema): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: obj({ apiVersion: str, kind: str, metadata: { type: 'object' }, spec }, ['spec']),
          },
        },
      ],
    },
  };
}

const issuerRef = obj({ name: str, kind: str, group: str }, ['name']);

export const OPTIONAL_CRDS: readonly KubeObject[] = [
  crd(
    'monitoring.coreos.com',
    'ServiceMonitor',
    'servicemonitors',
    obj(
      {
        jobLabel: str,
        selector: labelSelector,
        namespaceSelector: obj({ any: bool, matchNames: list(str) }),
        endpoints: list(
          obj({
            port: str,
            path: str,
            scheme: { type: 'string', enum: ['http', 'https'] },
            interval: duration,
            scrapeTimeout: duration,
            honorLabels: bool,
          }),
        ),
      },
      ['selector'],
    ),
  ),
  crd(
    'monitoring.coreos.com',
    'PrometheusRule',
    'prometheusrules',
    obj({
      groups: list(
        obj(
          {
            name: { type: 'string', minLength: 1 },
            interval: duration,
            rules: list(
              obj(
                {
                  alert: str,
                  record: str,
                  expr: { 'x-kubernetes-int-or-string': true },
                  for: duration,
                  keep_firing_for: duration,
                  labels: stringMap,
                  annotations: stringMap,
                },
                ['expr'],
              ),
            ),
          },
          ['name'],
        ),
      ),
    }),
  ),
  crd(
    'cert-manager.io',
    'Certificate',
    'certificates',
    obj(
      {
        secretName: str,
        commonName: str,
        dnsNames: list(str),
        isCA: bool,
        duration: str,
        renewBefore: str,
        privateKey: obj({
          algorithm: { type: 'string', enum: ['RSA', 'ECDSA', 'Ed25519'] },
          size: int,
          rotationPolicy: { type: 'string', enum: ['Never', 'Always'] },
          encoding: { type: 'string', enum: ['PKCS1', 'PKCS8'] },
        }),
        usages: list({
          type: 'string',
          enum: [
            'signing',
            'digital signature',
            'content commitment',
            'key encipherment',
            'key agreement',
            'data encipherment',
            'cert sign',
            'crl sign',
            'encipher only',
            'decipher only',
            'any',
            'server auth',
            'client auth',
            'code signing',
            'email protection',
            's/mime',
            'ipsec end system',
            'ipsec tunnel',
            'ipsec user',
            'timestamping',
            'ocsp signing',
            'microsoft sgc',
            'netscape sgc',
          ],
        }),
        issuerRef,
      },
      ['issuerRef', 'secretName'],
    ),
  ),
  crd(
    'cert-manager.io',
    'Issuer',
    'issuers',
    obj({
      selfSigned: obj({ crlDistributionPoints: list(str) }),
      ca: obj({ secretName: str, crlDistributionPoints: list(str), ocspServers: list(str) }, ['secretName']),
    }),
  ),
];
