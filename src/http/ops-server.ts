/**
 * The operator's own small HTTP endpoint: `/healthz` (the process), `/readyz` (the caller's readiness check, from
 * memory only: docs/design.md#readiness-that-does-backend-io), `/metrics` (Prometheus text from the registry). Other
 * routes can be mounted in front.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { nodeHttp } from '../node-http.ts';
import { type ServerLifecycle, serverLifecycle } from './lifecycle.ts';

export interface OpsServerOptions {
  /** Merged at every scrape, so metrics registered later (a new leader term) are included. */
  registries: Registry[];
  /** Why the process is not ready, or undefined when it is. */
  notReady: () => string | undefined;
  /** Handles a request first; returns true when it answered. */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;
}

/** `close()` waits up to 5 s by default for requests in flight (a Prometheus scrape, a probe). */
export interface OpsServer extends ServerLifecycle {
  server: Server;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export function createOpsServer(opts: OpsServerOptions): OpsServer {
  const server = nodeHttp.createServer(async (req, res) => {
    try {
      if (opts.routes && (await opts.routes(req, res))) return;
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'use GET' });
      if (path === '/healthz') return json(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        const why = opts.notReady();
        return why === undefined
          ? json(res, 200, { status: 'ok' })
          : json(res, 503, { status: 'not ready', error: why });
      }
      if (path === '/metrics') {
        const merged = Registry.merge(opts.registries);
        const text = await merged.metrics();
        res.writeHead(200, { 'content-type': merged.contentType });
        return void res.end(text);
      }
      json(res, 404, { error: `no such endpoint ${path}: try /healthz, /readyz or /metrics` });
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  return { server, ...serverLifecycle(server, 5_000) };
}
