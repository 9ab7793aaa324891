/**
 * `lifeboat status` against a real API server (its own control plane: the ledger covers every namespace) and a real
 * Kopia repository, with credentials read from the cluster's copy-mode source Secret. Nothing runs in the cluster:
 * the test plays the controller (applies the RS/RD it would generate), VolSync (writes RS/RD status) and the PV
 * controller (binds claims), and says so at each step. Every row of the JSON ledger is compared field by field.
 * Real twins: test/integration/realnode-data-path-*.test.ts, where the real VolSync writes the source and restore-point
 * status this ledger reads, and test/integration/realnode-cluster.test.ts, which runs `lifeboat status` against the
 * real cluster (RESTORE-READY of a standby synced by the real VolSync, and behind for an image older than the arm).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { VOLSYNC_API_VERSION } from '../../src/plan/objects.ts';
import { spreadMinute } from '../../src/plan/schedule.ts';
import type { Ledger, LedgerRow } from '../../src/status/types.ts';
import { runWithEnv } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import {
  completedRestorePoint,
  controllerSource,
  createPvc,
  type KopiaFixture,
  kopiaFixture,
  mergePatch,
  namespace,
  PASSWORD,
  playBind,
  playSourceSynced,
  sourceSecret,
  tempDir,
} from './operating-fixtures.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const config = loadConfig('namespace: lifeboat-system');
let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let configFile: string;
const t = Date.now();
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const snaps: Record<string, { id: string; time: string }> = {};

async function status(...args: string[]) {
  return await runWithEnv({}, 'status', '--kubeconfig', cp.kubeconfigPath, '--config', configFile, ...args);
}

before(async () => {
  [cp, kopia] = await Promise.all([startControlPlane({ crds: 'kopia-fork' }), kopiaFixture()]);
  kube = new KubeClient(cp.kubeConfig);
  configFile = join(await tempDir('lifeboat-status-'), 'lifeboat.yaml');
  await writeFile(configFile, 'namespace: lifeboat-system\n');
  await namespace(kube, 'lifeboat-system', false);
  await namespace(kube, 'shop');
  await namespace(kube, 'plain', false);
  // The copy-mode source Secret: the planner's credentials and the CLI's repository access both come from it.
  await sourceSecret(kube, kopia);
  // What the movers wrote: orders twice (newest 30 min ago), invoices once 5 h ago, gone once a day ago.
  await kopia.snapshot('shop', 'orders', new Date(t - 90 * MIN));
  snaps.orders = await kopia.snapshot('shop', 'orders', new Date(t - 30 * MIN));
  snaps.invoices = await kopia.snapshot('shop', 'invoices', new Date(t - 5 * HOUR));
  snaps.gone = await kopia.snapshot('shop', 'gone', new Date(t - 24 * HOUR));

  const hourly = { backup: 'hourly' };
  const schedule = (pvc: string) => ({ schedule: `${spreadMinute('shop', pvc)} * * * *` });
  // orders: protected, backed up 10 min ago, restore point holds the newest snapshot and its VolumeSnapshot is ready.
  await createPvc(kube, 'shop', 'orders', { labels: hourly });
  await playBind(kube, 'shop', 'orders');
  await controllerSource(kube, config, 'shop', 'orders', 'hourly', schedule('orders'));
  await playSourceSynced(kube, 'shop', 'orders-backup', new Date(t - 10 * MIN));
  await completedRestorePoint(kube, config, 'shop', 'orders', snaps.orders, 'sync-1', new Date(t - 5 * MIN));
  // The played sync made the image VolumeSnapshot after the arm; playing the snapshot controller, it becomes ready.
  const image = 'volsync-orders-restore-dest-sync-1';
  await mergePatch(
    kube,
    { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', namespace: 'shop', name: image },
    { status: { readyToUse: true } },
    'status',
  );
  // invoices: protected, last successful backup 5 h ago, the latest attempt failed: stale.
  await createPvc(kube, 'shop', 'invoices', { labels: hourly });
  await playBind(kube, 'shop', 'invoices');
  await controllerSource(kube, config, 'shop', 'invoices', 'hourly', schedule('invoices'));
  await playSourceSynced(kube, 'shop', 'invoices-backup', new Date(t - 5 * HOUR));
  await playSourceSynced(kube, 'shop', 'invoices-backup', new Date(t - 5 * HOUR), 'Failed');
  // fresh-app: just created and Bound (waits for its minimum age); pending: never bound.
  await createPvc(kube, 'shop', 'fresh-app', { labels: hourly });
  await playBind(kube, 'shop', 'fresh-app');
  await createPvc(kube, 'shop', 'pending', { labels: hourly });
  await createPvc(kube, 'shop', 'cache', {
    labels: { 'backup-exempt': 'true' },
    annotations: { 'lifeboat.dev/backup-exempt-reason': 'regenerated on start' },
  });
  await createPvc(kube, 'shop', 'typo', { labels: { backup: 'hourlyy' } });
  await createPvc(kube, 'shop', 'scratch');
  // taken: its ReplicationSource name belongs to someone else.
  await createPvc(kube, 'shop', 'taken', { labels: hourly });
  await kube.apply({
    apiVersion: VOLSYNC_API_VERSION,
    kind: 'ReplicationSource',
    metadata: { name: 'taken-backup', namespace: 'shop' },
    spec: { sourcePVC: 'taken', trigger: { manual: 'mine' }, restic: { repository: 'x', copyMethod: 'Snapshot' } },
  });
  // gone: only its restore point is left (the app was deleted).
  await completedRestorePoint(kube, config, 'shop', 'gone', snaps.gone, 'sync-2', new Date(t - 20 * HOUR));
  // ...and its image VolumeSnapshot was deleted since.
  await kube.delete({
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    namespace: 'shop',
    name: 'volsync-gone-restore-dest-sync-2',
  });
  await createPvc(kube, 'plain', 'web', { labels: hourly });
  await createPvc(kube, 'plain', 'other');
  await createPvc(kube, 'kube-system', 'sys');
});

after(async () => {
  kube?.close();
  await cp?.stop();
  await kopia?.repo.cleanup();
});

/** Ages move with the clock: checked within a minute of what the test set, then fixed for the field comparison. */
function settle(row: LedgerRow, expectedAgeSeconds: number | null): LedgerRow {
  if (!row.restorePoint) return row;
  const age = row.restorePoint.ageSeconds;
  if (expectedAgeSeconds === null) assert.equal(age, null);
  else
    assert.ok(
      age !== null && Math.abs(age - expectedAgeSeconds) < 120,
      `${row.pvc}: age ${age} vs ${expectedAgeSeconds}`,
    );
  return { ...row, restorePoint: { ...row.restorePoint, ageSeconds: expectedAgeSeconds } };
}

const base = {
  tier: 'hourly',
  phase: 'Bound',
  snapshots: null,
  backup: null,
  stale: false,
  staleReason: null,
  restorePoint: null,
  database: null,
  restoreReady: { ready: false, why: 'no restore point: the ReplicationDestination is missing' },
};
const freshSnapshots = {
  decision: 'fresh' as const,
  cause: 'no-snapshots',
  count: 0,
  newestId: null,
  newestTime: null,
};

describe('lifeboat status (real API server, real kopia repository)', () => {
  it('lists every case with its verdict, and exits 3 because a protected PVC is stale', async () => {
    const run = await status('-o', 'json');
    assert.equal(run.status, 3, run.err);
    const ledger = JSON.parse(run.out) as Ledger;
    const rows = new Map(ledger.rows.map((r) => [`${r.namespace}/${r.pvc}`, r]));
    const ordersSync = (
      await kube.get<{
        apiVersion: string;
        kind: string;
        metadata: { name: string };
        status: { lastSyncTime: string };
      }>({ apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationDestination', namespace: 'shop', name: 'orders-restore' })
    )?.status.lastSyncTime;
    const expected: Record<string, { row: Partial<LedgerRow>; age: number | null }> = {
      'shop/orders': {
        age: 30 * 60,
        row: {
          ...base,
          verdict: 'protected',
          reason: 'BackupConfigured',
          message: `tier hourly: backups schedule "${spreadMinute('shop', 'orders')} * * * *", keeping 24 hourly + 7 daily`,
          snapshots: {
            decision: 'restore',
            cause: 'snapshots-found',
            count: 2,
            newestId: snaps.orders?.id ?? '',
            newestTime: snaps.orders?.time ?? '',
          },
          backup: { source: 'orders-backup', lastSyncTime: iso(t - 10 * MIN), lastResult: 'Successful' },
          restorePoint: {
            destination: 'orders-restore',
            snapshotId: snaps.orders?.id ?? '',
            snapshotTime: snaps.orders?.time ?? '',
            syncedAt: ordersSync ?? '',
            ageSeconds: 30 * 60,
            restoreInProgress: null,
          },
          restoreReady: { ready: true, why: `holds snapshot ${snaps.orders?.id} from ${snaps.orders?.time}` },
        },
      },
      'shop/invoices': {
        age: null,
        row: {
          ...base,
          verdict: 'protected',
          reason: 'BackupConfigured',
          snapshots: {
            decision: 'restore',
            cause: 'snapshots-found',
            count: 1,
            newestId: snaps.invoices?.id ?? '',
            newestTime: snaps.invoices?.time ?? '',
          },
          backup: { source: 'invoices-backup', lastSyncTime: iso(t - 5 * HOUR), lastResult: 'Failed' },
          stale: true,
          // The newest of the source's lastSyncTime and the repository's newest snapshot, both 5 h ago.
          staleReason: `last successful backup ${new Date(Math.floor((t - 5 * HOUR) / 1000) * 1000).toISOString()}, 5h ago (allowed: 1h schedule period + 1h grace)`,
        },
      },
      'shop/fresh-app': {
        age: null,
        row: {
          ...base,
          verdict: 'waiting',
          reason: 'WaitingForMinAge',
          snapshots: freshSnapshots,
          restoreReady: { ready: false, why: 'no restore point: the ReplicationDestination is missing' },
        },
      },
      'shop/pending': {
        age: null,
        row: {
          ...base,
          verdict: 'waiting',
          reason: 'WaitingForBind',
          message: 'PVC is Pending; backups start once it is Bound',
          phase: 'Pending',
          snapshots: freshSnapshots,
        },
      },
      'shop/cache': {
        age: null,
        row: {
          ...base,
          tier: null,
          verdict: 'exempt',
          reason: 'BackupExempt',
          message: 'regenerated on start',
          phase: 'Pending',
          restoreReady: null,
          snapshots: freshSnapshots,
        },
      },
      'shop/typo': {
        age: null,
        row: {
          ...base,
          tier: 'hourlyy',
          verdict: 'needs-attention',
          reason: 'UnknownTier',
          message:
            'label backup="hourlyy" is not a configured tier (daily, hourly, manual, weekly); did you mean "hourly"? (existing backup objects are kept)',
          phase: 'Pending',
          snapshots: freshSnapshots,
        },
      },
      'shop/scratch': {
        age: null,
        row: {
          ...base,
          tier: null,
          verdict: 'needs-attention',
          reason: 'Unlabelled',
          phase: 'Pending',
          restoreReady: null,
        },
      },
      'shop/taken': {
        age: null,
        row: {
          ...base,
          verdict: 'conflict',
          reason: 'NameConflict',
          message:
            'ReplicationSource shop/taken-backup already exists and is not managed by lifeboat; it is left untouched. Rename or delete it (or label it app.kubernetes.io/managed-by=lifeboat to hand it over).',
          phase: 'Pending',
          snapshots: freshSnapshots,
        },
      },
      'shop/gone': {
        age: 24 * 3600,
        row: {
          ...base,
          tier: null,
          verdict: 'restore-point-only',
          reason: 'PvcDeleted',
          phase: null,
          snapshots: {
            decision: 'restore',
            cause: 'snapshots-found',
            count: 1,
            newestId: snaps.gone?.id ?? '',
            newestTime: snaps.gone?.time ?? '',
          },
          restorePoint: {
            destination: 'gone-restore',
            snapshotId: snaps.gone?.id ?? '',
            snapshotTime: snaps.gone?.time ?? '',
            syncedAt: iso(t - 20 * HOUR),
            ageSeconds: 24 * 3600,
            restoreInProgress: null,
          },
          restoreReady: { ready: false, why: 'VolumeSnapshot volsync-gone-restore-dest-sync-2 is missing' },
        },
      },
      'plain/web': {
        age: null,
        row: {
          ...base,
          verdict: 'needs-attention',
          reason: 'NamespaceNotOptedIn',
          message:
            'namespace plain has not opted in: annotate it with volsync.backube/privileged-movers: "true" (existing backup objects are kept)',
          phase: 'Pending',
          snapshots: freshSnapshots,
        },
      },
    };
    assert.deepEqual(
      [...rows.keys()].sort(),
      Object.keys(expected).sort(),
      'one row per case, nothing else (plain/other, kube-system/sys have none)',
    );
    for (const [key, want] of Object.entries(expected)) {
      const row = settle(rows.get(key) as LedgerRow, want.age);
      for (const [field, value] of Object.entries(want.row)) {
        assert.deepEqual(row[field as keyof LedgerRow], value, `${key}: ${field}`);
      }
    }
    assert.deepEqual(ledger.summary, {
      total: 10,
      byVerdict: {
        protected: 2,
        waiting: 2,
        exempt: 1,
        database: 0,
        conflict: 1,
        'needs-attention': 3,
        'restore-point-only': 1,
      },
      stale: 1,
      restoreNotReady: 7,
      restoreNotVerified: 0,
      databaseFileCopies: 0,
      // No drill ever ran here: the protected PVC with a standby has no proof (overdue), the other has no standby yet.
      notProven: 1,
      drillsFailing: 0,
    });
  });

  it('filters by namespace and verdict; exit 0 when nothing shown is stale', async () => {
    const plain = await status('-o', 'json', '--namespace', 'plain');
    assert.equal(plain.status, 0, plain.err);
    assert.deepEqual(
      (JSON.parse(plain.out) as Ledger).rows.map((r) => r.pvc),
      ['web'],
    );
    const waiting = await status('-o', 'json', '--verdict', 'waiting,exempt');
    assert.equal(waiting.status, 0, waiting.err);
    assert.deepEqual(
      (JSON.parse(waiting.out) as Ledger).rows.map((r) => `${r.pvc}:${r.verdict}`),
      ['cache:exempt', 'fresh-app:waiting', 'pending:waiting'],
    );
    const bad = await status('--verdict', 'happy');
    assert.equal(bad.status, 1);
    assert.match(bad.err, /unknown verdict "happy"/);
  });

  it('prints a table for people, and works without the repository', async () => {
    const table = await status('--namespace', 'shop');
    assert.equal(table.status, 3, table.err);
    const lines = table.out.split('\n');
    assert.match(
      lines[0] ?? '',
      /^NAMESPACE +PVC +TIER +VERDICT +SNAPSHOTS +NEWEST +LAST BACKUP +RESTORE POINT +RESTORED +PROVEN +RESTORE-READY$/,
    );
    assert.match(table.out, /shop +invoices +hourly +protected, STALE +1 /);
    assert.match(table.out, /shop +cache +- +exempt \(regenerated on start\)/);
    assert.match(table.out, /shop +gone +- +restore point only/);
    assert.match(table.out, /shop +orders +hourly +protected +2 .* yes$/m);
    assert.match(
      table.out,
      /9 PVCs: 2 protected, 2 waiting, 1 exempt, 1 conflict, 2 needs-attention, 1 restore-point-only; 1 stale, 6 restore points not ready/,
    );
    const blind = await status('--namespace', 'shop', '--no-catalog', '-o', 'json');
    assert.equal(blind.status, 3, blind.err);
    assert.ok((JSON.parse(blind.out) as Ledger).rows.every((r) => r.snapshots === null));
    assert.doesNotMatch(table.out + table.err + blind.out + blind.err, new RegExp(PASSWORD));
  });
});
