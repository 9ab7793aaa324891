import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './client.ts';
import { changedBeyondStatus } from './predicates.ts';

const rs = (over: { generation?: number; status?: unknown; labels?: Record<string, string>; spec?: unknown }) =>
  ({
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationSource',
    metadata: { name: 'data-backup', namespace: 'app', generation: over.generation, labels: over.labels },
    spec: over.spec ?? { sourcePVC: 'data' },
    status: over.status,
  }) as KubeObject;

describe('changedBeyondStatus', () => {
  const cases: { name: string; old: KubeObject; current: KubeObject; changed: boolean }[] = [
    {
      name: 'status-only update (same generation)',
      old: rs({ generation: 3, status: { lastSyncTime: 'a' } }),
      current: rs({ generation: 3, status: { lastSyncTime: 'b' } }),
      changed: false,
    },
    {
      name: 'spec change (generation bumped)',
      old: rs({ generation: 3 }),
      current: rs({ generation: 4 }),
      changed: true,
    },
    {
      name: 'label change',
      old: rs({ generation: 3, labels: { backup: 'hourly' } }),
      current: rs({ generation: 3, labels: { backup: 'daily' } }),
      changed: true,
    },
    {
      name: 'no generation: spec compared directly',
      old: rs({ spec: { sourcePVC: 'a' } }),
      current: rs({ spec: { sourcePVC: 'b' } }),
      changed: true,
    },
    {
      name: 'no generation, same spec, status differs',
      old: rs({ status: { x: 1 } }),
      current: rs({ status: { x: 2 } }),
      changed: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(changedBeyondStatus(c.old, c.current), c.changed));
  }

  it('deletion started', () => {
    const old = rs({ generation: 1 });
    const current = rs({ generation: 1 });
    current.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.equal(changedBeyondStatus(old, current), true);
  });
});
