import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import { after, describe, it } from 'node:test';
import { type ServerLifecycle, serverLifecycle } from './lifecycle.ts';

const started: ServerLifecycle[] = [];
after(async () => {
  for (const s of started) await s.close(10);
});

/** A server whose `/slow` answers only when `release()` is called. */
function slowServer(graceMs: number) {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const server = createServer((req, res) => {
    if (req.url === '/slow') {
      void gate.then(() => res.end('late'));
      return;
    }
    res.end('ok');
  });
  const life = serverLifecycle(server, graceMs);
  started.push(life);
  return { server, life, release };
}

function get(port: number, path: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Without an agent: a fresh connection each time, never a pooled socket the server has closed.
    const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serverLifecycle', () => {
  it('listens on a free port and says which', async () => {
    const { life } = slowServer(1000);
    const address = await life.listen('127.0.0.1', 0);
    assert.equal(address.address, '127.0.0.1');
    assert.ok(address.port > 0);
    assert.deepEqual(await get(address.port, '/'), { status: 200, body: 'ok' });
  });

  it('rejects with the bind error when the port is taken', async () => {
    const first = slowServer(1000);
    const { port } = await first.life.listen('127.0.0.1', 0);
    const second = slowServer(1000);
    await assert.rejects(second.life.listen('127.0.0.1', port), /EADDRINUSE/);
  });

  it('lets a request in flight finish, then stops accepting', async () => {
    const { server, life, release } = slowServer(10_000);
    const { port } = await life.listen('127.0.0.1', 0);
    const inflight = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    const closing = life.close();
    assert.equal(server.listening, false, 'no new connections once closing');
    release();
    assert.deepEqual(await inflight, { status: 200, body: 'late' });
    await closing;
    await assert.rejects(get(port, '/'), /ECONNREFUSED/);
  });

  it('does not wait for idle keep-alive connections', async () => {
    const { life } = slowServer(60_000);
    const { port } = await life.listen('127.0.0.1', 0);
    const agent = new Agent({ keepAlive: true });
    try {
      await get(port, '/', agent);
      // The agent keeps its socket open; close() must not sit out the 60 s grace period for it.
      const closed = await Promise.race([
        life.close().then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still waiting'), 5_000)),
      ]);
      assert.equal(closed, 'closed');
    } finally {
      agent.destroy();
    }
  });

  it('cuts requests still running when the grace period ends', async () => {
    const { life } = slowServer(100);
    const { port } = await life.listen('127.0.0.1', 0);
    const inflight = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    await life.close();
    await assert.rejects(inflight, /socket hang up|ECONNRESET/);
  });

  it('drain: keeps accepting and answering, but ends a kept-alive connection once its response is done', async () => {
    const { server, life, release } = slowServer(10_000);
    const { port } = await life.listen('127.0.0.1', 0);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await get(port, '/', agent);
      const sockets = () => Object.values(agent.freeSockets).flat().length + Object.values(agent.sockets).flat().length;
      assert.equal(sockets(), 1, 'the client keeps its connection alive before the drain');
      const inflight = get(port, '/slow', agent);
      await new Promise((r) => setTimeout(r, 50));
      life.drain();
      assert.equal(server.listening, true, 'still accepting while draining');
      release();
      assert.deepEqual(await inflight, { status: 200, body: 'late' }, 'the request in flight is answered');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sockets(), 0, 'the connection ended after its response');
      assert.deepEqual(await get(port, '/', agent), { status: 200, body: 'ok' }, 'a new connection is answered');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sockets(), 0, 'and ended after its response too');
    } finally {
      agent.destroy();
    }
  });
});
