import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { Registry } from 'prom-client';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { AdmissionRequestLog } from './handler.ts';
import { type Authority, createAuthority, issueCertificate, type KeyPairPem } from './pki.ts';
import { type AdmissionServer, createAdmissionServer } from './server.ts';

const config = DEFAULT_CONFIG as LifeboatConfig;

async function serving(ca: Authority): Promise<KeyPairPem> {
  return await issueCertificate(ca, {
    commonName: 'localhost',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    validForMs: 3_600_000,
  });
}

interface Reply {
  status: number;
  text: string;
}

function send(
  port: number,
  ca: string,
  opts: { method?: string; path: string; body?: string | Buffer; headers?: Record<string, string | number> },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path,
        ca,
        agent: false,
        headers: { 'content-type': 'application/json', ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function peerCertificate(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.end();
      if (raw) resolve(raw);
      else reject(new Error('no peer certificate'));
    });
    socket.on('error', reject);
  });
}

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
    operation: 'CREATE',
    namespace: 'apps',
    name: 'data',
    object: { metadata: { name: 'data', labels: { backup: 'hourly' } }, spec: {} },
  },
});

describe('admission server', () => {
  let ca: Authority;
  let server: AdmissionServer;
  let port: number;
  const registry = new Registry();
  const seen: AdmissionRequestLog[] = [];

  before(async () => {
    ca = await createAuthority('server-test-ca', 3_600_000);
    server = createAdmissionServer({
      config,
      tls: await serving(ca),
      registry,
      requestTimeoutMs: 400,
      maxBodyBytes: 64 * 1024,
      decisions: {
        decideForAdmission: () => ({
          decision: { decision: 'restore', authoritative: true, cause: 'snapshots-found', message: 'found' },
          restorePoint: 'data-restore',
        }),
      },
      namespaces: (name) => ({
        metadata: { name, annotations: { 'volsync.backube/privileged-movers': 'true' } },
      }),
      onRequest: (entry) => seen.push(entry),
      fallback: (req, res) => {
        if (!req.url?.startsWith('/exists/')) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"decision":"fresh"}');
        return true;
      },
    });
    port = (await server.listen('127.0.0.1', 0)).port;
  });

  after(async () => {
    await server.close(100);
  });

  it('answers POST /mutate-pvc (with the API server’s ?timeout query) and logs the request', async () => {
    const reply = await send(port, ca.certPem, { path: '/mutate-pvc?timeout=5s', body: review });
    assert.equal(reply.status, 200);
    const body = JSON.parse(reply.text);
    assert.equal(body.response.uid, 'u-1');
    assert.equal(body.response.patchType, 'JSONPatch');
    const entry = seen.at(-1);
    assert.equal(entry?.webhook, 'mutate');
    assert.equal(entry?.name, 'data');
    assert.equal(entry?.patched, true);
    assert.ok((entry?.durationMs ?? -1) >= 0);
    assert.match(
      await registry.metrics(),
      /lifeboat_admission_duration_seconds_count\{webhook="mutate",result="patched"\} 1/,
    );
  });

  it('refuses what is not an admission request, each with a Status that says why', async () => {
    const cases: [Parameters<typeof send>[2], number, RegExp][] = [
      [{ method: 'GET', path: '/validate-pvc' }, 405, /use POST/],
      [{ path: '/validate-pvc', body: review, headers: { 'content-type': 'text/plain' } }, 415, /application\/json/],
      [{ path: '/validate-pvc', body: 'x'.repeat(70 * 1024) }, 413, /exceeds 65536 bytes/],
      [{ path: '/validate-pvc', body: '{"not":"a review"}' }, 400, /expected apiVersion admission\.k8s\.io\/v1/],
      [{ method: 'GET', path: '/nowhere' }, 404, /no route for \/nowhere/],
    ];
    for (const [opts, status, message] of cases) {
      const reply = await send(port, ca.certPem, opts);
      assert.equal(reply.status, status, `${opts.method ?? 'POST'} ${opts.path}`);
      const body = JSON.parse(reply.text);
      assert.equal(body.kind, 'Status');
      assert.match(body.message, message);
    }
  });

  it('cuts a chunked upload at the size limit without reading it all', async () => {
    const reply = await send(port, ca.certPem, {
      path: '/mutate-pvc',
      body: Buffer.alloc(200 * 1024, 0x20),
      headers: { 'transfer-encoding': 'chunked' },
    });
    assert.equal(reply.status, 413);
  });

  it('cuts a stalled request after the request timeout', async () => {
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/validate-pvc',
          ca: ca.certPem,
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': 1000 },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"apiVersion":'); // and never the rest
    });
    assert.equal(status, 408);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  it('by default holds a connection, used or not yet, longer than the API server keeps idle ones (90 s)', async () => {
    const defaults = createAdmissionServer({
      config,
      tls: await serving(ca),
      decisions: { decideForAdmission: () => undefined as never },
      namespaces: () => undefined,
    });
    // Go parks spare connections in its idle pool for up to 90 s; whichever side closes first must be Go.
    assert.ok(defaults.server.keepAliveTimeout > 90_000, `keepAliveTimeout ${defaults.server.keepAliveTimeout}`);
    assert.ok(defaults.server.headersTimeout > 90_000, `headersTimeout ${defaults.server.headersTimeout}`);
    assert.ok(defaults.server.requestTimeout >= defaults.server.headersTimeout);
    await defaults.close();
  });

  it('serves the fallback routes on the same port', async () => {
    const reply = await send(port, ca.certPem, { method: 'GET', path: '/exists/apps/data' });
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.text).decision, 'fresh');
  });

  it('hot-swaps the certificate for new connections and refuses a mismatched pair', async () => {
    const before = await peerCertificate(port, ca.certPem);
    const next = await createAuthority('server-test-ca-2', 3_600_000);
    const leaf = await serving(next);
    assert.throws(() => server.setCertificate({ certPem: leaf.certPem, keyPem: ca.keyPem }));
    assert.equal((await peerCertificate(port, ca.certPem)).fingerprint256, before.fingerprint256, 'old pair kept');
    server.setCertificate({ certPem: leaf.certPem, keyPem: leaf.keyPem });
    const after = await peerCertificate(port, next.certPem);
    assert.notEqual(after.fingerprint256, before.fingerprint256);
    assert.ok(after.checkIssued(new X509Certificate(next.certPem)));
    const reply = await send(port, next.certPem, { path: '/validate-pvc', body: review });
    assert.equal(reply.status, 200);
    assert.match(await registry.metrics(), /lifeboat_admission_certificate_expiry_timestamp_seconds \d+/);
  });
});
