/**
 * A small kubeconfig reader for the common cases: client certificates, bearer tokens (inline or from a file) and
 * basic auth, with the cluster's CA inline or from a file. It keeps @kubernetes/client-node (about 80 MiB of
 * generated models, 0.7 s to load) out of the process; kubeconfigs that need more — exec credential plugins, auth
 * providers, proxies — return `undefined` and the caller falls back to the library. Several files (a $KUBECONFIG
 * list) merge as kubectl merges them, and a missing or broken file is a KubeconfigError that names it.
 */
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ConnectionConfig } from './transport.ts';

/** A problem with the kubeconfig the user pointed at (missing, unreadable, no such context): theirs to fix. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  /** The file that is not valid YAML (with the parser's error as `cause`), so a caller can show line and caret. */
  readonly invalidYamlFile: string | undefined;

  constructor(message: string, options?: { cause?: unknown; invalidYamlFile?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.invalidYamlFile = options?.invalidYamlFile;
  }
}

type Fields = Record<string, unknown>;

/** A named cluster, user or context, with the directory of the file that defined it (relative paths resolve there). */
interface Entry {
  fields: Fields;
  base: string;
}

/** The kubeconfig files merged the way kubectl merges $KUBECONFIG: the first file to name an entry wins. */
export interface MergedKubeconfig {
  files: readonly string[];
  currentContext?: string;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
}

function readDoc(path: string): Fields {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new KubeconfigError(`cannot read kubeconfig ${path} (${code})`);
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${path} is not valid YAML`, { cause: error, invalidYamlFile: path });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new KubeconfigError(
      `kubeconfig ${path} is not a kubeconfig (expected a YAML map with clusters, users, contexts)`,
    );
  }
  return doc as Fields;
}

/**
 * Reads and merges `files` in order (kubectl's rules: a name defined by an earlier file wins, the first non-empty
 * current-context wins). Every file must exist: the caller decides which candidates to pass.
 */
export function mergeKubeconfigs(files: readonly string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { files, clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    const doc = readDoc(file);
    const base = dirname(resolve(file));
    if (merged.currentContext === undefined && typeof doc['current-context'] === 'string' && doc['current-context']) {
      merged.currentContext = doc['current-context'];
    }
    for (const [list, kind] of [
      ['clusters', 'cluster'],
      ['users', 'user'],
      ['contexts', 'context'],
    ] as const) {
      const entries = doc[list];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries as Fields[]) {
        const name = entry?.name;
        const fields = entry?.[kind];
        if (typeof name !== 'string' || merged[list].has(name)) continue;
        merged[list].set(name, { fields: (fields ?? {}) as Fields, base });
      }
    }
  }
  return merged;
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

  /** Reads one kubeconfig file (see `fromMerged`). */
  static load(path: string, context?: string): SimpleKubeConfig | undefined {
    return SimpleKubeConfig.fromMerged(mergeKubeconfigs([path]), context);
  }

  /**
   * The connection of `context` (default: the current context). Returns undefined when the kubeconfig needs what
   * this reader does not do; throws KubeconfigError naming the files when there is no usable context.
   */
  static fromMerged(kc: MergedKubeconfig, contextOverride?: string): SimpleKubeConfig | undefined {
    const where = kc.files.length === 1 ? `kubeconfig ${kc.files[0]}` : `kubeconfig (${kc.files.join(', ')})`;
    const contextName = contextOverride ?? kc.currentContext;
    if (!contextName) {
      throw new KubeconfigError(
        `${where} has no current-context: pass --context <name> or run \`kubectl config use-context <name>\``,
      );
    }
    const context = kc.contexts.get(contextName)?.fields;
    if (!context) {
      const known = [...kc.contexts.keys()];
      throw new KubeconfigError(
        `${where}: context "${contextName}" is not defined${known.length > 0 ? ` (contexts: ${known.join(', ')})` : ''}`,
      );
    }
    const clusterEntry = kc.clusters.get(String(context.cluster ?? ''));
    const userEntry = kc.users.get(String(context.user ?? ''));
    const cluster = clusterEntry?.fields;
    const user = userEntry?.fields ?? {};
    if (!cluster || typeof cluster.server !== 'string') {
      throw new KubeconfigError(
        `${where}: cluster "${String(context.cluster)}" of context "${contextName}" has no server`,
      );
    }
    if (Object.keys(cluster).some((k) => !SUPPORTED_CLUSTER_KEYS.has(k))) return undefined;
    if (Object.keys(user).some((k) => !SUPPORTED_USER_KEYS.has(k))) return undefined;

    const fileOf = (value: unknown, base: string) =>
      isAbsolute(String(value)) ? String(value) : resolve(base, String(value));
    const data = (inline: unknown, fromFile: unknown, base: string): Buffer | undefined => {
      if (typeof inline === 'string' && inline) return Buffer.from(inline, 'base64');
      if (typeof fromFile === 'string' && fromFile) {
        const path = fileOf(fromFile, base);
        try {
          return readFileSync(path);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          throw new KubeconfigError(`${where}: cannot read ${path} (${code})`);
        }
      }
      return undefined;
    };
    const clusterBase = clusterEntry?.base ?? '.';
    const userBase = userEntry?.base ?? '.';
    const tls: RequestOptions = {};
    const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority'], clusterBase);
    if (ca) tls.ca = ca;
    if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
    if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];
    const cert = data(user['client-certificate-data'], user['client-certificate'], userBase);
    const key = data(user['client-key-data'], user['client-key'], userBase);
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    let header: string | undefined;
    if (typeof user.token === 'string' && user.token) header = `Bearer ${user.token}`;
    else if (typeof user.username === 'string' && typeof user.password === 'string') {
      header = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
    }
    const tokenFile =
      typeof user.tokenFile === 'string' && user.tokenFile ? fileOf(user.tokenFile, userBase) : undefined;
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
