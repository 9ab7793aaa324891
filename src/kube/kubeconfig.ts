/**
 * A small kubeconfig reader for the common cases: client certificates, bearer tokens (inline or from a file) and
 * basic auth, with the cluster's CA inline or from a file. It keeps @kubernetes/client-node (about 80 MiB of
 * generated models, 0.7 s to load) out of the process; kubeconfigs that need more — exec credential plugins, auth
 * providers, proxies — return `undefined` and the caller falls back to the library.
 */
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ConnectionConfig } from './transport.ts';

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

function pick(list: unknown, name: string, kind: 'cluster' | 'user' | 'context'): Fields | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Named<Fields>[]).find((e) => e?.name === name);
  return entry?.[kind] as Fields | undefined;
}

const SUPPORTED_USER_KEYS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'username',
  'password',
]);
const SUPPORTED_CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);

export class SimpleKubeConfig implements ConnectionConfig {
  readonly server: string;
  readonly #tls: RequestOptions;
  readonly #tokenFile: string | undefined;
  readonly #authorization: string | undefined;

  private constructor(server: string, tls: RequestOptions, auth: { header?: string; tokenFile?: string }) {
    this.server = server;
    this.#tls = tls;
    this.#authorization = auth.header;
    this.#tokenFile = auth.tokenFile;
  }

  /**
   * Reads `path` (or the first file of $KUBECONFIG). Returns undefined when the kubeconfig needs what this reader
   * does not do; throws with the file's name when it is unreadable or has no usable current context.
   */
  static load(path: string): SimpleKubeConfig | undefined {
    const text = readFileSync(path, 'utf8');
    const doc = (parse(text) ?? {}) as Fields;
    const contextName = doc['current-context'];
    if (typeof contextName !== 'string' || !contextName) {
      throw new Error(`kubeconfig ${path} has no current-context: run \`kubectl config use-context <name>\``);
    }
    const context = pick(doc.contexts, contextName, 'context');
    if (!context) throw new Error(`kubeconfig ${path}: context "${contextName}" is not defined`);
    const cluster = pick(doc.clusters, String(context.cluster ?? ''), 'cluster');
    const user = pick(doc.users, String(context.user ?? ''), 'user') ?? {};
    if (!cluster || typeof cluster.server !== 'string') {
      throw new Error(`kubeconfig ${path}: cluster "${String(context.cluster)}" has no server`);
    }
    if (Object.keys(cluster).some((k) => !SUPPORTED_CLUSTER_KEYS.has(k))) return undefined;
    if (Object.keys(user).some((k) => !SUPPORTED_USER_KEYS.has(k))) return undefined;

    const base = dirname(path);
    const file = (value: unknown) =>
      readFileSync(isAbsolute(String(value)) ? String(value) : resolve(base, String(value)));
    const data = (inline: unknown, fromFile: unknown): Buffer | undefined => {
      if (typeof inline === 'string' && inline) return Buffer.from(inline, 'base64');
      if (typeof fromFile === 'string' && fromFile) return file(fromFile);
      return undefined;
    };
    const tls: RequestOptions = {};
    const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
    if (ca) tls.ca = ca;
    if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
    if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];
    const cert = data(user['client-certificate-data'], user['client-certificate']);
    const key = data(user['client-key-data'], user['client-key']);
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    let header: string | undefined;
    if (typeof user.token === 'string' && user.token) header = `Bearer ${user.token}`;
    else if (typeof user.username === 'string' && typeof user.password === 'string') {
      header = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
    }
    const tokenFile =
      typeof user.tokenFile === 'string' && user.tokenFile
        ? isAbsolute(user.tokenFile)
          ? user.tokenFile
          : resolve(base, user.tokenFile)
        : undefined;
    return new SimpleKubeConfig(cluster.server, tls, {
      ...(header ? { header } : {}),
      ...(tokenFile ? { tokenFile } : {}),
    });
  }

  getCurrentCluster(): { server: string } {
    return { server: this.server };
  }

  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    Object.assign(options, this.#tls);
    // A token file is re-read on every request (cheap), so a rotated token is used at once.
    const authorization = this.#tokenFile
      ? `Bearer ${readFileSync(this.#tokenFile, 'utf8').trim()}`
      : this.#authorization;
    if (authorization) options.headers = { ...(options.headers ?? {}), Authorization: authorization };
  }
}
