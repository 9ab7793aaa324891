/**
 * `GET /audit`: the protection ledger as JSON (the same rows as `lifeboat status --output json`), with its summary by
 * verdict. Read-only; `?namespace=` and `?verdict=a,b` narrow it. A route handler for the operator's HTTP server:
 * it answers (and returns true) only for `/audit`, so it can be mounted in front of other routes.
 *
 * The ledger comes from the caller, who builds it from what it already holds in memory (the controller's caches and
 * the catalog): a request never lists the cluster or reads the repository.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { filterLedger, parseVerdicts } from '../status/filter.ts';
import type { Ledger } from '../status/types.ts';

export const AUDIT_PATH = '/audit';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * `ledger` returns the current ledger, or undefined while it cannot be built yet (caches not synced, not the
 * leader): then the answer is 503 with the reason.
 */
export function auditRoute(
  ledger: () => Ledger | undefined | Promise<Ledger | undefined>,
  notReady: () => string = () => 'the ledger is not available yet',
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== AUDIT_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: 'read-only: use GET' });
      return true;
    }
    const namespace = url.searchParams.get('namespace') ?? undefined;
    const verdictParam = url.searchParams.get('verdict');
    let verdicts: ReturnType<typeof parseVerdicts> | undefined;
    try {
      verdicts = verdictParam === null ? undefined : parseVerdicts(verdictParam);
    } catch (error) {
      json(res, 400, { error: (error as Error).message });
      return true;
    }
    void (async () => {
      try {
        const current = await ledger();
        if (!current) return json(res, 503, { error: notReady() });
        json(
          res,
          200,
          filterLedger(current, { ...(namespace ? { namespace } : {}), ...(verdicts ? { verdicts } : {}) }),
        );
      } catch (error) {
        if (!res.headersSent) json(res, 500, { error: `building the ledger failed: ${(error as Error).message}` });
      }
    })();
    return true;
  };
}
