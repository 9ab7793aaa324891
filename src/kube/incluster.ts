/**
 * The pod's own service-account credentials, read the way client-go reads them: the API server from
 * KUBERNETES_SERVICE_HOST/PORT, the CA and the token from the mounted service-account directory. The token is a
 * projected, expiring token that the kubelet rewrites before it expires, so it is re-read at most a minute after each
 * read; nothing is cached for longer. The token is only ever put into the Authorization header, never logged.
 *
 * This is what the operator uses in a pod; it keeps @kubernetes/client-node (and its memory) out of the process.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type https from 'node:https';
import { join } from 'node:path';
import type { ConnectionConfig } from './transport.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const REREAD_MS = 60_000;

export class InClusterConfig implements ConnectionConfig {
  readonly server: string;
  /** The pod's namespace (the service account's), e.g. for its Lease and Events. */
  readonly namespace: string;
  private readonly dir: string;
  private cached: { token: string; ca: Buffer; readAt: number } | undefined;

  constructor(opts: { env?: NodeJS.ProcessEnv; dir?: string } = {}) {
    const env = opts.env ?? process.env;
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) {
      throw new Error('not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
    }
    this.server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
    this.namespace = readFileSync(join(this.dir, 'namespace'), 'utf8').trim();
  }

  /** True when the process runs in a pod with a service account mounted. */
  static available(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): boolean {
    try {
      readFileSync(join(dir, 'token'));
      return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
    } catch {
      return false;
    }
  }

  getCurrentCluster(): { server: string } {
    return { server: this.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    const now = Date.now();
    if (!this.cached || now - this.cached.readAt >= REREAD_MS) {
      const [token, ca] = await Promise.all([
        readFile(join(this.dir, 'token'), 'utf8'),
        readFile(join(this.dir, 'ca.crt')),
      ]);
      this.cached = { token: token.trim(), ca, readAt: now };
    }
    options.ca = this.cached.ca;
    options.headers = {
      ...(options.headers as Record<string, string> | undefined),
      authorization: `Bearer ${this.cached.token}`,
    };
  }
}
