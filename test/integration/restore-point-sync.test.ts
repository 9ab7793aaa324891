/**
 * The restore-point sync against a real API server (its own control plane: the sync lists every namespace) and a real
 * Kopia repository written by the kopia binary. VolSync does not run: the test plays it by writing the RDs' status
 * (`lastManualSync`, `latestImage`) through the status subresource, and plays the controller by applying the
 * persistent RD as it generates it, under its field manager.
 * Real twin: test/integration/realnode-cluster.test.ts — the standby re-armed by lifeboat's in-cluster sync, synced by
 * the real VolSync and its kopia mover, reported current (Event, metric, `lifeboat status`) with its image's bytes
 * checked, a standby whose armed snapshot was gone before the mover ran reported and re-armed, and a standby whose
 * image predates lifeboat's arm reported behind, re-armed and synced again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { Catalog } from '../../src/catalog/catalog.ts';
import { RESTORE_POINT_LABEL } from '../../src/config/keys.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Operator } from '../../src/controller/operator.ts';
import { RestorePointSync } from '../../src/controller/restore-point-sync.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { restoreAsOf, STANDBY_RECORD_ANNOTATION, SYNC_FIELD_MANAGER } from '../../src/plan/standby.ts';
import { runWithEnv } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import {
  armAsTheSync,
  completedRestorePoint,
  controllerDestination,
  createPvc,
  eventsFor,
  eventually,
  getRd,
  type KopiaFixture,
  kopiaFixture,
  mergePatch,
  namespace,
  PASSWORD,
  playDestinationSynced,
  sourceSecret,
} from './operating-fixtures.ts';

const config = loadConfig('namespace: lifeboat-system');
const HOUR = 3_600_000;
const T0 = Date.parse('2026-05-20T02:17:00Z');
let cp: ControlPlane;
let kube: KubeClient;
let kopia: KopiaFixture;
let catalog: Catalog;
const snaps: Record<string, { id: string; time: string }[]> = {};

async function snap(ns: string, pvc: string, hoursAfterT0: number) {
  const s = await kopia.snapshot(ns, pvc, new Date(T0 + hoursAfterT0 * HOUR));
  const key = `${ns}/${pvc}`;
  snaps[key] = [s, ...(snaps[key] ?? [])];
  return s;
}

const newest = (key: string) => snaps[key]?.[0] as { id: string; time: string };
async function completedRecord(ns: string, pvc: string, s: { id: string; time: string }, token: string) {
  await completedRestorePoint(kube, config, ns, pvc, s, token);
}

function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return registry.getSingleMetricAsString(name).then((text) => {
    const want = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{${want}}`) || (want === '' && l.startsWith(`${name} `)));
    return line ? Number(line.split(' ').at(-1)) : undefined;
  });
}

before(async () => {
  [cp, kopia] = await Promise.all([startControlPlane({ crds: 'kopia-fork' }), kopiaFixture()]);
  kube = new KubeClient(cp.kubeConfig);
  for (const ns of ['app', 'other', 'lifeboat-system']) await namespace(kube, ns, ns !== 'lifeboat-system');
  // Backups as the movers wrote them: a and b twice, c and d once, e (fresh) never.
  await snap('app', 'a', 0);
  await snap('app', 'a', 1);
  await snap('app', 'b', 0);
  await snap('app', 'b', 1);
  await snap('app', 'c', 0);
  await snap('other', 'd', 0);
  catalog = kopia.catalog();
  await catalog.refresh();
});

after(async () => {
  await catalog?.stop();
  kube?.close();
  await cp?.stop();
  await kopia?.repo.cleanup();
});

describe('restore-point sync (real API server, real kopia repository)', () => {
  it('re-arms only the restore points that are behind, within the caps, and the controller keeps its fields', async () => {
    // a: holds the newest snapshot (current). b: holds an older one (behind), its PVC is gone.
    // c: never recorded (behind), its PVC exists. d: a sync in flight since 10 minutes (never re-armed).
    // e: no backups at all (fresh). A per-snapshot restore point is never touched.
    await completedRecord('app', 'a', newest('app/a'), 'sync-1779200000');
    await completedRecord('app', 'b', snaps['app/b']?.[1] as { id: string; time: string }, 'sync-1779200000');
    await controllerDestination(kube, config, 'app', 'c');
    await playDestinationSynced(kube, 'app', 'c-restore', 'restore-once');
    await createPvc(kube, 'app', 'c', { labels: { backup: 'hourly' } });
    const inFlight = `sync-${Math.floor((Date.now() - 10 * 60_000) / 1000)}`;
    await controllerDestination(kube, config, 'other', 'd', inFlight);
    await controllerDestination(kube, config, 'app', 'e');
    await playDestinationSynced(kube, 'app', 'e-restore', 'restore-once');
    const perSnapshot = (await controllerDestination(kube, config, 'app', 'c')) as KubeObject;
    await kube.apply(
      {
        ...perSnapshot,
        metadata: {
          name: 'c-restore-0a1b2c3d',
          namespace: 'app',
          labels: { ...perSnapshot.metadata.labels, [RESTORE_POINT_LABEL]: 'true' },
          annotations: perSnapshot.metadata.annotations ?? {},
        },
      },
      { force: true },
    );

    const registry = new Registry();
    const events = new EventRecorder(kube, { reportingInstance: 'test', registry });
    const sync = new RestorePointSync({
      kube,
      config,
      catalog,
      events,
      registry,
      concurrency: 2,
      perRepository: 2,
      staggerMs: 1,
    });

    const first = await sync.runPass();
    const actions = Object.fromEntries(first.outcomes.map((o) => [o.key, o.action]));
    // d in flight + c armed = the cap of 2, so b waits (c first: never recorded is the most urgent).
    assert.deepEqual(actions, {
      'app/a': 'current',
      'app/b': 'held',
      'app/c': 'armed',
      'other/d': 'syncing',
      'app/e': 'no-backup',
    });
    assert.equal(first.pending, true);

    const c = await getRd(kube, 'app', 'c-restore');
    const cToken = first.outcomes.find((o) => o.key === 'app/c')?.token ?? '';
    assert.match(cToken, /^sync-\d+$/);
    assert.equal(c?.spec.trigger?.manual, cToken);
    const cNewest = newest('app/c');
    assert.equal(c?.spec.kopia?.restoreAsOf, restoreAsOf({ timeMs: Date.parse(cNewest.time) }));
    assert.deepEqual(JSON.parse(c?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION] ?? '{}'), {
      snapshotId: cNewest.id,
      snapshotTime: cNewest.time,
      token: cToken,
    });
    const syncFields = JSON.stringify(
      c?.metadata.managedFields?.find((f) => f.manager === SYNC_FIELD_MANAGER)?.fieldsV1,
    );
    assert.match(syncFields, /f:restoreAsOf/);
    assert.match(syncFields, /lifeboat.dev\/restore-point/);
    // Untouched: the in-flight d, the current a, the per-snapshot RD.
    assert.equal((await getRd(kube, 'other', 'd-restore'))?.spec.trigger?.manual, inFlight);
    assert.equal((await getRd(kube, 'app', 'a-restore'))?.spec.trigger?.manual, 'sync-1779200000');
    assert.equal((await getRd(kube, 'app', 'c-restore-0a1b2c3d'))?.spec.trigger?.manual, 'restore-once');

    // The controller reconciles c again (carrying the live token over, as planPvc does): the sync's restoreAsOf and
    // record survive, because they belong to another field manager.
    await controllerDestination(kube, config, 'app', 'c', cToken);
    const afterController = await getRd(kube, 'app', 'c-restore');
    assert.equal(afterController?.spec.kopia?.restoreAsOf, c?.spec.kopia?.restoreAsOf);
    assert.equal(
      afterController?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION],
      c?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION],
    );

    // Playing VolSync: c's and d's syncs complete. The next pass reports c synced and arms b.
    await playDestinationSynced(kube, 'app', 'c-restore', cToken);
    await playDestinationSynced(kube, 'other', 'd-restore', inFlight);
    const second = await sync.runPass();
    const again = Object.fromEntries(second.outcomes.map((o) => [o.key, o.action]));
    assert.equal(again['app/c'], 'current');
    assert.equal(again['app/b'], 'armed');
    // d completed a sync lifeboat never recorded a snapshot for: it is behind now, and waits for b (repository cap 2
    // is not the limit; the cluster cap is: b armed + nothing else in flight leaves room, so d is armed as well).
    assert.equal(again['other/d'], 'armed');
    assert.equal(again['app/a'], 'current');

    await events.flush();
    const onC = await eventsFor(kube, 'app', 'PersistentVolumeClaim', 'c');
    assert.deepEqual(onC.map((e) => e.reason).sort(), ['RestorePointSyncStarted', 'RestorePointSynced']);
    assert.match(
      onC.find((e) => e.reason === 'RestorePointSynced')?.note ?? '',
      new RegExp(`holds snapshot ${cNewest.id}`),
    );
    // b's PVC is gone: its Events go to the RD.
    const onB = await eventsFor(kube, 'app', 'ReplicationDestination', 'b-restore');
    assert.deepEqual(
      onB.map((e) => e.reason),
      ['RestorePointSyncStarted'],
    );
    assert.match(onB[0]?.note ?? '', /holds snapshot .* the newest is/);

    assert.equal(await metric(registry, 'lifeboat_restore_point_syncs_total', { result: 'synced' }), 1);
    assert.equal(await metric(registry, 'lifeboat_restore_point_syncs_total', { result: 'skipped' }), 1);
    assert.equal(await metric(registry, 'lifeboat_restore_point_arms_total', {}), 3);
    const age = await metric(registry, 'lifeboat_restore_point_age_seconds', { namespace: 'app', pvc: 'c' });
    assert.ok(age !== undefined && Math.abs(age - (Date.now() - Date.parse(cNewest.time)) / 1000) < 60, String(age));
    assert.equal(await metric(registry, 'lifeboat_restore_points', { state: 'current' }), 2);
    assert.equal(await metric(registry, 'lifeboat_restore_points', { state: 'no-backup' }), 1);

    // A new backup of a: only a becomes behind; the next pass arms it and nothing else.
    await playDestinationSynced(
      kube,
      'app',
      'b-restore',
      (await getRd(kube, 'app', 'b-restore'))?.spec.trigger?.manual ?? '',
    );
    await playDestinationSynced(
      kube,
      'other',
      'd-restore',
      (await getRd(kube, 'other', 'd-restore'))?.spec.trigger?.manual ?? '',
    );
    await snap('app', 'a', 2);
    await catalog.refresh();
    const third = await sync.runPass();
    assert.deepEqual(
      third.outcomes.filter((o) => o.action === 'armed').map((o) => o.key),
      ['app/a'],
    );
    await events.close();
  });

  it('a standby whose sync restored another snapshot than the one armed is behind: re-armed with a Warning', async () => {
    // The token matches and an image exists, but the mover reports (VolSync with its debug log filter, where the kopia
    // mover's selection is kept) an older snapshot: the armed one was removed before the mover chose.
    await namespace(kube, 'misled');
    const older = await snap('misled', 'm', 0);
    const armed = await snap('misled', 'm', 1);
    await catalog.refresh();
    await completedRecord('misled', 'm', armed, 'sync-1779300000');
    await mergePatch(
      kube,
      {
        apiVersion: 'volsync.backube/v1alpha1',
        kind: 'ReplicationDestination',
        namespace: 'misled',
        name: 'm-restore',
      },
      {
        status: {
          latestMoverStatus: {
            result: 'Successful',
            logs: `Selected snapshot with id: ${older.id}\nINFO: Snapshot restore completed successfully`,
          },
        },
      },
      'status',
    );
    await createPvc(kube, 'misled', 'm', { labels: { backup: 'hourly' } });
    const events = new EventRecorder(kube, { reportingInstance: 'test', registry: new Registry() });
    const sync = new RestorePointSync({ kube, config, catalog, events, staggerMs: 1 });
    const pass = await sync.runPass({ namespace: 'misled' });
    const outcome = pass.outcomes.find((o) => o.key === 'misled/m');
    assert.equal(outcome?.action, 'armed', JSON.stringify(pass.outcomes));
    assert.match(
      outcome?.message ?? '',
      new RegExp(`sync-1779300000 did not restore what it was armed with: the mover restored snapshot ${older.id}`),
    );
    await events.flush();
    const warnings = (await eventsFor(kube, 'misled', 'PersistentVolumeClaim', 'm')).filter(
      (e) => e.reason === 'RestorePointSyncMismatch',
    );
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.type, 'Warning');
    await events.close();
  });

  it('a standby whose image was made before the arm is behind: re-armed with a Warning naming it, then current', async () => {
    // The window of docs/design.md#standby-evidence. Played (VolSync): the sync recorded under lifeboat's new token
    // publishing the VolumeSnapshot an earlier run made before the arm. The report names nothing, and a catalog read
    // after the sync still holds the armed snapshot: everything but the image says current.
    await namespace(kube, 'window');
    const s = await snap('window', 'w', 0);
    await catalog.refresh();
    const rd = await controllerDestination(kube, config, 'window', 'w');
    const earlier = 'volsync-w-restore-dest-20260520021700';
    await kube.create({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: earlier, namespace: 'window' },
      spec: { source: { persistentVolumeClaimName: 'volsync-w-restore-dest' } },
    });
    const made = (
      await kube.get({
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        namespace: 'window',
        name: earlier,
      })
    )?.metadata.creationTimestamp;
    // Both times have whole seconds: the arm lands in a later second than the earlier run's snapshot.
    await sleep(1_050 - (Date.now() % 1_000));
    const armed = await armAsTheSync(kube, rd, s, 'sync-1779400000');
    const armedAt = armed.metadata.managedFields?.find((f) => f.manager === SYNC_FIELD_MANAGER)?.time;
    await playDestinationSynced(kube, 'window', 'w-restore', 'sync-1779400000', new Date(), earlier);
    await catalog.refresh();
    await createPvc(kube, 'window', 'w', { labels: { backup: 'hourly' } });
    const events = new EventRecorder(kube, { reportingInstance: 'test', registry: new Registry() });
    const sync = new RestorePointSync({ kube, config, catalog, events, staggerMs: 1 });
    const pass = await sync.runPass({ namespace: 'window' });
    const outcome = pass.outcomes.find((o) => o.key === 'window/w');
    assert.equal(outcome?.action, 'armed', JSON.stringify(pass.outcomes));
    assert.equal(
      outcome?.message.match(/\(sync .*\)/)?.[0],
      `(sync sync-1779400000 did not restore what it was armed with: its image, VolumeSnapshot ${earlier}, was created ` +
        `${made}, before sync sync-1779400000 was armed at ${new Date(Date.parse(armedAt ?? '')).toISOString()}: it holds ` +
        "an earlier run's data)",
    );
    await events.flush();
    const warnings = (await eventsFor(kube, 'window', 'PersistentVolumeClaim', 'w')).filter(
      (e) => e.reason === 'RestorePointSyncMismatch',
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.note ?? '', new RegExp(`VolumeSnapshot ${earlier}, was created`));

    // Played (VolSync): the re-arm's own run, whose snapshot is made after it.
    await playDestinationSynced(kube, 'window', 'w-restore', outcome?.token ?? '');
    const again = await sync.runPass({ namespace: 'window' });
    assert.equal(again.outcomes.find((o) => o.key === 'window/w')?.action, 'current', JSON.stringify(again.outcomes));
    await events.close();
  });

  it('restarts a sync stuck beyond the timeout, and paces arms apart', async () => {
    await namespace(kube, 'stuck');
    for (const pvc of ['s1', 's2']) await snap('stuck', pvc, 0);
    await catalog.refresh();
    const old = `sync-${Math.floor((Date.now() - 3 * HOUR) / 1000)}`;
    await controllerDestination(kube, config, 'stuck', 's1', old);
    await controllerDestination(kube, config, 'stuck', 's2', old);
    const patches: number[] = [];
    const request = kube.http.request.bind(kube.http);
    kube.http.request = (async (method: string, path: string, opts?: { query?: Record<string, unknown> }) => {
      if (method === 'PATCH' && opts?.query?.fieldManager === SYNC_FIELD_MANAGER) patches.push(Date.now());
      return await request(method, path, opts as never);
    }) as typeof kube.http.request;
    try {
      const registry = new Registry();
      const sync = new RestorePointSync({
        kube,
        config,
        catalog,
        registry,
        concurrency: 5,
        perRepository: 5,
        staggerMs: 400,
        syncTimeoutMs: HOUR,
      });
      const report = await sync.runPass({ only: new Set(['stuck/s1', 'stuck/s2']) });
      assert.deepEqual(report.outcomes.map((o) => [o.key, o.action]).sort(), [
        ['stuck/s1', 'armed'],
        ['stuck/s2', 'armed'],
      ]);
      assert.equal(patches.length, 2);
      // Jittered ×0.5–1.5 around 400 ms: never back to back.
      const gap = (patches[1] ?? 0) - (patches[0] ?? 0);
      assert.ok(gap >= 200, `arms ${gap} ms apart`);
      assert.notEqual((await getRd(kube, 'stuck', 's1-restore'))?.spec.trigger?.manual, old);
    } finally {
      kube.http.request = request;
    }
  });

  it('arms conditionally: an RD that changed after it was read is left for the next pass', async () => {
    await namespace(kube, 'race');
    await snap('race', 'r', 0);
    await catalog.refresh();
    await controllerDestination(kube, config, 'race', 'r');
    await playDestinationSynced(kube, 'race', 'r-restore', 'restore-once');
    const stale = (await getRd(kube, 'race', 'r-restore')) as KubeObject;
    // VolSync (played) writes the status again after the sync read the RD: its resourceVersion moves on.
    await playDestinationSynced(kube, 'race', 'r-restore', 'restore-once', new Date(Date.now() + 5_000));
    const sync = new RestorePointSync({ kube, config, catalog, destinations: () => [stale], staggerMs: 1 });
    const report = await sync.runPass({ only: new Set(['race/r']) });
    assert.equal(report.outcomes[0]?.action, 'held');
    assert.match(report.outcomes[0]?.message ?? '', /changed while deciding \(409 Conflict/);
    assert.equal(report.pending, true);
    assert.equal((await getRd(kube, 'race', 'r-restore'))?.spec.trigger?.manual, 'restore-once');
    const retry = await new RestorePointSync({ kube, config, catalog, staggerMs: 1 }).runPass({
      only: new Set(['race/r']),
    });
    assert.equal(retry.outcomes[0]?.action, 'armed');
  });

  it('the loop re-arms on its own timer, and stops', async () => {
    await namespace(kube, 'loop');
    await snap('loop', 'l', 0);
    await catalog.refresh();
    await controllerDestination(kube, config, 'loop', 'l');
    await playDestinationSynced(kube, 'loop', 'l-restore', 'restore-once');
    const sync = new RestorePointSync({
      kube,
      config,
      catalog,
      intervalMs: 200,
      pollMs: 100,
      staggerMs: 1,
      concurrency: 10,
      perRepository: 10,
    });
    sync.start();
    try {
      await eventually('the loop arms l', async () => {
        const token = (await getRd(kube, 'loop', 'l-restore'))?.spec.trigger?.manual;
        return token?.startsWith('sync-') ? token : undefined;
      });
    } finally {
      await sync.stop();
    }
  });

  it('lifeboat sync <ns>/<pvc> forces one restore point now, with credentials from the cluster source Secret', async () => {
    await namespace(kube, 'cli');
    const s = await snap('cli', 'x', 0);
    await completedRecord('cli', 'x', s, 'sync-1779200000');
    await sourceSecret(kube, kopia);
    const kc = ['--kubeconfig', cp.kubeconfigPath];
    // No repository variables at all: the password and location come from the cluster's source Secret.
    const current = await runWithEnv({}, 'sync', 'cli/x', ...kc);
    assert.equal(current.status, 0, current.err);
    assert.match(current.out, /cli\/x {2}current {2}holds the newest snapshot/);
    assert.equal((await getRd(kube, 'cli', 'x-restore'))?.spec.trigger?.manual, 'sync-1779200000');
    const forced = await runWithEnv({}, 'sync', 'cli/x', '--force', ...kc, '-o', 'json');
    assert.equal(forced.status, 0, forced.err);
    const report = JSON.parse(forced.out) as { outcomes: { key: string; action: string; token: string }[] };
    assert.equal(report.outcomes[0]?.action, 'armed');
    assert.equal((await getRd(kube, 'cli', 'x-restore'))?.spec.trigger?.manual, report.outcomes[0]?.token);
    assert.doesNotMatch(forced.out + forced.err, new RegExp(PASSWORD));
    // No such restore point, and a bad argument.
    const missing = await runWithEnv({}, 'sync', 'cli/nope', ...kc);
    assert.equal(missing.status, 5);
    assert.match(missing.err, /no restore point .* for cli\/nope/);
    const neither = await runWithEnv({}, 'sync', ...kc);
    assert.equal(neither.status, 1);
    assert.match(neither.err, /name one PVC as <namespace>\/<pvc>, or pass --all/);
    // -n narrows --all to one namespace.
    const inCli = await runWithEnv({}, 'sync', '--all', '-n', 'cli', ...kc, '-o', 'yaml');
    assert.equal(inCli.status, 0, inCli.err);
    assert.match(inCli.out, /^outcomes:\n {2}- key: cli\/x\n/);
    assert.doesNotMatch(inCli.out, /key: (?!cli\/)/);
    const nowhere = await runWithEnv({}, 'sync', '--all', '-n', 'nowhere', ...kc, '-o', 'json');
    assert.deepEqual(JSON.parse(nowhere.out), { outcomes: [], pending: false });
    const both = await runWithEnv({}, 'sync', 'cli/x', '-n', 'cli', ...kc);
    assert.equal(both.status, 1);
    assert.match(both.err, /-n\/--namespace narrows --all/);
  });
  it('the operator’s leader runs the loop with restore.sync from the configuration, and none when it is off', async () => {
    await namespace(kube, 'operated');
    await snap('operated', 'data', 0);
    await catalog.refresh();
    await createPvc(kube, 'operated', 'data', { labels: { backup: 'hourly' } });
    await sourceSecret(kube, kopia);
    const logger = memoryLogger();
    const start = (yaml: string, identity: string) => {
      const operator = new Operator({
        kube,
        config: loadConfig(`namespace: lifeboat-system\n${yaml}`),
        identity,
        registry: new Registry(),
        catalog,
        logger,
        lease: { durationSeconds: 4, renewDeadlineMs: 2500, retryPeriodMs: 400 },
        syncPollMs: 100,
      });
      return { operator, term: operator.run() };
    };

    // Off: the leader reconciles (the controller writes the RD) but starts no loop.
    const off = start('restore: {sync: {enabled: false}}', 'sync-off');
    try {
      await eventually('the RD from the controller', () => getRd(kube, 'operated', 'data-restore'));
      assert.equal(off.operator.restorePointSync, undefined);
      assert.ok(
        logger.lines.some((l) => /restore-point sync is off/.test(l)),
        logger.lines.join('\n'),
      );
    } finally {
      await off.operator.stop();
      await off.term;
    }

    // Playing VolSync: the RD's first restore completed, no snapshot recorded for it, so the point is behind. (The
    // caps are above what the earlier tests left in flight against this one repository.)
    await playDestinationSynced(kube, 'operated', 'data-restore', 'restore-once');
    const on = start('restore: {sync: {interval: 20m, concurrency: 12, perRepository: 8, timeout: 30m}}', 'sync-on');
    try {
      const token = await eventually('the leader’s loop arms the restore point', async () => {
        const manual = (await getRd(kube, 'operated', 'data-restore'))?.spec.trigger?.manual;
        return manual?.startsWith('sync-') ? manual : undefined;
      });
      const loop = on.operator.restorePointSync;
      assert.deepEqual(loop?.caps, { concurrency: 12, perRepository: 8 });
      assert.equal(loop?.intervalMs, 20 * 60_000);
      assert.equal(loop?.syncTimeoutMs, 30 * 60_000);
      const started = await eventually('the Event on the PVC', async () => {
        const events = await eventsFor(kube, 'operated', 'PersistentVolumeClaim', 'data');
        return events.find((e) => e.reason === 'RestorePointSyncStarted');
      });
      assert.match(started.note ?? '', new RegExp(`trigger.manual ${token}`));
      // Playing VolSync: the armed sync completes with a new snapshot. The leader judges from its RD cache, which
      // keeps the arm time of the sync's managedFields entry: without it the standby could never be current.
      await playDestinationSynced(kube, 'operated', 'data-restore', token);
      const synced = await eventually('the leader reports the sync complete', async () => {
        const events = await eventsFor(kube, 'operated', 'PersistentVolumeClaim', 'data');
        return events.find((e) => e.reason === 'RestorePointSynced');
      });
      assert.match(synced.note ?? '', new RegExp(`image volsync-data-restore-dest-${token}`));
    } finally {
      await on.operator.stop();
      await on.term;
    }
  });
});
