import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAdmissionReview, passResponse, reviewResponse } from './review.ts';

function review(request: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...top });
}

const pvcKind = { group: '', version: 'v1', kind: 'PersistentVolumeClaim' };
const base = {
  uid: 'u-1',
  kind: pvcKind,
  operation: 'CREATE',
  namespace: 'apps',
  name: 'data',
  object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', labels: { backup: 'daily' } } },
  userInfo: { username: 'alice' },
};

describe('parseAdmissionReview', () => {
  it('reads a PVC CREATE, filling the namespace in from the request', () => {
    const parsed = parseAdmissionReview(review({ ...base, dryRun: true }));
    assert.equal(parsed.kind, 'pvc-create');
    if (parsed.kind !== 'pvc-create') return;
    assert.equal(parsed.uid, 'u-1');
    assert.equal(parsed.name, 'data');
    assert.equal(parsed.pvc.metadata.namespace, 'apps');
    assert.deepEqual(parsed.pvc.metadata.labels, { backup: 'daily' });
    assert.equal(parsed.dryRun, true);
    assert.equal(parsed.user, 'alice');
  });

  it('accepts bytes, and a generateName PVC without a name yet', () => {
    const object = { metadata: { generateName: 'data-' } };
    const parsed = parseAdmissionReview(Buffer.from(review({ ...base, name: '', object })));
    assert.equal(parsed.kind, 'pvc-create');
    if (parsed.kind === 'pvc-create') assert.equal(parsed.name, '');
  });

  const invalid: [string, string, RegExp][] = [
    ['not JSON', '{"apiVersion":', /not JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['JSON null', 'null', /not a JSON object/],
    ['v1beta1', review(base, { apiVersion: 'admission.k8s.io/v1beta1' }), /lifeboat speaks only v1/],
    ['another kind', review(base, { kind: 'ConversionReview' }), /expected apiVersion admission\.k8s\.io\/v1/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request/],
    ['request not an object', review(base, { request: 'x' }), /no request object/],
    ['no uid', review({ ...base, uid: undefined }), /request\.uid is missing/],
    ['empty uid', review({ ...base, uid: '' }), /request\.uid is missing/],
    ['numeric uid', review({ ...base, uid: 7 }), /not a string/],
    ['huge uid', review({ ...base, uid: 'u'.repeat(300) }), /longer than 256/],
  ];
  for (const [name, body, message] of invalid) {
    it(`invalid: ${name}`, () => {
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.kind, 'invalid');
      if (parsed.kind === 'invalid') assert.match(parsed.message, message);
    });
  }

  const passes: [string, Record<string, unknown>, RegExp][] = [
    ['a Pod', { ...base, kind: { group: '', version: 'v1', kind: 'Pod' } }, /kind Pod/],
    ['a PVC-named kind of another group', { ...base, kind: { ...pvcKind, group: 'example.com' } }, /kind/],
    ['no kind', { ...base, kind: undefined }, /is not a PersistentVolumeClaim/],
    ['UPDATE', { ...base, operation: 'UPDATE' }, /operation UPDATE/],
    ['DELETE', { ...base, operation: 'DELETE' }, /operation DELETE/],
    ['a subresource', { ...base, subResource: 'status' }, /subresource status/],
  ];
  for (const [name, request, why] of passes) {
    it(`passes through: ${name}`, () => {
      const parsed = parseAdmissionReview(review(request));
      assert.equal(parsed.kind, 'pass');
      if (parsed.kind === 'pass') {
        assert.equal(parsed.uid, 'u-1');
        assert.match(parsed.why, why);
      }
    });
  }

  const rejects: [string, Record<string, unknown>, RegExp][] = [
    ['no namespace', { ...base, namespace: undefined }, /request\.namespace/],
    ['bad namespace', { ...base, namespace: 'Apps!' }, /not a namespace name/],
    ['no object', { ...base, object: undefined }, /not a PersistentVolumeClaim with metadata/],
    ['object without metadata', { ...base, object: { spec: {} } }, /with metadata/],
    ['numeric name', { ...base, object: { metadata: { name: 5 } } }, /metadata\.name is not a string/],
    ['invalid name', { ...base, object: { metadata: { name: 'Data_1' } } }, /"Data_1" is not a valid PVC name/],
    ['name too long', { ...base, object: { metadata: { name: 'a'.repeat(254) } } }, /not a valid PVC name/],
    ['label segment too long', { ...base, object: { metadata: { name: `${'a'.repeat(64)}.b` } } }, /not a valid/],
    [
      'namespace mismatch',
      { ...base, object: { metadata: { name: 'd', namespace: 'other' } } },
      /differs from request\.namespace apps/,
    ],
    ['labels a list', { ...base, object: { metadata: { name: 'd', labels: ['x'] } } }, /labels is not a map/],
    [
      'a numeric label value',
      { ...base, object: { metadata: { name: 'd', labels: { backup: 1 } } } },
      /labels\["backup"\] is not a string/,
    ],
    [
      'an annotation object',
      { ...base, object: { metadata: { name: 'd', annotations: { a: {} } } } },
      /annotations\["a"\]/,
    ],
    ['spec a string', { ...base, object: { metadata: { name: 'd' }, spec: 'x' } }, /spec is not an object/],
    [
      'dataSourceRef without a name',
      { ...base, object: { metadata: { name: 'd' }, spec: { dataSourceRef: { kind: 'X' } } } },
      /spec\.dataSourceRef is not an object reference/,
    ],
    [
      'dataSource.apiGroup a number',
      { ...base, object: { metadata: { name: 'd' }, spec: { dataSource: { kind: 'X', name: 'y', apiGroup: 1 } } } },
      /spec\.dataSource\.apiGroup is not a string/,
    ],
  ];
  for (const [name, request, message] of rejects) {
    it(`rejects a PVC CREATE with ${name}`, () => {
      const parsed = parseAdmissionReview(review(request));
      assert.equal(parsed.kind, 'reject');
      if (parsed.kind === 'reject') assert.match(parsed.message, message);
    });
  }
});

describe('reviewResponse', () => {
  it('encodes a patch as base64 JSONPatch with the uid', () => {
    const patch = [{ op: 'add' as const, path: '/spec/dataSourceRef', value: { kind: 'K', name: 'n' } }];
    const body = reviewResponse('u-9', { allowed: true, result: 'patched', patch, warnings: ['w'] });
    assert.equal(body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(body.kind, 'AdmissionReview');
    assert.equal(body.response.uid, 'u-9');
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(body.response.patch ?? '', 'base64').toString('utf8')), patch);
    assert.deepEqual(body.response.warnings, ['w']);
    assert.equal(body.response.status, undefined);
  });

  it('encodes a denial as a Failure status with code and reason', () => {
    const body = reviewResponse('u', {
      allowed: false,
      result: 'denied',
      denial: { cause: 'c', message: 'c: why\nand how', code: 403 },
      warnings: [],
    });
    assert.deepEqual(body.response.status, {
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: 'c: why and how',
    });
    assert.equal(body.response.patch, undefined);
    assert.equal(body.response.warnings, undefined);
  });

  it('keeps warnings header-safe: one line, at most 256 characters, no duplicates', () => {
    const body = reviewResponse('u', {
      allowed: true,
      result: 'allowed',
      warnings: ['a\r\nb\u0000c', 'a\r\nb\u0000c', 'x'.repeat(1000), ' '],
    });
    const warnings = body.response.warnings ?? [];
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0], 'a b c');
    assert.equal(warnings[1]?.length, 256);
    assert.ok(warnings[1]?.endsWith('…'));
  });

  it('never sends a patch with a denial', () => {
    const body = reviewResponse('u', {
      allowed: false,
      result: 'denied',
      patch: [{ op: 'add', path: '/x', value: 1 }],
      denial: { cause: 'c', message: 'm', code: 400 },
      warnings: [],
    });
    assert.equal(body.response.patch, undefined);
    assert.equal(body.response.status?.reason, 'BadRequest');
  });

  it('passResponse allows untouched', () => {
    assert.deepEqual(passResponse('u').response, { uid: 'u', allowed: true });
  });
});
