/**
 * A scripted loopback API server for unit tests of the kube layer's caches: ConfigMaps only, a list of fixed names,
 * watches held open until the server closes. It records every request, so a test can count lists and watches.
 * (test/integration/kube-layer.test.ts runs the real API server.)
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/client.ts';

export interface ScriptedApi {
  kube: KubeClient;
  /** `list` or `watch`, with the label selector, in the order they arrived. */
  requests: string[];
  /** Names the next lists answer with; `hold: true` keeps lists unanswered until `release()`. */
  names: string[];
  hold: boolean;
  release(): void;
  close(): Promise<void>;
}

export async function scriptedApi(): Promise<ScriptedApi> {
  const watches: ServerResponse[] = [];
  const held: (() => void)[] = [];
  const api: ScriptedApi = {
    kube: undefined as unknown as KubeClient,
    requests: [],
    names: [],
    hold: false,
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: async () => {
      api.kube.close();
      for (const res of watches) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1') {
      res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
      return;
    }
    const selector = url.searchParams.get('labelSelector') ?? '';
    if (url.searchParams.get('watch')) {
      api.requests.push(`watch ${selector}`.trim());
      res.writeHead(200, { 'content-type': 'application/json' });
      watches.push(res);
      return;
    }
    api.requests.push(`list ${selector}`.trim());
    const items = api.names.map((name, i) => ({ metadata: { name, namespace: 'ns', resourceVersion: String(i + 1) } }));
    const answer = () => res.end(JSON.stringify({ metadata: { resourceVersion: '10' }, items }));
    if (api.hold) held.push(answer);
    else answer();
  });
  const kc = await listenLoopback(server);
  api.kube = new KubeClient(kc);
  return api;
}

/** Starts a scripted server on a loopback port and returns a kubeconfig for it (plain HTTP, optional bearer token). */
export async function listenLoopback(server: Server, token?: string): Promise<KubeConfig> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const kc = new KubeConfig();
  // Plain HTTP is only allowed with skipTLSVerify; the scripted server needs no TLS.
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', ...(token ? { token } : {}) }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
