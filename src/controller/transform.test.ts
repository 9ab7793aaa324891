/**
 * The transforms over objects written here by hand. The ReplicationSource's `status.latestMoverStatus` (result and
 * log) plays what VolSync writes; its real twin is the real-node suite, where VolSync's own status passes through this
 * transform into the cache and the restore evidence is read from it (test/integration/realnode-data-path-*.test.ts
 * through test/support/realnode-data-path.ts and realnode-flows.ts, step "restore evidence recorded").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESTORE_POINT_LABEL } from '../config/keys.ts';
import { slimChild, slimPvc } from './transform.ts';

describe('slimPvc', () => {
  const pvc = (ownerReferences?: unknown[]) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'pg-1', namespace: 'db', ...(ownerReferences ? { ownerReferences } : {}) },
  });

  it('keeps who made the claim (apiVersion, kind, name), to recognise a database operator’s', () => {
    const slim = slimPvc(
      pvc([{ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg', uid: 'u', controller: true }]),
    );
    assert.deepEqual(slim.metadata.ownerReferences, [
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg' },
    ]);
  });

  it('adds no ownerReferences to a claim without them', () => {
    assert.equal('ownerReferences' in slimPvc(pvc()).metadata, false);
    assert.equal('ownerReferences' in slimPvc(pvc([])).metadata, false);
  });
});

describe('what the cache keeps is shared and read-only', () => {
  const claim = (name: string, uid: string) =>
    JSON.parse(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: 'apps', uid, resourceVersion: '7', labels: { backup: 'daily' } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'longhorn',
          resources: { requests: { storage: '1Gi' } },
        },
        status: { phase: 'Bound' },
      }),
    );
  const source = (pvc: string, logs?: string, restorePoint = false) =>
    JSON.parse(
      JSON.stringify({
        apiVersion: 'volsync.backube/v1alpha1',
        kind: 'ReplicationSource',
        metadata: {
          name: `${pvc}-backup`,
          namespace: 'apps',
          uid: `uid-${pvc}`,
          labels: {
            'app.kubernetes.io/managed-by': 'lifeboat',
            ...(restorePoint ? { [RESTORE_POINT_LABEL]: 'true' } : {}),
          },
        },
        spec: { sourcePVC: pvc, trigger: { schedule: '0 3 * * *' }, kopia: { retain: { daily: 14 } } },
        status: { latestMoverStatus: { result: 'Successful', ...(logs ? { logs } : {}) } },
      }),
    );

  it('keeps equal parts of different objects once, and every object as it came (less what is trimmed)', () => {
    const a = slimPvc(claim('data-a', 'uid-a'));
    const b = slimPvc(claim('data-b', 'uid-b'));
    assert.equal(a.spec, b.spec);
    assert.equal(a.status, b.status);
    assert.equal(a.metadata.labels, b.metadata.labels);
    assert.notEqual(a.metadata, b.metadata);
    assert.equal(b.metadata.name, 'data-b');
    assert.deepEqual(b.spec, {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'longhorn',
      resources: { requests: { storage: '1Gi' } },
      dataSourceRef: undefined,
      dataSource: undefined,
      volumeMode: undefined,
    });

    const x = slimChild(source('data-a'));
    const y = slimChild(source('data-b'));
    assert.notEqual(x.spec, y.spec, 'the spec names its PVC');
    assert.equal((x.spec as { trigger: unknown }).trigger, (y.spec as { trigger: unknown }).trigger);
    assert.equal((x.spec as { kopia: unknown }).kopia, (y.spec as { kopia: unknown }).kopia);
    assert.deepEqual(Object.keys(x), ['apiVersion', 'kind', 'spec', 'metadata', 'status']);
  });

  it('a write into a cached part throws and leaves the other objects as they were', () => {
    const a = slimPvc(claim('data-a', 'uid-a'));
    const b = slimPvc(claim('data-b', 'uid-b'));
    assert.throws(() => {
      (a.spec as { storageClassName: string }).storageClassName = 'other';
    }, TypeError);
    assert.throws(() => {
      (a.metadata.labels as Record<string, string>).backup = 'hourly';
    }, TypeError);
    assert.equal((b.spec as { storageClassName: string }).storageClassName, 'longhorn');
    // The object and its metadata are unique to it: neither shared nor frozen.
    assert.equal(Object.isFrozen(a), false);
    assert.equal(Object.isFrozen(a.metadata), false);
  });

  it('drops the mover log except on restore points, where it is kept (frozen) as the evidence', () => {
    const log = 'restored snapshot k0123 '.repeat(40);
    const persistent = slimChild(source('data-a', log));
    assert.deepEqual(persistent.status, { latestMoverStatus: { result: 'Successful', logs: undefined } });
    const point = slimChild(source('data-a', log, true));
    assert.equal((point.status as { latestMoverStatus: { logs: string } }).latestMoverStatus.logs, log);
    assert.ok(Object.isFrozen(point.status));
  });
});
