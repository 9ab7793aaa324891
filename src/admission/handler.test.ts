import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace } from '../intent/resources.ts';
import type { AdmissionFacts, DecisionSource } from './facts.ts';
import { type AdmissionHandlerOptions, createAdmissionHandler } from './handler.ts';
import { AdmissionMetrics } from './metrics.ts';
import type { AdmissionReviewResponse, StatusBody } from './review.ts';

const config = DEFAULT_CONFIG as LifeboatConfig;
const apps: Namespace = { metadata: { name: 'apps', annotations: { 'volsync.backube/privileged-movers': 'true' } } };

function body(name: string, extra: { annotations?: Record<string, string>; spec?: unknown } = {}): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
      operation: 'CREATE',
      namespace: 'apps',
      name,
      object: {
        metadata: {
          name,
          labels: { backup: 'hourly' },
          ...(extra.annotations ? { annotations: extra.annotations } : {}),
        },
        spec: extra.spec ?? { accessModes: ['ReadWriteOnce'] },
      },
    },
  });
}

const table: Record<string, AdmissionFacts> = {
  restore: {
    decision: { decision: 'restore', authoritative: true, cause: 'snapshots-found', message: 'snapshots-found: 1' },
    restorePoint: 'restore-restore',
  },
  fresh: { decision: { decision: 'fresh', authoritative: true, cause: 'no-snapshots', message: 'no-snapshots' } },
  locked: {
    decision: { decision: 'unknown', authoritative: false, cause: 'wrong-password', message: 'wrong-password: fix it' },
  },
};

function setup(overrides: Partial<AdmissionHandlerOptions> = {}) {
  const calls: string[] = [];
  const decisions: DecisionSource = {
    decideForAdmission(namespace, name) {
      calls.push(`${namespace}/${name}`);
      const facts = table[name];
      if (!facts) throw new Error(`no row for ${name}`);
      return facts;
    },
  };
  const registry = new Registry();
  const handler = createAdmissionHandler({
    config,
    decisions,
    namespaces: (name) => (name === 'apps' ? apps : undefined),
    metrics: new AdmissionMetrics(registry),
    ...overrides,
  });
  return { handler, calls, registry };
}

function response(answer: { body: AdmissionReviewResponse | StatusBody }): AdmissionReviewResponse['response'] {
  assert.ok('response' in answer.body, JSON.stringify(answer.body));
  return answer.body.response;
}

describe('admission handler', () => {
  it('computes one decision per CREATE: the validating call reuses the mutating call’s answer', async () => {
    const { handler, calls } = setup();
    const mutated = await handler('mutate', body('restore'));
    assert.equal(response(mutated).patchType, 'JSONPatch');
    assert.equal(mutated.log.result, 'patched');
    const patched = JSON.parse(body('restore'));
    patched.request.object.spec.dataSourceRef = {
      apiGroup: 'volsync.backube',
      kind: 'ReplicationDestination',
      name: 'restore-restore',
    };
    const validated = await handler('validate', JSON.stringify(patched));
    assert.equal(response(validated).allowed, true);
    assert.deepEqual(calls, ['apps/restore']);
  });

  it('denies unknown in validation with the cause, and counts it', async () => {
    const { handler, registry } = setup();
    assert.equal(response(await handler('mutate', body('locked'))).allowed, true);
    const answer = await handler('validate', body('locked'));
    const r = response(answer);
    assert.equal(r.allowed, false);
    assert.equal(r.status?.code, 403);
    assert.match(r.status?.message ?? '', /wrong-password: fix it/);
    assert.equal(answer.log.cause, 'wrong-password');
    const text = await registry.metrics();
    assert.match(text, /lifeboat_admission_denials_total\{webhook="validate",cause="wrong-password"\} 1/);
    assert.match(
      text,
      /lifeboat_admission_decisions_total\{webhook="validate",decision="unknown",cause="wrong-password"\} 1/,
    );
  });

  it('answers within the budget when the decision source hangs: decision-timeout', async () => {
    const { handler } = setup({
      decisionBudgetMs: 100,
      decisions: { decideForAdmission: () => new Promise<AdmissionFacts>(() => {}) },
    });
    const started = Date.now();
    const r = response(await handler('validate', body('slow')));
    assert.ok(Date.now() - started < 1000);
    assert.equal(r.allowed, false);
    assert.match(
      r.status?.message ?? '',
      /decision-timeout: the restore decision for apps\/slow took longer than the 100 ms admission budget/,
    );
  });

  it('turns a throwing or nonsensical source into unknown, never an allow', async () => {
    for (const decideForAdmission of [
      () => {
        throw new Error('catalog exploded');
      },
      () => Promise.reject(new Error('async boom')),
      () => ({}) as AdmissionFacts,
      () => ({ decision: { decision: 'maybe' } }) as unknown as AdmissionFacts,
    ]) {
      const { handler } = setup({ decisions: { decideForAdmission } });
      const r = response(await handler('validate', body('x')));
      assert.equal(r.allowed, false);
      assert.match(r.status?.message ?? '', /decision-error/);
      assert.doesNotMatch(r.status?.message ?? '', /exploded|boom/, 'internal error text stays in the logs');
    }
  });

  it('denies when the namespace cannot be read (throws, hangs, or is missing)', async () => {
    const failing: AdmissionHandlerOptions['namespaces'][] = [
      () => {
        throw new Error('forbidden');
      },
      () => new Promise<Namespace>(() => {}),
      () => undefined,
    ];
    for (const namespaces of failing) {
      const { handler, calls } = setup({ namespaces, decisionBudgetMs: 100 });
      const r = response(await handler('validate', body('fresh')));
      assert.equal(r.allowed, false);
      assert.match(r.status?.message ?? '', /namespace-unknown: lifeboat could not read namespace apps/);
      assert.deepEqual(calls, [], 'no decision is needed to deny');
    }
  });

  it('global break-glass is read per request and counted', async () => {
    let on = false;
    const { handler, registry } = setup({ breakGlass: () => on });
    assert.equal(response(await handler('validate', body('locked'))).allowed, false);
    on = true;
    const answer = await handler('validate', body('locked'));
    const r = response(answer);
    assert.equal(r.allowed, true);
    assert.match(r.warnings?.join('\n') ?? '', /break-glass: lifeboat runs with break-glass on/);
    assert.equal(answer.log.breakGlass, 'global');
    assert.match(
      await registry.metrics(),
      /lifeboat_admission_break_glass_total\{webhook="validate",cause="wrong-password",scope="global"\} 1/,
    );
  });

  it('namespace break-glass label (when a stale registration still sends it) allows with a warning', async () => {
    const labelled: Namespace = { metadata: { ...apps.metadata, labels: { 'lifeboat.dev/break-glass': 'true' } } };
    const { handler } = setup({ namespaces: () => labelled });
    const answer = await handler('validate', body('locked'));
    assert.equal(response(answer).allowed, true);
    assert.equal(answer.log.breakGlass, 'namespace');
  });

  it('a generateName PVC in the mutating phase needs no decision', async () => {
    const { handler, calls } = setup();
    const review = JSON.parse(body('x'));
    review.request.name = '';
    review.request.object.metadata = { generateName: 'x-', labels: { backup: 'hourly' } };
    const r = response(await handler('mutate', JSON.stringify(review)));
    assert.equal(r.allowed, true);
    assert.equal(r.patch, undefined);
    assert.deepEqual(calls, []);
  });

  it('skip-restore with a reason needs no decision', async () => {
    const { handler, calls } = setup();
    const annotations = { 'lifeboat.dev/skip-restore': 'true', 'lifeboat.dev/skip-restore-reason': 'reseed' };
    assert.equal(response(await handler('validate', body('restore', { annotations }))).allowed, true);
    assert.deepEqual(calls, []);
  });

  it('answers malformed input with an explanation: HTTP 400 Status, or a 400 denial when the uid is known', async () => {
    const { handler } = setup();
    const invalid = await handler('mutate', '{');
    assert.equal(invalid.httpStatus, 400);
    assert.ok(
      'message' in invalid.body &&
        /not an AdmissionReview lifeboat can answer: the body is not JSON/.test(invalid.body.message),
    );
    const review = JSON.parse(body('x'));
    review.request.object.metadata.labels = { backup: 7 };
    const rejected = await handler('validate', JSON.stringify(review));
    const r = response(rejected);
    assert.equal(r.allowed, false);
    assert.equal(r.status?.code, 400);
    assert.match(r.status?.message ?? '', /malformed-request: .*labels\["backup"\] is not a string/);
  });

  it('passes other operations through untouched', async () => {
    const { handler, calls } = setup();
    const review = JSON.parse(body('restore'));
    review.request.operation = 'DELETE';
    const answer = await handler('validate', JSON.stringify(review));
    assert.deepEqual(response(answer), { uid: 'uid-restore', allowed: true });
    assert.equal(answer.log.result, 'passed');
    assert.deepEqual(calls, []);
  });
});
