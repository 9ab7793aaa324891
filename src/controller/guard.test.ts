import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESTORE_POINT_LABEL } from '../config/keys.ts';
import type { ObservedObject } from '../plan/observed.ts';
import { MassDeletionGuard, removesRestoreCapability } from './guard.ts';

const object = (kind: string, name: string, labels: Record<string, string> = {}): ObservedObject => ({
  apiVersion: kind === 'Secret' ? 'v1' : 'volsync.backube/v1alpha1',
  kind,
  metadata: { name, namespace: 'app', labels },
});

describe('removesRestoreCapability', () => {
  const cases: { name: string; object: ObservedObject; counts: boolean }[] = [
    {
      name: 'the persistent restore point: the PVC could no longer be restored by recreating it',
      object: object('ReplicationDestination', 'data-restore'),
      counts: true,
    },
    {
      name: 'the credentials Secret its movers read',
      object: object('Secret', 'data-volsync-secret'),
      counts: true,
    },
    {
      name: 'the ExternalSecret that writes those credentials',
      object: { ...object('ExternalSecret', 'data-volsync-secret'), apiVersion: 'external-secrets.io/v1' },
      counts: true,
    },
    {
      name: 'a per-snapshot restore point (made for one restore, deleted after its hand-over or with its PVC)',
      object: object('ReplicationDestination', 'data-restore-2a9f', { [RESTORE_POINT_LABEL]: 'true' }),
      counts: false,
    },
    {
      name: 'a ReplicationSource: it only stops future backups',
      object: object('ReplicationSource', 'data-backup'),
      counts: false,
    },
    {
      name: 'KopiaMaintenance: it only compacts the repository',
      object: object('KopiaMaintenance', 'lifeboat'),
      counts: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(removesRestoreCapability(c.object), c.counts));
  }
});

describe('MassDeletionGuard', () => {
  it('counts PVCs, not objects: the cleanups of one PVC within the window count once', () => {
    const g = new MassDeletionGuard(2, 60_000);
    for (const pvc of ['app/a', 'app/b']) {
      for (const ref of ['ReplicationDestination', 'Secret']) {
        assert.equal(g.request(pvc, `${ref}/${pvc}`, 1000).allowed, true, `${ref} of ${pvc}`);
      }
    }
    assert.equal(g.request('app/a', 'Secret/app/a-other', 2000).allowed, true, 'a PVC counted already');
    assert.equal(g.tripped, false);
  });

  it('lets PVCs through up to the threshold within the window, then trips and holds every further PVC', () => {
    const g = new MassDeletionGuard(3, 60_000);
    assert.deepEqual(
      ['a', 'b', 'c'].map((p, i) => g.request(`ns/${p}`, `RD/ns/${p}`, 1000 + i).allowed),
      [true, true, true],
    );
    const fourth = g.request('ns/d', 'RD/ns/d', 1005);
    assert.equal(fourth.allowed, false);
    assert.match(
      fourth.allowed ? '' : fourth.reason,
      /more than 3 PVCs would lose their restore point or credentials within 60s \(1 deletions held back\)/,
    );
    assert.equal(g.request('ns/d', 'Secret/ns/d', 1006).allowed, false, 'every capability-removing deletion is held');
    assert.equal(g.request('ns/c', 'Secret/ns/c', 1007).allowed, true, 'a PVC within the threshold finishes');
    assert.equal(g.request('ns/e', 'RD/ns/e', 500_000).allowed, false, 'stays tripped after the window');
    assert.deepEqual(g.state(), { trippedAt: 1005, held: ['RD/ns/d', 'RD/ns/e', 'Secret/ns/d'] });
  });

  it('does not trip when PVCs are spread beyond the window', () => {
    const g = new MassDeletionGuard(2, 10_000);
    for (let i = 0; i < 10; i++) assert.equal(g.request(`ns/p${i}`, `RD/ns/p${i}`, i * 6000).allowed, true);
    assert.equal(g.tripped, false);
  });

  it('counts a PVC again once its first count left the window', () => {
    const g = new MassDeletionGuard(1, 10_000);
    assert.equal(g.request('ns/a', 'RD/ns/a', 0).allowed, true);
    assert.equal(g.request('ns/a', 'Secret/ns/a', 10_000).allowed, true, 'counted afresh, the only one in the window');
    assert.equal(g.request('ns/b', 'RD/ns/b', 10_001).allowed, false);
  });

  it('releases every held deletion on confirmation (beyond the threshold) and starts a fresh window', () => {
    const g = new MassDeletionGuard(1, 10_000);
    g.request('ns/a', 'RD/ns/a', 0);
    for (const p of ['b', 'c', 'd', 'b']) assert.equal(g.request(`ns/${p}`, `RD/ns/${p}`, 1).allowed, false);
    assert.deepEqual(g.confirm(), ['RD/ns/b', 'RD/ns/c', 'RD/ns/d']);
    assert.equal(g.tripped, false);
    for (const p of ['b', 'c', 'd'])
      assert.equal(g.request(`ns/${p}`, `RD/ns/${p}`, 3).allowed, true, `${p} confirmed`);
    assert.equal(g.request('ns/e', 'RD/ns/e', 4).allowed, true, 'a new window: one more PVC fits under the threshold');
    assert.equal(g.request('ns/f', 'RD/ns/f', 5).allowed, false, 'and the guard still trips on the next burst');
  });

  it('survives a restart through its persisted state', () => {
    const g = new MassDeletionGuard(1, 10_000);
    g.request('ns/a', 'RD/ns/a', 0);
    g.request('ns/b', 'RD/ns/b', 1);
    const restarted = new MassDeletionGuard(1, 10_000);
    restarted.restore(g.state());
    assert.equal(restarted.request('ns/c', 'RD/ns/c', 2).allowed, false);
    assert.deepEqual(restarted.state().held, ['RD/ns/b', 'RD/ns/c']);
  });
});
