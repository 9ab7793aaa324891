import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../test/support/manual-clock.ts';
import { type Script, ScriptedSource } from '../../test/support/scripted-source.ts';
import { Catalog } from '../catalog/catalog.ts';
import { RepositoryError, type Snapshot } from '../repository/types.ts';
import { parseExistsPath } from './exists.ts';
import { type CatalogServer, createCatalogServer } from './server.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const SNAP: Snapshot = { id: 'k1f0', time: '2026-04-30T02:00:00.000Z', timeMs: Date.parse('2026-04-30T02:00:00Z') };

const servers: CatalogServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close(100)));
});

async function start(kind: 'kopia' | 'restic', script?: Script, options: { history?: boolean } = {}) {
  const clock = new ManualClock(T0);
  const source = new ScriptedSource(kind);
  if (script) source.scripts.set('/repo', script);
  const catalog = new Catalog({ source, clock });
  const server = createCatalogServer({
    catalog,
    ...(options.history ? { expectedHistory: () => ({ hadSnapshots: true, lastSnapshotId: 'k0ld' }) } : {}),
  });
  servers.push(server);
  const address = await server.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${address.port}`;
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
  };
  return { clock, source, catalog, server, get };
}

describe('HTTP API', () => {
  it('serves /healthz always and /readyz once the catalog is loaded, without repository I/O', async () => {
    const { source, catalog, get } = await start('kopia', { pvcs: {} });
    assert.deepEqual((await get('/healthz')).json(), { status: 'ok' });
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.json().status, 'not ready');
    assert.match(notReady.json().error, /first read/);
    assert.equal(source.reads.length, 0, 'probes never read the repository');
    await catalog.refresh();
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json(), { status: 'ok' });
    assert.equal(source.reads.length, 1);
  });

  it('answers restore with 200 in PVC Plumber shape', async () => {
    const { catalog, get } = await start('kopia', { pvcs: { 'karakeep/data-pvc': [SNAP] } });
    await catalog.refresh();
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/json/);
    const body = r.json();
    assert.deepEqual(
      {
        exists: body.exists,
        decision: body.decision,
        authoritative: body.authoritative,
        namespace: body.namespace,
        pvc: body.pvc,
        backend: body.backend,
        source: body.source,
      },
      {
        exists: true,
        decision: 'restore',
        authoritative: true,
        namespace: 'karakeep',
        pvc: 'data-pvc',
        backend: 'kopia-fs',
        source: 'data-pvc-backup@karakeep:/data',
      },
    );
    assert.equal('error' in body, false, 'an authoritative answer carries no error field');
    assert.deepEqual(body.newest, { id: 'k1f0', time: '2026-04-30T02:00:00.000Z' });
    assert.equal(body.snapshots, 1);
  });

  it('answers fresh with 200 and exists false', async () => {
    const { catalog, get } = await start('kopia', { pvcs: { 'other/x': [SNAP] } });
    await catalog.refresh();
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 200);
    const body = r.json();
    assert.equal(body.exists, false);
    assert.equal(body.decision, 'fresh');
    assert.equal(body.authoritative, true);
    assert.equal(body.cause, 'no-snapshots');
    assert.equal('error' in body, false);
  });

  it('answers unknown with 503 and an error naming the cause, never fresh', async () => {
    const { catalog, get } = await start('kopia', new RepositoryError('wrong-password', '/repo', 'no key matches'));
    await catalog.refresh();
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 503);
    const body = r.json();
    assert.equal(body.exists, false);
    assert.equal(body.decision, 'unknown');
    assert.equal(body.authoritative, false);
    assert.equal(body.cause, 'wrong-password');
    assert.match(body.error, /^wrong-password: .*no key matches.*KOPIA_PASSWORD/);
  });

  it('answers unknown with 503 before the catalog has loaded', async () => {
    const { get } = await start('kopia', { pvcs: {} });
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 503);
    assert.equal(r.json().cause, 'catalog-not-loaded');
  });

  it('answers unknown once the catalog is older than the staleness bound', async () => {
    const { clock, catalog, get } = await start('kopia', { pvcs: { 'karakeep/data-pvc': [SNAP] } });
    await catalog.refresh();
    clock.advance(5 * 60_000 + 1);
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 503);
    assert.equal(r.json().cause, 'catalog-stale');
  });

  it('passes the expected-history facts into the decision', async () => {
    const { catalog, get } = await start('kopia', { pvcs: {} }, { history: true });
    await catalog.refresh();
    const r = await get('/exists/karakeep/data-pvc');
    assert.equal(r.status, 503);
    assert.equal(r.json().cause, 'history-missing');
    assert.match(r.json().error, /k0ld/);
  });

  for (const path of [
    '/exists',
    '/exists/',
    '/exists/karakeep',
    '/exists/karakeep/',
    '/exists//data-pvc',
    '/exists/KaraKeep/data-pvc',
    '/exists/karakeep/a/b',
    '/exists/karakeep/%E0%A4%A',
    `/exists/karakeep/${'a'.repeat(254)}`,
  ]) {
    it(`rejects ${path.length > 40 ? `${path.slice(0, 40)}…` : path} with 400 and an unknown body`, async () => {
      const { source, get } = await start('restic');
      const r = await get(path);
      assert.equal(r.status, 400);
      const body = r.json();
      assert.equal(body.decision, 'unknown');
      assert.equal(body.authoritative, false);
      assert.equal(body.exists, false);
      assert.match(body.error, /^invalid path format/);
      assert.equal(source.reads.length, 0, 'a malformed path never reaches the repository');
    });
  }

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const { get } = await start('kopia');
    const missing = await get('/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.json().error, /\/exists\/\{namespace\}\/\{pvc\}/);
    const post = await get('/exists/a/b', { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('looks a restic PVC up on demand once for concurrent requests', async () => {
    const { source, catalog, get } = await start('restic');
    await catalog.refresh();
    source.scripts.set('/backups/karakeep/data-pvc', { pvcs: { 'karakeep/data-pvc': [SNAP] } });
    let open!: () => void;
    source.gate = new Promise((r) => {
      open = r;
    });
    const pending = [
      get('/exists/karakeep/data-pvc'),
      get('/exists/karakeep/data-pvc'),
      get('/exists/karakeep/data-pvc'),
    ];
    while (source.reads.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    open();
    const answers = await Promise.all(pending);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    assert.equal(answers[0]?.json().backend, 'restic-fs');
    assert.equal(answers[0]?.json().source, '/backups/karakeep/data-pvc');
    assert.equal(source.reads.length, 1);
    const metrics = (await get('/metrics')).text;
    assert.match(metrics, /^pvcplumber_exists_singleflight_dedup_total 2$/m);
  });

  it('exposes PVC Plumber and lifeboat metrics on its own registry', async () => {
    const a = await start('kopia', { pvcs: { 'karakeep/data-pvc': [SNAP] } });
    const b = await start('kopia', new RepositoryError('unreachable', '/repo', 'ECONNREFUSED'));
    await a.catalog.refresh();
    await b.catalog.refresh();
    await a.get('/exists/karakeep/data-pvc');
    await a.get('/exists/karakeep/new-pvc');
    await a.get('/exists/bad');
    await b.get('/exists/karakeep/data-pvc');
    a.clock.advance(30_000);
    const m = await a.get('/metrics');
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain/);
    const text = m.text;
    assert.match(text, /^pvc_plumber_requests_total 3$/m);
    assert.match(text, /^pvc_plumber_requests_errors_total 1$/m);
    assert.match(text, /^pvc_plumber_backup_check_total\{backend="kopia-fs",decision="restore"\} 1$/m);
    assert.match(text, /^pvc_plumber_backup_check_total\{backend="kopia-fs",decision="fresh"\} 1$/m);
    assert.match(text, /^lifeboat_decisions_total\{decision="restore",cause="snapshots-found"\} 1$/m);
    assert.match(text, /^lifeboat_catalog_age_seconds 30$/m);
    assert.match(text, /^lifeboat_catalog_loaded 1$/m);
    assert.match(text, /^lifeboat_repository_healthy\{repository="\/repo"\} 1$/m);
    assert.match(text, /^lifeboat_catalog_refreshes_total\{result="success"\} 1$/m);
    assert.match(text, /^lifeboat_catalog_refresh_duration_seconds_count\{result="success"\} 1$/m);
    const other = (await b.get('/metrics')).text;
    assert.match(other, /^pvc_plumber_requests_total 1$/m, 'each server counts only its own requests');
    assert.match(other, /^lifeboat_decisions_total\{decision="unknown",cause="repository-unreachable"\} 1$/m);
    assert.match(other, /^lifeboat_repository_healthy\{repository="\/repo"\} 0$/m);
    assert.match(other, /^lifeboat_repository_consecutive_failures\{repository="\/repo"\} 1$/m);
    assert.match(other, /^pvc_plumber_backup_check_total\{backend="kopia-fs",decision="unknown"\} 1$/m);
  });

  it('finishes requests in flight on close, then stops accepting', async () => {
    const { source, catalog, server, get } = await start('restic');
    await catalog.refresh();
    let open!: () => void;
    source.gate = new Promise((r) => {
      open = r;
    });
    const inflight = get('/exists/karakeep/data-pvc');
    while (source.reads.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close(5_000);
    open();
    const r = await inflight;
    assert.equal(r.status, 200);
    await closing;
    assert.equal(server.server.listening, false);
  });
});

describe('parseExistsPath', () => {
  it('splits at the first slash and decodes escapes', () => {
    assert.deepEqual(parseExistsPath('/exists/karakeep/data-pvc'), { ref: { namespace: 'karakeep', pvc: 'data-pvc' } });
    assert.deepEqual(parseExistsPath('/exists/ns/pvc.with.dots'), { ref: { namespace: 'ns', pvc: 'pvc.with.dots' } });
    assert.deepEqual(parseExistsPath('/exists/ns/%64ata'), { ref: { namespace: 'ns', pvc: 'data' } });
  });

  it('names what is wrong', () => {
    const r = parseExistsPath('/exists/ns/Data');
    assert.ok('error' in r);
    assert.match(r.error, /"Data" is not a valid PVC name/);
  });
});
