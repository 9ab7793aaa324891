import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { Snapshot } from '../repository/types.ts';
import { formatHistory } from './history.ts';
import { planPvcDeleted } from './observed.ts';
import { planPvc } from './plan.ts';
import { chooseSnapshot, requestedRestorePoint, restorePointName } from './restore-point.ts';

const config = loadConfig('');
const snap = (id: string, time: string, incomplete = false): Snapshot => ({
  id,
  time,
  timeMs: Date.parse(time),
  ...(incomplete ? { incomplete } : {}),
});
const SNAPSHOTS = [
  snap('c', '2026-11-21T02:00:00.000Z', true),
  snap('b', '2026-11-20T02:00:00.000Z'),
  snap('a', '2026-11-19T02:00:00.000Z'),
];

describe('restore points', () => {
  const choices: [string, Parameters<typeof chooseSnapshot>[1], string | undefined][] = [
    ['newest complete snapshot (a checkpoint never counts)', {}, 'b'],
    ['newest at or before a point in time', { asOfMs: Date.parse('2026-11-19T12:00:00Z') }, 'a'],
    ['a point in time equal to a snapshot picks it', { asOfMs: Date.parse('2026-11-20T02:00:00Z') }, 'b'],
    ['a point in time before every snapshot picks none', { asOfMs: Date.parse('2026-11-01T00:00:00Z') }, undefined],
    ['an exact snapshot id', { snapshotId: 'a' }, 'a'],
    ['an unknown or incomplete snapshot id picks none', { snapshotId: 'c' }, undefined],
  ];
  for (const [name, want, id] of choices) it(name, () => assert.equal(chooseSnapshot(SNAPSHOTS, want)?.id, id));

  it('names restore points per snapshot, deterministically, within VolSync name limits', () => {
    const a = restorePointName('data', 'a', config.naming);
    assert.match(a, /^data-restore-[0-9a-f]{10}$/);
    assert.equal(restorePointName('data', 'a', config.naming), a);
    assert.notEqual(restorePointName('data', 'b', config.naming), a);
    const long = restorePointName('x'.repeat(253), 'a', config.naming);
    assert.ok(long.length <= 51, `${long.length}`);
  });
});

describe('planning a PVC that admission pointed at a restore point', () => {
  const name = restorePointName('data', 'b', config.naming);
  const pvc = (phase: string, annotations: Record<string, string> = {}): PersistentVolumeClaim => ({
    metadata: {
      name: 'data',
      namespace: 'apps',
      uid: 'u1',
      creationTimestamp: '2026-11-21T00:00:00Z',
      labels: { backup: 'daily' },
      annotations: {
        'lifeboat.dev/restore-snapshot': 'b',
        'lifeboat.dev/restore-snapshot-time': '2026-11-20T02:00:00.000Z',
        ...annotations,
      },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name },
    },
    status: { phase },
  });
  const ns = { metadata: { name: 'apps', annotations: { 'volsync.backube/privileged-movers': 'true' } } };
  const plan = (p: PersistentVolumeClaim, observed: never[] = [], history?: Parameters<typeof formatHistory>[0]) =>
    planPvc({
      pvc: p,
      intent: classifyPvc(p, ns, config),
      config,
      facts: {
        now: Date.parse('2026-11-22T00:00:00Z'),
        cluster: { volsync: 'kopia-fork' },
        sourceSecret: { state: 'found', data: { KOPIA_PASSWORD: 'cHc=', KOPIA_REPOSITORY: 'eA==' } },
        observed,
        ...(history ? { history } : {}),
      },
    });

  it('creates the restore point pinned to the chosen snapshot while the PVC is Pending', () => {
    const rd = plan(pvc('Pending')).apply.find((o) => o.metadata.name === name);
    assert.ok(rd && rd.kind === 'ReplicationDestination');
    assert.equal(rd.spec.kopia?.restoreAsOf, '2026-11-20T02:00:01Z', "the end of the snapshot's second");
    assert.equal(rd.spec.kopia?.username, 'data-backup', 'same identity as the backups');
    assert.equal(rd.metadata.labels['lifeboat.dev/restore-point'], 'true');
    assert.match(rd.spec.trigger.manual, /^restore-[0-9a-f]{10}$/);
    assert.equal(rd.spec.kopia?.capacity, '5Gi');
  });

  it('no longer wants it once the PVC is Bound, and deletes it then', () => {
    const pending = plan(pvc('Pending'));
    const rd = pending.apply.find((o) => o.metadata.name === name);
    const observed = [rd] as never[];
    const bound = plan(pvc('Bound'), observed);
    assert.equal(
      bound.apply.find((o) => o.metadata.name === name),
      undefined,
    );
    assert.deepEqual(
      bound.delete.map((r) => r.name),
      [name],
    );
  });

  it('ignores restore annotations that do not match the dataSourceRef (no restore point is invented)', () => {
    const p = pvc('Pending', { 'lifeboat.dev/restore-snapshot': 'a' });
    assert.equal(requestedRestorePoint(p, config.naming), undefined);
    assert.equal(plan(p).apply.filter((o) => o.kind === 'ReplicationDestination').length, 1, 'only the persistent one');
  });

  it('writes the backup-history ledger on the persistent destination only', () => {
    const history = { firstSeen: 'f', lastSnapshotId: 'b', lastSnapshotTime: '2026-11-20T02:00:00.000Z', maxCount: 2 };
    const rds = plan(pvc('Pending'), [], history).apply.filter((o) => o.kind === 'ReplicationDestination');
    const persistent = rds.find((o) => o.metadata.name === 'data-restore');
    assert.equal(persistent?.metadata.annotations['lifeboat.dev/backup-history'], formatHistory(history));
    assert.equal(
      rds.find((o) => o.metadata.name === name)?.metadata.annotations['lifeboat.dev/backup-history'],
      undefined,
    );
  });

  it('deletes the restore point (not the persistent destination) when the PVC is deleted', () => {
    const rds = plan(pvc('Pending')).apply.filter((o) => o.kind === 'ReplicationDestination');
    const refs = planPvcDeleted('apps', 'data', rds as never[]).map((r) => r.name);
    assert.deepEqual(refs, [name]);
  });
});
