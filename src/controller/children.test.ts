import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PVC_LABEL } from '../config/keys.ts';
import type { KubeObject } from '../kube/client.ts';
import { ChildIndex } from './children.ts';

const child = (kind: string, name: string, pvc = 'data', rv = '1', namespace = 'app'): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: {
    name,
    namespace,
    resourceVersion: rv,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PVC_LABEL]: pvc },
  },
});

describe('ChildIndex', () => {
  it('finds each child of a PVC by kind and name; the same name under another kind is another child', () => {
    const index = new ChildIndex();
    index.upsert(child('ReplicationSource', 'data-backup'));
    index.upsert(child('Secret', 'data-backup'));
    index.upsert(child('ReplicationSource', 'other-backup', 'other'));
    assert.equal(index.get('app/data', 'ReplicationSource', 'app', 'data-backup')?.kind, 'ReplicationSource');
    assert.equal(index.get('app/data', 'Secret', 'app', 'data-backup')?.kind, 'Secret');
    assert.equal(index.get('app/data', 'ReplicationDestination', 'app', 'data-backup'), undefined);
    assert.equal(index.get('app/data', 'ReplicationSource', 'elsewhere', 'data-backup'), undefined);
    assert.equal(index.of('app/data').length, 2);
    assert.deepEqual(index.parents().sort(), ['app/data', 'app/other']);
  });

  it('replaces a child on update instead of adding it twice', () => {
    const index = new ChildIndex();
    index.upsert(child('ReplicationSource', 'data-backup', 'data', '1'));
    index.upsert(child('ReplicationSource', 'data-backup', 'data', '2'));
    assert.equal(index.of('app/data').length, 1);
    assert.equal(index.get('app/data', 'ReplicationSource', 'app', 'data-backup')?.metadata.resourceVersion, '2');
  });

  it('forgets a PVC once its last child is removed, and ignores objects of no PVC', () => {
    const index = new ChildIndex();
    const rs = child('ReplicationSource', 'data-backup');
    const secret = child('Secret', 'data-volsync-secret');
    index.upsert(rs);
    index.upsert(secret);
    index.upsert({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'loose', namespace: 'app' } });
    index.remove(rs);
    assert.deepEqual(
      index.of('app/data').map((c) => c.metadata.name),
      ['data-volsync-secret'],
    );
    index.remove(secret);
    index.remove(secret);
    assert.deepEqual(index.parents(), []);
    assert.deepEqual(index.of('app/data'), []);
  });
});
