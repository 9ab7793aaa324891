/**
 * Listening and graceful closing, shared by lifeboat's HTTP servers (the catalog API, the ops endpoints and the
 * admission webhook):
 * - `listen()` resolves with the bound address, or rejects with the bind error (a port already taken).
 * - `close()` stops accepting, closes idle keep-alive connections at once, lets requests in flight finish within a
 *   grace period, then cuts what is left. While closing, a connection whose response is done is closed right away
 *   instead of idling until the grace period ends. Connections with a request in flight are never cut early: the API
 *   server's Go client does not retry a POST that died with EOF, so an admission request would fail.
 * - `drain()` keeps listening and answering, but like `close()` ends every connection once its response is done, and
 *   idle ones at once. A client with a kept-alive connection to a pod that is going away (the API server calling the
 *   webhook) then connects afresh through the Service, which routes it to a replica that stays.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ServerLifecycle {
  /** Starts listening; resolves with the bound address (port 0: any free port). */
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then closes what is left. */
  close(graceMs?: number): Promise<void>;
  /** Keeps serving, but no connection outlives its current response. */
  drain(): void;
}

export function serverLifecycle(server: HttpServer | HttpsServer, defaultGraceMs: number): ServerLifecycle {
  // Set by drain() and close(): from then on no connection outlives its response.
  let ending = false;
  // A second 'request' listener next to the server's handler: it only watches each response's end.
  server.on('request', (_req, res) => {
    res.on('finish', () => {
      if (ending) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    listen(host, port) {
      ending = false;
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    drain() {
      ending = true;
      server.closeIdleConnections();
    },
    async close(graceMs = defaultGraceMs) {
      if (!server.listening) return;
      ending = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
