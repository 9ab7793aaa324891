/**
 * Raw JSON access to the Kubernetes API. @kubernetes/client-node provides the credentials (kubeconfig or in-cluster
 * service account, including token refresh) through `applyToHTTPSOptions`; bodies go over the wire exactly as
 * lifeboat wrote them. (The library's generic object API round-trips bodies through its generated models, which
 * drops fields it does not model, e.g. `x-kubernetes-int-or-string` in CRDs, and turns timestamps into Dates.)
 */
import { Agent, type RequestOptions, request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** HTTP status (0 when the server was not reached). */
  readonly status: number;
  /** The Status object's `reason`, e.g. `NotFound`, `Conflict`, `Invalid`, `AlreadyExists`. */
  readonly reason: string;
  readonly body: unknown;
  constructor(status: number, reason: string, message: string, body?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

interface Resource {
  plural: string;
  namespaced: boolean;
}

export class KubeRest {
  readonly config: KubeConfig;
  readonly server: URL;
  #agent: Agent | undefined;
  readonly #discovery = new Map<string, Promise<Map<string, Resource>>>();

  constructor(config: KubeConfig) {
    this.config = config;
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster: set a current-context');
    this.server = new URL(cluster.server);
  }

  /** Per-request TLS and auth options (re-read every time so rotated service-account tokens are picked up). */
  async #options(): Promise<RequestOptions> {
    const opts: RequestOptions = {};
    await this.config.applyToHTTPSOptions(opts);
    if (!this.#agent) {
      this.#agent = new Agent({
        keepAlive: true,
        maxSockets: 32,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
      });
    }
    return { ...opts, agent: this.#agent };
  }

  url(path: string, query?: RequestSpec['query']): URL {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** Sends one request; resolves with the parsed JSON body, rejects with KubeApiError for any non-2xx status. */
  async request<T = unknown>(spec: RequestSpec): Promise<T> {
    const url = this.url(spec.path, spec.query);
    const base = await this.#options();
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    return await new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          ...base,
          method: spec.method,
          signal: spec.signal,
          timeout: spec.timeoutMs ?? 30_000,
          headers: {
            ...(base.headers ?? {}),
            Accept: 'application/json',
            'User-Agent': 'lifeboat',
            ...(payload !== undefined
              ? { 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new KubeApiError(0, 'Unreachable', e.message, undefined, { cause: e })));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = text;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON (e.g. a proxy's error page): keep the text
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(json as T);
            const s = (typeof json === 'object' && json ? json : {}) as { reason?: string; message?: string };
            reject(
              new KubeApiError(status, s.reason ?? '', s.message ?? `HTTP ${status}: ${text.slice(0, 200)}`, json),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${url.pathname} timed out`)));
      req.on('error', (e) => reject(new KubeApiError(0, 'Unreachable', e.message, undefined, { cause: e })));
      req.end(payload);
    });
  }

  /** apiVersion+kind → resource path segment, by API discovery (cached; refreshed once on a miss, for new CRDs). */
  async resource(apiVersion: string, kind: string): Promise<Resource> {
    const load = (refresh: boolean) => {
      let entry = this.#discovery.get(apiVersion);
      if (!entry || refresh) {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        entry = this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>({
          method: 'GET',
          path,
        }).then((list) => {
          const map = new Map<string, Resource>();
          for (const r of list.resources) {
            if (!r.name.includes('/')) map.set(r.kind, { plural: r.name, namespaced: r.namespaced });
          }
          return map;
        });
        entry.catch(() => this.#discovery.delete(apiVersion));
        this.#discovery.set(apiVersion, entry);
      }
      return entry;
    };
    let found = (await load(false).catch(() => load(true))).get(kind);
    if (!found) found = (await load(true)).get(kind);
    if (!found) throw new KubeApiError(404, 'NotFound', `the API server does not serve ${kind} in ${apiVersion}`);
    return found;
  }

  /** The REST path of a collection (name omitted) or of one object. */
  async path(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }
}
