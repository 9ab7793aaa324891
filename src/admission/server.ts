/**
 * The webhook's HTTPS server (node:https): `POST /mutate-pvc` and `POST /validate-pvc`, plus whatever a fallback
 * handler serves on the same port (the `/exists` catalog API).
 *
 * - Bounded: bodies over `maxBodyBytes` (1 MiB) are refused with 413 without being read, and the handler answers
 *   within its own decision budget (2 s), so lifeboat answers before the API server gives up.
 * - Connections are held 120 s, longer than the API server's client keeps idle ones (90 s), so Go always closes first:
 *   a POST racing a server-side close fails, and the API server does not retry admission calls. That holds for idle
 *   keep-alive connections (`keepAliveTimeout`) and for connections opened but not used yet (Go dials spares in a
 *   burst and parks them), whose wait for a first request Node counts against `headersTimeout`/`requestTimeout`.
 *   A stalled upload is still cut, after `requestTimeoutMs`.
 * - The certificate is hot-swapped (`setCertificate`) for new connections, without a restart; a key that does not
 *   match its certificate is refused and the old pair kept.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { Registry } from 'prom-client';
import { type ServerLifecycle, serverLifecycle } from '../http/lifecycle.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { type AdmissionHandlerOptions, type AdmissionRequestLog, createAdmissionHandler } from './handler.ts';
import { MUTATE_PATH, VALIDATE_PATH } from './keys.ts';
import { AdmissionMetrics, type WebhookName } from './metrics.ts';
import { certificateNotAfter } from './pki.ts';
import { statusBody } from './review.ts';

export type { AdmissionRequestLog } from './handler.ts';

export interface ServingCertificate {
  /** PEM; may carry intermediates after the leaf. */
  certPem: string;
  keyPem: string;
}

export interface AdmissionServerOptions extends Omit<AdmissionHandlerOptions, 'metrics' | 'logger'> {
  tls: ServingCertificate;
  /** Metrics are registered here; a private registry when omitted. */
  registry?: Registry;
  maxBodyBytes?: number;
  /** A request (headers and body) must arrive within this long; default CONNECTION_HOLD_MS (see above). */
  requestTimeoutMs?: number;
  /** Serves every request the admission routes do not; returns false for "not mine" (then 404). */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Called once per admission request after the answer was sent. Must not throw. */
  onRequest?: (entry: AdmissionRequestLog) => void;
  logger?: Logger;
}

/** `close()` waits up to 5 s by default for requests in flight. */
export interface AdmissionServer extends ServerLifecycle {
  readonly server: Server;
  readonly metrics: AdmissionMetrics;
  /** Serves new connections with this pair from now on; throws (keeping the old pair) when they do not match. */
  setCertificate(certificate: ServingCertificate): void;
}

const ROUTES: Record<string, WebhookName> = { [MUTATE_PATH]: 'mutate', [VALIDATE_PATH]: 'validate' };
const JSON_TYPE = 'application/json';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** How long a connection is held waiting for its next (or first) request: above Go's 90 s idle-connection timeout. */
export const CONNECTION_HOLD_MS = 120_000;

export function createAdmissionServer(options: AdmissionServerOptions): AdmissionServer {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const requestTimeoutMs = options.requestTimeoutMs ?? CONNECTION_HOLD_MS;
  const log = options.logger ?? silentLogger;
  const metrics = new AdmissionMetrics(options.registry ?? new Registry());
  const handler = createAdmissionHandler({ ...options, metrics, logger: log });

  const finish = (entry: AdmissionRequestLog, started: bigint): void => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(entry.webhook, entry.result, seconds);
    try {
      options.onRequest?.({ ...entry, durationMs: seconds * 1000 });
    } catch (error) {
      log.warn('admission: request log hook failed', { error: (error as Error).message });
    }
  };

  const refuse = (
    res: ServerResponse,
    webhook: WebhookName,
    started: bigint,
    status: number,
    reason: string,
    message: string,
    headers: Record<string, string> = {},
  ): void => {
    send(res, status, statusBody(status, reason, message), headers);
    finish({ webhook, result: 'invalid', httpStatus: status }, started);
  };

  const admit = (req: IncomingMessage, res: ServerResponse, webhook: WebhookName): void => {
    const started = process.hrtime.bigint();
    if (req.method !== 'POST') {
      req.resume();
      refuse(res, webhook, started, 405, 'MethodNotAllowed', `use POST for ${req.url}`, { allow: 'POST' });
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== JSON_TYPE) {
      req.resume();
      refuse(res, webhook, started, 415, 'UnsupportedMediaType', `content-type must be ${JSON_TYPE}`);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = `the body exceeds ${maxBodyBytes} bytes; an AdmissionReview of a PVC is a few kilobytes`;
    if (declared > maxBodyBytes) {
      // Answer without reading, then drop the connection instead of draining a huge upload.
      refuse(res, webhook, started, 413, 'RequestEntityTooLarge', tooLarge, { connection: 'close' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        aborted = true;
        chunks.length = 0;
        refuse(res, webhook, started, 413, 'RequestEntityTooLarge', tooLarge, { connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (aborted) return;
      handler(webhook, Buffer.concat(chunks))
        .then((answer) => {
          send(res, answer.httpStatus, answer.body);
          finish(answer.log, started);
        })
        .catch((error: unknown) => {
          // The handler never rejects by contract; this is the last line of defence, still an explained answer.
          log.error('admission: unexpected failure', { webhook, error: (error as Error).message });
          if (!res.headersSent) send(res, 500, statusBody(500, 'InternalError', 'lifeboat failed; see its logs'));
          finish({ webhook, result: 'error', httpStatus: 500 }, started);
        });
    });
    req.on('error', () => {
      aborted = true;
    });
  };

  const server = createServer(
    {
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      minVersion: 'TLSv1.2',
      // Node enforces requestTimeout only when it checks connections (default every 30 s): check often enough for
      // a stalled upload to be cut well before the API server's own timeout.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeoutMs / 4))),
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const webhook = ROUTES[path];
      if (webhook) return admit(req, res, webhook);
      try {
        if (options.fallback?.(req, res)) return;
      } catch (error) {
        log.error('admission: fallback handler failed', { path, error: (error as Error).message });
        if (!res.headersSent) return send(res, 500, statusBody(500, 'InternalError', 'internal error'));
        return;
      }
      req.resume();
      send(res, 404, statusBody(404, 'NotFound', `no route for ${path}: use POST ${MUTATE_PATH} or ${VALIDATE_PATH}`));
    },
  );
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = requestTimeoutMs;
  server.keepAliveTimeout = CONNECTION_HOLD_MS;
  server.on('tlsClientError', (error) => log.debug('admission: TLS handshake failed', { error: error.message }));
  metrics.certificate(certificateNotAfter(options.tls.certPem));

  return {
    server,
    metrics,
    ...serverLifecycle(server, 5_000),
    setCertificate(certificate) {
      // createSecureContext fails on a key that does not belong to the certificate; setSecureContext would not.
      createSecureContext({ cert: certificate.certPem, key: certificate.keyPem });
      const notAfter = certificateNotAfter(certificate.certPem);
      server.setSecureContext({ cert: certificate.certPem, key: certificate.keyPem, minVersion: 'TLSv1.2' });
      metrics.certificate(notAfter);
      log.info('admission: serving certificate swapped', { notAfter: notAfter.toISOString() });
    },
  };
}
