/**
 * Reflector behaviour that the real API server rarely shows on demand, against a scripted loopback server: watches
 * that end at once must not make it spin, a throwing handler must not break the stream, and waiting for sync must
 * end when the reflector stops. (test/integration/kube-layer.test.ts covers the real API server.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenLoopback } from '../../test/support/scripted-api.ts';
import { KubeClient } from './client.ts';
import { Reflector } from './reflector.ts';

let server: Server;
let kube: KubeClient;
let requests: string[] = [];
let onWatch: (res: ServerResponse) => void = (res) => res.end();
let listAnswer: (res: ServerResponse) => void;

const list = (names: string[]) => (res: ServerResponse) =>
  res.end(
    JSON.stringify({
      metadata: { resourceVersion: '10' },
      items: names.map((name, i) => ({ metadata: { name, namespace: 'ns', resourceVersion: String(i + 1) } })),
    }),
  );

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${url.pathname}${url.searchParams.get('watch') ? '?watch' : ''}`);
    if (url.pathname === '/api/v1') {
      res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
    } else if (url.searchParams.get('watch')) {
      onWatch(res);
    } else {
      listAnswer(res);
    }
  });
  const kc = await listenLoopback(server);
  kube = new KubeClient(kc);
});

after(async () => {
  kube.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('Reflector (scripted server)', () => {
  it('backs off instead of spinning when watches end at once without events', async () => {
    requests = [];
    listAnswer = list(['a']);
    onWatch = (res) => res.end();
    const reflector = new Reflector(kube, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
    });
    reflector.start();
    await reflector.waitForSync();
    await new Promise((r) => setTimeout(r, 700));
    await reflector.stop();
    const watches = requests.filter((r) => r.endsWith('?watch')).length;
    // 100 + 200 + 400 ms of backoff fit in 700 ms: about four watches, never hundreds.
    assert.ok(watches >= 2 && watches <= 5, `${watches} watch requests`);
    assert.ok(reflector.stats.watchErrors >= 2);
  });

  it('keeps delivering to other handlers when one throws', async () => {
    listAnswer = list([]);
    onWatch = (res) => {
      res.write(
        `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x', namespace: 'ns', resourceVersion: '11' } } })}\n`,
      );
      res.write(
        `${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'y', namespace: 'ns', resourceVersion: '12' } } })}\n`,
      );
    };
    const reflector = new Reflector(kube, { apiVersion: 'v1', kind: 'ConfigMap' });
    const seen: string[] = [];
    reflector.on(() => {
      throw new Error('broken handler');
    });
    reflector.on((e) => seen.push(e.key));
    reflector.start();
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['ns/x', 'ns/y']);
    assert.equal(reflector.stats.watches, 1, 'the watch was not restarted');
    assert.equal(reflector.resourceVersion, '12');
    await reflector.stop();
  });

  it('waitForSync times out, and rejects when the reflector stops first', async () => {
    listAnswer = () => {
      // never answers the list
    };
    const reflector = new Reflector(kube, { apiVersion: 'v1', kind: 'ConfigMap' });
    reflector.start();
    await assert.rejects(reflector.waitForSync({ timeoutMs: 50 }), /not synced within 50 ms/);
    const waiting = reflector.waitForSync();
    await reflector.stop();
    await assert.rejects(waiting, /stopped/);
    assert.equal(reflector.hasSynced(), false);
  });
});
