import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { summarizeRows } from '../status/filter.ts';
import type { Ledger, LedgerRow } from '../status/types.ts';
import { auditRoute } from './audit.ts';

function row(namespace: string, pvc: string, verdict: LedgerRow['verdict'], stale = false): LedgerRow {
  return {
    namespace,
    pvc,
    tier: verdict === 'protected' ? 'hourly' : null,
    verdict,
    reason: 'Reason',
    message: 'message',
    phase: 'Bound',
    snapshots: null,
    backup: null,
    stale,
    staleReason: stale ? 'late' : null,
    restorePoint: null,
    restored: null,
    proven: null,
    database: null,
    restoreReady: verdict === 'protected' ? { ready: false, why: 'never synced' } : null,
  };
}

const rows = [row('a', 'web', 'protected', true), row('a', 'cache', 'exempt'), row('b', 'db', 'protected')];
const LEDGER: Ledger = { generatedAt: '2026-06-01T12:00:00.000Z', summary: summarizeRows(rows), rows };

let mode: 'ok' | 'none' | 'throw' = 'ok';
let server: Server;
let base: string;

before(async () => {
  const route = auditRoute(
    async () => {
      if (mode === 'throw') throw new Error('cache exploded');
      return mode === 'ok' ? LEDGER : undefined;
    },
    () => 'not the leader',
  );
  server = createServer((req, res) => {
    if (route(req, res)) return;
    res.writeHead(404).end('fallback');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function get(path: string, method = 'GET') {
  const res = await fetch(`${base}${path}`, { method });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text.startsWith('{') ? text : '{}') as Record<string, unknown>) : {},
    text,
  };
}

describe('/audit', () => {
  it('serves the whole ledger with its summary by verdict', async () => {
    const { status, body } = await get('/audit');
    assert.equal(status, 200);
    assert.deepEqual(body, JSON.parse(JSON.stringify(LEDGER)));
    assert.deepEqual((body.summary as Ledger['summary']).byVerdict, {
      protected: 2,
      waiting: 0,
      exempt: 1,
      database: 0,
      conflict: 0,
      'needs-attention': 0,
      'restore-point-only': 0,
    });
  });

  it('narrows by namespace and verdict, and summarises what it returns', async () => {
    const { body } = await get('/audit?namespace=a&verdict=protected,exempt');
    const ledger = body as unknown as Ledger;
    assert.deepEqual(
      ledger.rows.map((r) => r.pvc),
      ['web', 'cache'],
    );
    assert.equal(ledger.summary.total, 2);
    assert.equal(ledger.summary.stale, 1);
    const protectedOnly = (await get('/audit?verdict=protected')).body as unknown as Ledger;
    assert.deepEqual(
      protectedOnly.rows.map((r) => `${r.namespace}/${r.pvc}`),
      ['a/web', 'b/db'],
    );
  });

  it('refuses unknown verdicts, writes, and leaves other paths alone', async () => {
    const bad = await get('/audit?verdict=happy');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /unknown verdict "happy": use one or more of protected, waiting/);
    assert.equal((await get('/audit', 'POST')).status, 405);
    const other = await get('/auditx');
    assert.deepEqual([other.status, other.text], [404, 'fallback']);
  });

  it('answers 503 while there is no ledger, 500 when building it fails', async () => {
    mode = 'none';
    assert.deepEqual(await get('/audit').then((r) => [r.status, r.body.error]), [503, 'not the leader']);
    mode = 'throw';
    assert.deepEqual(await get('/audit').then((r) => [r.status, r.body.error]), [
      500,
      'building the ledger failed: cache exploded',
    ]);
    mode = 'ok';
  });
});
