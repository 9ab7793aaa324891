/**
 * lifeboat's admission webhook on the real node seen from outside: a labelled PVC CREATE the API server must send
 * through it, and the certificate its pod serves, checked as the API server checks it.
 */
import { connect as tlsConnect } from 'node:tls';
import type { KubeObject } from '../../src/kube/client.ts';
import type { Scenario } from './realnode-scenario.ts';

/** A labelled PVC CREATE as a dry run: the API server calls lifeboat's webhooks, nothing is stored. */
export async function admitted(s: Scenario, name: string): Promise<{ ok: boolean; error?: string }> {
  const path = await s.kube.resources.collectionPath('v1', 'PersistentVolumeClaim', s.namespace);
  try {
    await s.kube.http.request('POST', path, {
      query: { dryRun: 'All' },
      body: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: s.namespace, labels: { backup: 'manual' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

export interface ServedCertificate {
  /** Whether the chain verified against the caBundle for the Service's DNS name. */
  authorized: boolean;
  /** The ValidatingWebhookConfiguration's caBundle (base64 PEM), as the API server trusts it. */
  caBundle: string;
  /** The leaf certificate the pod presented (DER); empty when no handshake completed. */
  der: Buffer;
  error?: string;
}

/**
 * The certificate lifeboat serves its webhook with, checked as the API server checks it: a TLS handshake with the
 * Service through its cluster IP, trusting only the caBundle of the webhook configuration, for the Service's DNS name.
 */
export async function servedCertificate(s: Scenario): Promise<ServedCertificate> {
  type Webhooks = KubeObject & {
    webhooks?: { clientConfig: { caBundle?: string; service?: { name: string; namespace: string; port?: number } } }[];
  };
  const config = await s.kube.get<Webhooks>({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    name: 'lifeboat',
  });
  const client = config?.webhooks?.[0]?.clientConfig;
  if (!client?.caBundle || !client.service) throw new Error('the webhook configuration has no caBundle or Service');
  const svc = await s.kube.get<KubeObject & { spec: { clusterIP: string } }>({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: client.service.namespace,
    name: client.service.name,
  });
  const ca = Buffer.from(client.caBundle, 'base64').toString('utf8');
  const caBundle = client.caBundle;
  const none = Buffer.alloc(0);
  return await new Promise((resolve) => {
    const socket = tlsConnect({
      host: svc?.spec.clusterIP,
      port: client.service?.port ?? 443,
      ca,
      servername: `${client.service?.name}.${client.service?.namespace}.svc`,
      rejectUnauthorized: false,
      timeout: 5000,
    });
    socket.once('secureConnect', () => {
      const error = socket.authorizationError ? String(socket.authorizationError) : undefined;
      const der = socket.getPeerCertificate().raw ?? none;
      resolve({ authorized: socket.authorized, caBundle, der, ...(error ? { error } : {}) });
      socket.destroy();
    });
    socket.once('error', (error) => resolve({ authorized: false, caBundle, der: none, error: error.message }));
    socket.once('timeout', () => {
      resolve({ authorized: false, caBundle, der: none, error: 'timeout' });
      socket.destroy();
    });
  });
}
