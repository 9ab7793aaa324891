/**
 * Fuzzing the AdmissionReview handler and its HTTPS server with a deterministic seed (set LIFEBOAT_FUZZ_SEED to explore
 * others): random bytes, random JSON, and valid reviews with fields deleted, retyped, oversized or oddly labelled,
 * answered by random decision sources and namespace lookups. The properties:
 *
 * - it never throws, never hangs, and the server never stops serving;
 * - every answer is an HTTP 400 Status with a message, or an AdmissionReview v1 for the request's uid;
 * - every denial explains itself: a cause code, and for policy denials (403) the break-glass remedy;
 * - a patch only ever comes from the mutating webhook, on an allowed answer, adding the restore reference;
 * - warnings are header-safe (one line, at most 256 characters).
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { AdmissionFacts, DecisionSource, NamespaceSource } from '../../src/admission/facts.ts';
import { createAdmissionHandler, type HandlerAnswer } from '../../src/admission/handler.ts';
import type { WebhookName } from '../../src/admission/metrics.ts';
import { createAuthority, issueCertificate } from '../../src/admission/pki.ts';
import { type AdmissionServer, createAdmissionServer } from '../../src/admission/server.ts';
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts';
import type { LifeboatConfig } from '../../src/config/types.ts';

const SEED = Number(process.env.LIFEBOAT_FUZZ_SEED ?? 0x1feb0a7);
const config = DEFAULT_CONFIG as LifeboatConfig;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const ODD_STRINGS = [
  '',
  ' ',
  'hourly',
  'daily',
  'true',
  'false',
  'True',
  'ünïcödé',
  '🚀',
  'a\nb',
  '\u0000',
  '\u202e',
  '"quoted"',
  '../../etc',
  'x'.repeat(300),
  'DATA',
  'data.with.dots',
  '-leading',
];

function randomString(rng: Rng): string {
  if (rng.chance(0.4)) return rng.pick(ODD_STRINGS);
  const length = rng.chance(0.05) ? 1000 + rng.int(100_000) : rng.int(40);
  const alphabet = rng.chance(0.7) ? 'abcdefghijklmnopqrstuvwxyz0123456789-.' : '\u0000\u0007\n\r\t"\\/<>{}[]é漢🚀 ';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function randomJson(rng: Rng, depth = 0): unknown {
  const roll = rng.int(depth > 3 ? 5 : 8);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, -0]);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) obj[randomString(rng)] = randomJson(rng, depth + 1);
      return obj;
    }
  }
}

function randomMap(rng: Rng): unknown {
  if (rng.chance(0.1)) return randomJson(rng);
  const map: Record<string, unknown> = {};
  const keys = [
    'backup',
    'backup-exempt',
    'lifeboat.dev/skip-restore',
    'lifeboat.dev/skip-restore-reason',
    'volsync.backup/skip-restore',
    'volsync.backup/skip-restore-reason',
    'volsync.backube/skip-restore',
    'lifeboat.dev/backup-exempt-reason',
    'backup-exempt-reason',
  ];
  for (let i = rng.int(5); i > 0; i--) {
    map[rng.chance(0.8) ? rng.pick(keys) : randomString(rng)] = rng.chance(0.92) ? randomString(rng) : randomJson(rng);
  }
  return map;
}

function validReview(rng: Rng): Record<string, unknown> {
  // Weighted towards the interesting paths (restore, opted-in namespaces), so every answer kind is reached often.
  const name = rng.pick([
    'data',
    'restore-a',
    'restore-b',
    'restore-c',
    'fresh-b',
    'unknown-c',
    'throws-d',
    'garbage-e',
    'slow-f',
    '',
  ]);
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${rng.int(1e9)}`,
      kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
      resource: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
      operation: 'CREATE',
      namespace: rng.pick(['apps', 'apps', 'apps', 'glass', 'plain', 'missing', 'kube-system', 'throws']),
      name,
      object: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, labels: { backup: rng.pick(['hourly', 'daily', 'weekly']) } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      userInfo: { username: 'fuzz' },
      dryRun: rng.chance(0.2),
    },
  };
}

/** Sets or deletes a random path in a review. */
function mutate(rng: Rng, review: Record<string, unknown>): void {
  const paths: string[][] = [
    ['apiVersion'],
    ['kind'],
    ['request'],
    ['request', 'uid'],
    ['request', 'kind'],
    ['request', 'kind', 'kind'],
    ['request', 'kind', 'group'],
    ['request', 'operation'],
    ['request', 'namespace'],
    ['request', 'name'],
    ['request', 'subResource'],
    ['request', 'object'],
    ['request', 'object', 'metadata'],
    ['request', 'object', 'metadata', 'name'],
    ['request', 'object', 'metadata', 'namespace'],
    ['request', 'object', 'metadata', 'labels'],
    ['request', 'object', 'metadata', 'annotations'],
    ['request', 'object', 'spec'],
    ['request', 'object', 'spec', 'dataSourceRef'],
    ['request', 'object', 'spec', 'dataSource'],
    ['request', 'dryRun'],
    ['request', 'userInfo'],
  ];
  const path = rng.pick(paths);
  let target = review as Record<string, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    target = next as Record<string, unknown>;
  }
  const last = path.at(-1) as string;
  if (rng.chance(0.25)) {
    delete target[last];
  } else if (last === 'labels' || last === 'annotations') {
    target[last] = randomMap(rng);
  } else if (last === 'dataSourceRef' || last === 'dataSource') {
    target[last] = rng.chance(0.5)
      ? {
          apiGroup: rng.pick(['volsync.backube', '', undefined]),
          kind: 'ReplicationDestination',
          name: randomString(rng),
        }
      : randomJson(rng);
  } else if (last === 'operation') {
    target[last] = rng.pick(['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'create', randomString(rng)]);
  } else {
    target[last] = rng.chance(0.6) ? randomString(rng) : randomJson(rng);
  }
}

function randomBody(rng: Rng): string {
  const kind = rng.int(10);
  if (kind === 0) return randomString(rng);
  if (kind === 1) return JSON.stringify(randomJson(rng));
  if (kind === 2) return `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  const review = validReview(rng);
  for (let i = rng.chance(0.4) ? 0 : 1 + rng.int(3); i > 0; i--) mutate(rng, review);
  const text = JSON.stringify(review);
  return rng.chance(0.05) ? text.slice(0, rng.int(text.length)) : text;
}

function sources(rng: Rng): { decisions: DecisionSource; namespaces: NamespaceSource } {
  return {
    decisions: {
      decideForAdmission(_ns, name): AdmissionFacts | Promise<AdmissionFacts> {
        if (name.startsWith('throws')) throw new Error('source failure');
        if (name.startsWith('slow')) return new Promise(() => {});
        if (name.startsWith('garbage')) return randomJson(rng) as AdmissionFacts;
        const decision = name.startsWith('restore') ? 'restore' : name.startsWith('fresh') ? 'fresh' : 'unknown';
        return {
          decision: {
            decision,
            authoritative: decision !== 'unknown' && rng.chance(0.9),
            cause: rng.chance(0.9) ? 'some-cause' : randomString(rng),
            message: rng.chance(0.9) ? 'some-cause: explained' : randomString(rng),
          },
          ...(rng.chance(0.8) ? { restorePoint: rng.chance(0.8) ? `${name}-rd` : randomString(rng) } : {}),
        };
      },
    },
    namespaces(name) {
      if (name === 'throws') throw new Error('lookup failure');
      if (name === 'missing') return undefined;
      return {
        metadata: {
          name,
          ...(name === 'plain' ? {} : { annotations: { 'volsync.backube/privileged-movers': 'true' } }),
          ...(name === 'glass' ? { labels: { 'lifeboat.dev/break-glass': 'true' } } : {}),
        },
      };
    },
  };
}

/** The properties every answer must have. */
function check(webhook: WebhookName, body: string, answer: HandlerAnswer, context: string): void {
  if (answer.httpStatus !== 200) {
    assert.equal(answer.httpStatus, 400, context);
    assert.ok('kind' in answer.body && answer.body.kind === 'Status', context);
    assert.ok('message' in answer.body && answer.body.message.length > 10, context);
    return;
  }
  assert.ok('response' in answer.body, context);
  const { response } = answer.body;
  assert.equal(answer.body.apiVersion, 'admission.k8s.io/v1', context);
  let uid: unknown;
  try {
    uid = (JSON.parse(body) as { request: { uid: unknown } }).request.uid;
  } catch {
    assert.fail(`an AdmissionReview answer to an unparsable body: ${context}`);
  }
  assert.equal(response.uid, uid, context);
  assert.equal(typeof response.allowed, 'boolean', context);
  if (!response.allowed) {
    const message = response.status?.message ?? '';
    assert.match(message, /^[a-z][a-z-]*: |^lifeboat cannot tell /, `denial without a cause: ${context}: ${message}`);
    if (response.status?.code === 403) assert.match(message, /break-glass=true/, context);
    else assert.equal(response.status?.code, 400, context);
    assert.equal(response.patch, undefined, context);
  }
  if (response.patch !== undefined) {
    assert.equal(webhook, 'mutate', context);
    assert.equal(response.allowed, true, context);
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as { op: string; path: string }[];
    assert.equal(ops.length, 1, context);
    assert.equal(ops[0]?.op, 'add', context);
    assert.match(ops[0]?.path ?? '', /^\/spec(\/dataSourceRef)?$/, context);
  }
  for (const warning of response.warnings ?? []) {
    assert.ok(warning.length <= 256, context);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    assert.doesNotMatch(warning, /[\u0000-\u001f\u007f]/, context);
  }
}

describe(`admission fuzz (seed ${SEED})`, () => {
  it('5000 random requests to the handler: every one answered, explained, within the budget', async () => {
    const rng = prng(SEED);
    let denied = 0;
    let patched = 0;
    let invalid = 0;
    for (let i = 0; i < 5000; i++) {
      const body = randomBody(rng);
      const webhook: WebhookName = rng.chance(0.5) ? 'mutate' : 'validate';
      const handler = createAdmissionHandler({
        config,
        ...sources(rng),
        breakGlass: rng.chance(0.05),
        decisionBudgetMs: 20,
      });
      const context = `seed ${SEED} case ${i} ${webhook}: ${body.slice(0, 300)}`;
      const started = Date.now();
      const answer = await handler(webhook, rng.chance(0.5) ? body : Buffer.from(body));
      assert.ok(
        Date.now() - started < 5000,
        `slow answer (the budget is 20 ms; a wait on a stuck source would never end): ${context}`,
      );
      check(webhook, body, answer, context);
      if (answer.httpStatus === 400) invalid++;
      else if ('response' in answer.body && !answer.body.response.allowed) denied++;
      else if ('response' in answer.body && answer.body.response.patch) patched++;
    }
    // The generator must reach every kind of answer, or the properties above were checked on too little.
    assert.ok(
      invalid > 300 && denied > 300 && patched > 30,
      `invalid ${invalid}, denied ${denied}, patched ${patched}`,
    );
  });

  describe('over HTTPS', () => {
    let server: AdmissionServer;
    let port: number;
    let caPem: string;

    before(async () => {
      const ca = await createAuthority('fuzz-ca', 3_600_000);
      caPem = ca.certPem;
      const leaf = await issueCertificate(ca, {
        commonName: 'fuzz',
        ipAddresses: ['127.0.0.1'],
        usage: 'server',
        validForMs: 3_600_000,
      });
      server = createAdmissionServer({
        config,
        ...sources(prng(SEED + 1)),
        tls: leaf,
        decisionBudgetMs: 20,
        maxBodyBytes: 256 * 1024,
      });
      port = (await server.listen('127.0.0.1', 0)).port;
    });

    after(async () => {
      await server.close(100);
    });

    function send(method: string, path: string, type: string, body: string): Promise<{ status: number; text: string }> {
      return new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method, path, ca: caPem, headers: { 'content-type': type } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        req.on('error', reject);
        req.end(method === 'GET' ? undefined : body);
      });
    }

    it('400 random exchanges (methods, paths, content types, bodies up to 300 KiB): explained, still serving', async () => {
      const rng = prng(SEED + 2);
      for (let i = 0; i < 400; i++) {
        const method = rng.pick(['POST', 'POST', 'POST', 'GET', 'PUT']);
        const path = rng.pick(['/mutate-pvc', '/validate-pvc', '/validate-pvc?timeout=5s', '/', '/exists/a/b']);
        const type = rng.pick([
          'application/json',
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
        ]);
        const body = rng.chance(0.02) ? 'x'.repeat(300 * 1024) : randomBody(rng);
        const reply = await send(method, path, type, body);
        const context = `seed ${SEED} exchange ${i}: ${method} ${path} ${type} ${body.slice(0, 200)}`;
        const parsed = JSON.parse(reply.text) as { kind?: string; message?: string; response?: unknown };
        if (reply.status === 200) {
          assert.ok(parsed.response, context);
        } else {
          assert.ok([400, 404, 405, 413, 415].includes(reply.status), `${reply.status}: ${context}`);
          assert.equal(parsed.kind, 'Status', context);
          assert.ok((parsed.message ?? '').length > 10, context);
        }
      }
      const ok = await send('POST', '/validate-pvc', 'application/json', JSON.stringify(validReview(prng(7))));
      assert.equal(ok.status, 200, 'still serving');
    });
  });
});
