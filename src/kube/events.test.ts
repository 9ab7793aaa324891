import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeClient } from './client.ts';
import { EventRecorder } from './events.ts';

/** A stand-in for the API server's Events endpoint: answers every request at once and counts them. */
function fakeKube() {
  const calls: string[] = [];
  const kube = {
    http: {
      request: async (method: string) => {
        calls.push(method);
        return {};
      },
    },
  } as unknown as KubeClient;
  return { kube, calls };
}

const subject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'apps', uid: 'u' },
};

describe('EventRecorder.flush', () => {
  it('returns when the overall rate limit holds series counts back (no spinning)', async () => {
    const { kube, calls } = fakeKube();
    // One write allowed in total: the create; every later series update is rate-limited.
    const events = new EventRecorder(kube, { reportingInstance: 't', overall: { perSecond: 0.000001, burst: 1 } });
    for (let i = 0; i < 5; i++) events.normal(subject, 'Same', 'Reconcile', 'same note');
    await events.flush();
    await events.flush();
    await events.close();
    assert.deepEqual(calls, ['POST']);
  });

  it('writes the aggregated count of repeated events when the rate allows it', async () => {
    const { kube, calls } = fakeKube();
    const events = new EventRecorder(kube, { reportingInstance: 't' });
    for (let i = 0; i < 5; i++) events.normal(subject, 'Same', 'Reconcile', 'same note');
    await events.close();
    assert.deepEqual(calls, ['POST', 'PATCH']);
  });
});
