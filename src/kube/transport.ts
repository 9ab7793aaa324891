/**
 * Raw JSON over HTTPS to the API server, with the connection's credentials. lifeboat uses it instead of the generated
 * clients where it needs control the library does not give: a deadline on every request (a lease renewal must not
 * hang past its renew deadline), an AbortSignal, watch streams that report every way they end (server close, network
 * error, in-stream 410, silence), and objects exactly as the server sent them (timestamps stay strings).
 *
 * Errors: a non-2xx answer becomes the library's `ApiException` carrying the server's Status (see errors.ts); a
 * network failure becomes an Error naming the request; an abort becomes an Error named `AbortError`.
 */
import type http from 'node:http';
import https from 'node:https';
import { nodeHttp } from '../node-http.ts';
import { statusError } from './errors.ts';

/**
 * Where the API server is and how to authenticate to it. @kubernetes/client-node's KubeConfig satisfies it (full
 * kubeconfig support: exec plugins, OIDC, proxies); `InClusterConfig` satisfies it without loading that library.
 */
export interface ConnectionConfig {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  /** Sets TLS material (`ca`, `cert`, `key`, …), auth `headers` and possibly an `agent` on the options. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** JSON-serialised unless it is a string already. */
  body?: unknown;
  /** Default `application/json`; e.g. `application/apply-patch+yaml`, `application/merge-patch+json`. */
  contentType?: string;
  signal?: AbortSignal;
  /** Deadline for the whole exchange; default the transport's (30 s). */
  timeoutMs?: number;
  /** Default `application/json`; a metadata-only read asks for PartialObjectMetadata here. */
  accept?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: Record<string, unknown>;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Fail the watch when no byte arrived for this long (a silently dead connection never ends on its own). */
  idleTimeoutMs: number;
  /** Default `application/json`; a metadata-only watch asks for PartialObjectMetadata here. */
  accept?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function abortError(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}

export class KubeTransport {
  readonly server: string;
  readonly timeoutMs: number;
  private readonly config: ConnectionConfig;
  /** Connections are reused (a lease renewal every 2 s should not pay a TLS handshake each time). */
  private readonly keepAliveAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 15_000 });

  constructor(config: ConnectionConfig, opts: { timeoutMs?: number } = {}) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.config = config;
    this.server = cluster.server.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** Sends one request and resolves with the parsed JSON answer (undefined for an empty body). */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.url(path, opts.query);
    const payload =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (payload) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const what = `${method} ${url.pathname}`;
    const options = await this.options(method, headers);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return await new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      const req = this.module(url).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => finish(new Error(`${what}: ${error.message}`, { cause: error })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (a proxy's error page, say): keep the text for the message
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) finish(undefined, body as T);
          else finish(statusError(code, body, flatHeaders(res.headers)));
        });
      });
      const onAbort = () => {
        const error = abortError(`${what}: aborted`);
        req.destroy(error);
        finish(error);
      };
      const timer = setTimeout(() => {
        const error = new Error(`${what}: no answer within ${timeoutMs} ms`);
        req.destroy(error);
        finish(error);
      }, timeoutMs);
      // The error listener comes first: destroying the request on abort emits 'error'.
      req.on('error', (error) => finish(new Error(`${what}: ${error.message}`, { cause: error })));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(payload);
    });
  }

  /**
   * Opens a watch (`watch=1` is added) and calls `onEvent` for every event line until the stream ends. Resolves when
   * the server closes the stream normally (its timeoutSeconds passed); rejects on a non-200 answer, an in-stream ERROR
   * event (a Status, e.g. 410 Expired, as an ApiException), a network error, an unparsable line, idleness, or abort.
   */
  async watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, opts: WatchOptions): Promise<void> {
    const url = this.url(path, { ...query, watch: 1 });
    const what = `watch ${url.pathname}`;
    const options = await this.options('GET', { accept: opts.accept ?? 'application/json' });
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        opts.signal?.removeEventListener('abort', onAbort);
        // Closes the socket in every case: a watch connection must never stay open after we stopped reading it.
        req.destroy();
        if (error) reject(error);
        else resolve();
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => finish(new Error(`${what}: no data for ${opts.idleTimeoutMs} ms`)), opts.idleTimeoutMs);
      };
      const req = this.module(url).request(url, options, (res) => {
        res.setEncoding('utf8');
        const code = res.statusCode ?? 0;
        if (code !== 200) {
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // keep the text
            }
            finish(statusError(code, body, flatHeaders(res.headers)));
          });
          return;
        }
        let pending = '';
        res.on('data', (chunk: string) => {
          armIdle();
          pending += chunk;
          let newline = pending.indexOf('\n');
          while (newline >= 0 && !settled) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            newline = pending.indexOf('\n');
            if (line) handleLine(line);
          }
        });
        res.on('end', () => finish());
        res.on('error', (error) => finish(new Error(`${what}: ${error.message}`, { cause: error })));
        // A reset after the headers arrived surfaces as 'aborted'/'close' on the response, not as 'error'.
        res.on('close', () => finish(settled ? undefined : new Error(`${what}: connection closed`)));
      });
      const handleLine = (line: string) => {
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          finish(new Error(`${what}: unparsable event line (${line.length} bytes)`));
          return;
        }
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number };
          finish(statusError(status.code ?? 500, event.object));
          return;
        }
        try {
          onEvent(event);
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const onAbort = () => finish(abortError(`${what}: aborted`));
      req.on('error', (error) => finish(new Error(`${what}: ${error.message}`, { cause: error })));
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      armIdle();
      req.end();
    });
  }

  /** Closes idle pooled connections (at shutdown, so the process can exit promptly). */
  close(): void {
    this.keepAliveAgent.destroy();
  }

  private module(url: URL): typeof https | typeof http {
    return url.protocol === 'http:' ? nodeHttp : https;
  }

  /** TLS material and auth headers from the kubeconfig, read per request so rotated tokens and certificates apply. */
  private async options(method: string, headers: Record<string, string>): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(options);
    const cluster = this.config.getCurrentCluster();
    // The library's agent is kept when it implements a proxy; otherwise ours, which reuses connections.
    if (!cluster?.proxyUrl && this.server.startsWith('https:')) options.agent = this.keepAliveAgent;
    options.method = method;
    options.headers = { ...(options.headers as Record<string, string> | undefined), ...headers };
    return options;
  }
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
