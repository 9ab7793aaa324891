import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import { restorePointName } from '../plan/restore-point.ts';
import { type ClaimObject, capturePvc, claimRestoreState, recreatedPvc } from './capture.ts';

const bound: ClaimObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: 'data',
    namespace: 'app',
    uid: 'u1',
    labels: { backup: 'hourly', app: 'web' },
    annotations: {
      team: 'shop',
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/selected-node': 'node-1',
      'volume.beta.kubernetes.io/storage-provisioner': 'driver.longhorn.io',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'lifeboat.dev/restore-snapshot': 'old',
      'lifeboat.dev/restore-snapshot-time': '2026-01-01T00:00:00Z',
      'lifeboat.dev/restore-verdict': 'verified: restored snapshot old',
      'lifeboat.dev/restored-from': 'old 2026-01-01T00:00:00Z',
    },
  },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '5Gi' } },
    storageClassName: 'longhorn',
    volumeMode: 'Filesystem',
    volumeName: 'pvc-123',
    dataSource: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 'data-restore-1' },
    dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 'data-restore-1' },
  },
  status: { phase: 'Bound' },
};

describe('capturePvc / recreatedPvc', () => {
  it('keeps the user’s labels, annotations and spec; drops what binding and the last restore added', () => {
    const captured = capturePvc(bound);
    assert.deepEqual(captured, {
      labels: { backup: 'hourly', app: 'web' },
      annotations: { team: 'shop' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '5Gi' } },
        storageClassName: 'longhorn',
        volumeMode: 'Filesystem',
      },
    });
    assert.deepEqual(recreatedPvc('app', 'data', captured), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'app', labels: captured.labels, annotations: captured.annotations },
      spec: captured.spec,
    });
  });
});

describe('claimRestoreState', () => {
  const claim = (
    ref: ClaimObject['spec'] extends infer S ? S : never,
    annotations: Record<string, string>,
    phase?: string,
  ): ClaimObject => ({
    metadata: { name: 'data', annotations },
    spec: ref ?? {},
    ...(phase ? { status: { phase } } : {}),
  });
  const naming = DEFAULT_CONFIG.naming;
  const point = restorePointName('data', 's1', naming);
  const rd = { dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: point } };
  const persistent = {
    dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 'data-restore' },
  };
  const table: [string, ClaimObject, string, RegExp?][] = [
    ['restored', claim(rd, { 'lifeboat.dev/restore-snapshot': 's1' }, 'Bound'), 'restored'],
    ['still populating', claim(rd, { 'lifeboat.dev/restore-snapshot': 's1' }, 'Pending'), 'populating'],
    ['no status yet', claim(rd, { 'lifeboat.dev/restore-snapshot': 's1' }), 'populating'],
    ['created empty (no dataSourceRef)', claim({}, {}, 'Bound'), 'wrong', /created with no dataSourceRef/],
    [
      'created from something else',
      claim({ dataSourceRef: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'x' } }, {}),
      'wrong',
      /created with PersistentVolumeClaim x/,
    ],
    [
      'restores another snapshot',
      claim(rd, { 'lifeboat.dev/restore-snapshot': 's0' }),
      'wrong',
      /restores snapshot s0, not the requested s1/,
    ],
    [
      'points at an RD without a recorded snapshot',
      claim(rd, {}),
      'wrong',
      /ReplicationDestination data-restore-[0-9a-f]{10} without a recorded snapshot/,
    ],
    [
      'points at the persistent RD (it may hold any old image)',
      claim(persistent, { 'lifeboat.dev/restore-snapshot': 's1' }),
      'wrong',
      /points at ReplicationDestination data-restore, not at data-restore-[0-9a-f]{10}, the restore point of s1/,
    ],
  ];
  for (const [name, c, kind, why] of table) {
    it(name, () => {
      const state = claimRestoreState(c, 's1', naming);
      assert.equal(state.kind, kind);
      if (why) assert.match(state.kind === 'wrong' ? state.why : '', why);
    });
  }
});
