/**
 * The transport's handling of the ways a request or watch can end, against a loopback HTTP server that scripts the
 * API server's side (the integration tests cover the real one; these cover the endings that are hard to provoke
 * there: silence, garbage, slow answers).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenLoopback } from '../../test/support/scripted-api.ts';
import { describeKubeError, isGone } from './errors.ts';
import { KubeTransport, type WatchEvent } from './transport.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let handler: Handler = (_req, res) => res.end();
let transport: KubeTransport;

before(async () => {
  server = createServer((req, res) => handler(req, res));
  const kc = await listenLoopback(server, 'secret-token');
  // A generous default: a loaded machine must not turn an ordinary answer into a deadline failure. The deadline
  // test below sets its own short one.
  transport = new KubeTransport(kc, { timeoutMs: 30_000 });
});

after(async () => {
  transport.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('KubeTransport.request', () => {
  it('sends JSON with the credentials and returns the parsed answer', async () => {
    let seen: { method?: string; url?: string; auth?: string; type?: string; body?: string } = {};
    handler = (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen = {
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          body,
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'x' } }));
      });
    };
    const out = await transport.request<{ kind: string }>('PATCH', '/api/v1/namespaces/a/configmaps/x', {
      query: { fieldManager: 'lifeboat', force: true, dryRun: undefined },
      contentType: 'application/apply-patch+yaml',
      body: { data: { k: 'v' } },
    });
    assert.equal(out.kind, 'ConfigMap');
    assert.deepEqual(seen, {
      method: 'PATCH',
      url: '/api/v1/namespaces/a/configmaps/x?fieldManager=lifeboat&force=true',
      auth: 'Bearer secret-token',
      type: 'application/apply-patch+yaml',
      body: '{"data":{"k":"v"}}',
    });
  });

  it('turns an error Status into an ApiException with the server message', async () => {
    handler = (_req, res) => {
      res.statusCode = 409;
      res.end(
        JSON.stringify({ kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' }),
      );
    };
    await assert.rejects(transport.request('PUT', '/x'), (error: unknown) => {
      assert.deepEqual(describeKubeError(error), {
        status: 409,
        reason: 'Conflict',
        message: 'the object has been modified',
      });
      return true;
    });
  });

  it('keeps a non-JSON error body as the message', async () => {
    handler = (_req, res) => {
      res.statusCode = 502;
      res.end('Bad Gateway from a proxy');
    };
    await assert.rejects(transport.request('GET', '/x'), (error: unknown) => {
      assert.equal(describeKubeError(error).message, 'Bad Gateway from a proxy');
      return true;
    });
  });

  it('fails a request that gets no answer within its deadline', async () => {
    handler = () => {
      // never answers
    };
    // The server never answers, so only the request's own deadline can end it (the default is 30 s).
    await assert.rejects(transport.request('GET', '/slow', { timeoutMs: 100 }), /GET \/slow: no answer within 100 ms/);
  });

  it('fails at once with AbortError when the signal aborts', async () => {
    handler = () => {};
    const abort = new AbortController();
    const pending = transport.request('GET', '/slow', { signal: abort.signal, timeoutMs: 5000 });
    abort.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError');
  });
});

describe('KubeTransport.watch', () => {
  const line = (event: unknown) => `${JSON.stringify(event)}\n`;

  it('delivers events split across chunks, and resolves when the server ends the stream', async () => {
    handler = (req, res) => {
      assert.match(req.url ?? '', /watch=1/);
      assert.match(req.url ?? '', /allowWatchBookmarks=true/);
      const text =
        line({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '5' } } }) +
        line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } });
      res.write(text.slice(0, 17));
      setTimeout(() => res.end(text.slice(17)), 20);
    };
    const events: WatchEvent[] = [];
    await transport.watch('/api/v1/configmaps', { allowWatchBookmarks: true }, (e) => events.push(e), {
      idleTimeoutMs: 1000,
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'BOOKMARK'],
    );
  });

  it('rejects with the Status of an in-stream ERROR (410 Expired)', async () => {
    handler = (_req, res) => {
      res.end(
        line({
          type: 'ERROR',
          object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (99)' },
        }),
      );
    };
    await assert.rejects(
      transport.watch('/x', {}, () => {}, { idleTimeoutMs: 1000 }),
      (error: unknown) => isGone(error) && /too old resource version/.test(describeKubeError(error).message),
    );
  });

  it('rejects a non-200 answer with its Status', async () => {
    handler = (_req, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'cannot watch configmaps' }));
    };
    await assert.rejects(
      transport.watch('/x', {}, () => {}, { idleTimeoutMs: 1000 }),
      /cannot watch configmaps/,
    );
  });

  it('rejects when the stream goes silent', async () => {
    handler = (_req, res) => {
      res.write(line({ type: 'ADDED', object: { metadata: { name: 'a' } } }));
    };
    await assert.rejects(
      transport.watch('/x', {}, () => {}, { idleTimeoutMs: 150 }),
      /no data for 150 ms/,
    );
  });

  it('rejects an unparsable line instead of skipping events silently', async () => {
    handler = (_req, res) => {
      res.write('{"type":"ADDED","object":{\n');
    };
    await assert.rejects(
      transport.watch('/x', {}, () => {}, { idleTimeoutMs: 1000 }),
      /unparsable event line/,
    );
  });

  it('rejects when the connection drops mid-stream', async () => {
    handler = (req, res) => {
      res.write(line({ type: 'ADDED', object: { metadata: { name: 'a' } } }));
      setTimeout(() => req.socket.destroy(), 20);
    };
    await assert.rejects(
      transport.watch('/x', {}, () => {}, { idleTimeoutMs: 1000 }),
      /watch \/x/,
    );
  });

  it('ends with AbortError when aborted', async () => {
    handler = (_req, res) => {
      res.write(line({ type: 'ADDED', object: { metadata: { name: 'a' } } }));
    };
    const abort = new AbortController();
    const watching = transport.watch('/x', {}, () => abort.abort(), { idleTimeoutMs: 1000, signal: abort.signal });
    await assert.rejects(watching, (error: Error) => error.name === 'AbortError');
  });
});
