import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatRestoreRequest,
  heldByOther,
  parseRestoreRequest,
  type RestoreRequest,
  reached,
} from './restore-request.ts';

const request: RestoreRequest = {
  snapshotId: 'c3c3',
  snapshotTime: '2026-06-03T02:17:00.000Z',
  requestedAt: '2026-06-03T10:00:00.000Z',
  step: 'scaled-down',
  replicas: [
    { kind: 'Deployment', name: 'web', replicas: 2 },
    { kind: 'StatefulSet', name: 'db', replicas: 1, recreatesPvc: true },
  ],
  pvcUid: 'u1',
  capturedSpec: { labels: { backup: 'hourly' }, annotations: {}, spec: { accessModes: ['ReadWriteOnce'] } },
  holder: { id: 'host-1', renewedAt: '2026-06-03T10:00:05.000Z' },
};

describe('restore request', () => {
  it('round-trips', () => {
    assert.deepEqual(parseRestoreRequest(formatRestoreRequest(request)), request);
    assert.equal(parseRestoreRequest(undefined), undefined);
    assert.equal(parseRestoreRequest(''), undefined);
  });

  it('refuses what it cannot read (never treated as "no request")', () => {
    for (const [bad, why] of [
      ['{', /not JSON/],
      ['{"snapshotId":"a"}', /lacks snapshotId, snapshotTime, requestedAt or a known step/],
      [JSON.stringify({ ...request, step: 'dancing' }), /known step/],
      [JSON.stringify({ ...request, replicas: [{ kind: 'DaemonSet', name: 'x', replicas: 1 }] }), /malformed replicas/],
    ] as const) {
      assert.throws(() => parseRestoreRequest(bad), why);
    }
  });

  it('orders steps', () => {
    assert.equal(reached('scaled-down', 'requested'), true);
    assert.equal(reached('scaled-down', 'scaled-down'), true);
    assert.equal(reached('scaled-down', 'pvc-deleted'), false);
  });

  it('a holder counts for 30 s after its last renewal, and not at all once released', () => {
    const at = Date.parse('2026-06-03T10:00:05.000Z');
    assert.equal(heldByOther(request, 'host-2', at + 10_000), true);
    assert.equal(heldByOther(request, 'host-2', at + 31_000), false);
    assert.equal(heldByOther(request, 'host-1', at + 1_000), false);
    assert.equal(heldByOther({ ...request, holder: { id: 'host-1', renewedAt: null } }, 'host-2', at), false);
  });
});
