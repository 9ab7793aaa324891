/**
 * The catalog's HTTP API on node:http: `/exists/{namespace}/{pvc}`, `/healthz`, `/readyz`, `/metrics`.
 *
 * - `/healthz` is the process only; `/readyz` is "the catalog has finished its first refresh" — memory only, never
 *   backend I/O per probe (docs/design.md#readiness-that-does-backend-io). Backend health is a metric and part of each
 * decision, not readiness: a
 *   broken repository makes its PVCs' answers unknown, it does not take the server out of its Service.
 * - Timeouts on headers, requests and idle keep-alive connections, so slow or stuck clients cannot pile up.
 * - `close()` stops accepting, lets requests in flight finish within a grace period, then cuts the rest.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Catalog } from '../catalog/catalog.ts';
import { nodeHttp } from '../node-http.ts';
import { badRequest, type ExistsAnswer, type ExpectedHistoryLookup, existsAnswer, parseExistsPath } from './exists.ts';
import { type ServerLifecycle, serverLifecycle } from './lifecycle.ts';
import { CatalogMetrics } from './metrics.ts';

export interface CatalogServerOptions {
  catalog: Catalog;
  /** Created for the catalog when not given. */
  metrics?: CatalogMetrics;
  /** The expected-history ledger, when there is one. */
  expectedHistory?: ExpectedHistoryLookup;
  /** Whole-request bound (PVC Plumber: 10 s server timeouts). Default 10 s. */
  requestTimeoutMs?: number;
  /** Where unexpected handler errors are reported. */
  log?: (line: string) => void;
}

/** `close()` waits up to 10 s by default for requests in flight. */
export interface CatalogServer extends ServerLifecycle {
  readonly server: Server;
  readonly metrics: CatalogMetrics;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function createCatalogServer(options: CatalogServerOptions): CatalogServer {
  const { catalog } = options;
  const metrics = options.metrics ?? new CatalogMetrics(catalog);
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const log = options.log ?? (() => {});

  const exists = async (res: ServerResponse, pathname: string): Promise<void> => {
    const parsed = parseExistsPath(pathname);
    let answer: ExistsAnswer;
    if ('error' in parsed) {
      answer = badRequest(parsed.error);
    } else {
      answer = await existsAnswer(catalog, parsed.ref, options.expectedHistory);
    }
    metrics.recordExists(catalog.source.backend, answer.decision);
    send(res, answer.status, answer.body);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The host is irrelevant (only the path is routed); a fixed base keeps URL parsing total.
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: `method ${req.method} is not allowed: use GET` }, { allow: 'GET, HEAD' });
      return;
    }
    if (pathname === '/healthz') return send(res, 200, { status: 'ok' });
    if (pathname === '/readyz') {
      const status = catalog.status();
      if (status.loaded) return send(res, 200, { status: 'ok' });
      return send(res, 503, {
        status: 'not ready',
        error: 'the catalog has not finished its first read of the repository yet',
      });
    }
    if (pathname === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (pathname === '/exists' || pathname.startsWith('/exists/')) return await exists(res, pathname);
    send(res, 404, { error: `no route for ${pathname}: use /exists/{namespace}/{pvc}, /healthz, /readyz or /metrics` });
  };

  const server = nodeHttp.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`http: ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (req.url?.startsWith('/exists')) metrics.recordExists(catalog.source.backend, undefined);
      if (!res.headersSent) {
        // Fail closed in PVC Plumber's shape: callers read any error as unknown.
        send(res, 500, { exists: false, decision: 'unknown', authoritative: false, error: 'internal error' });
      } else {
        res.destroy();
      }
    });
  });
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = Math.min(requestTimeoutMs, 10_000);
  server.keepAliveTimeout = 5_000;

  return { server, metrics, ...serverLifecycle(server, 10_000) };
}
