/**
 * What lifeboat keeps for a whole cluster, on the real node (test/support/realnode.ts) with lifeboat installed from its
 * chart: the standby of a PVC — its persistent ReplicationDestination `{pvc}-restore` — re-armed by lifeboat's own
 * in-cluster sync loop when a newer backup lands and synced by the real VolSync with its real kopia mover, reported
 * current with that snapshot (the Event, the metric, `lifeboat status` run against the cluster), and holding its bytes:
 * a claim made from the standby's image is checked file by file. Then the case the trigger token cannot tell: the
 * standby armed for a snapshot that is gone by the time the mover runs (retention, maintenance, a manual forget) — the
 * real mover restores the older snapshot and VolSync reports the sync done with lifeboat's token; lifeboat must not
 * call it current, and re-arms it.
 *
 * lifeboat installed the other way users install it — `lifeboat manifests` applied object by object — with two
 * replicas, and its leader pod deleted: the other replica takes the Lease, admission answers every CREATE through the
 * hand-over, the webhook certificate still verifies against the webhook configurations' CA. The full cluster rebuild
 * is realnode-rebuild.test.ts.
 *
 * Then the case the report cannot tell either: VolSync publishing, under lifeboat's new token, the VolumeSnapshot an
 * earlier run made before the arm — the image holds the earlier data; lifeboat must say behind, re-arm, and the real
 * VolSync's next run makes a new image with the armed snapshot's bytes.
 *
 * Nothing here is played but two windows too short to hit on purpose. With lifeboat scaled to 0, the test arms the
 * standby exactly as lifeboat's sync does (plan/standby.ts armBody, under its field manager): once for a snapshot it
 * removed from the repository just before (the window between lifeboat's arming and the mover's choice), and once
 * for a new snapshot while it writes VolSync's own annotation `volsync.backube/snapname` on VolSync's destination
 * volume during the mover's run, naming the image the standby already had (the state VolSync is in when a re-arm
 * lands between an earlier run's snapshot and its record).
 * The played twin of the standby sync (fast, many PVCs, caps) is test/integration/restore-point-sync.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/client.ts';
import { msToIso, nsToMs, parseTimeNs } from '../../src/mover/kopia/reader/time.ts';
import {
  armBody,
  type DestinationView,
  parseStandbyRecord,
  STANDBY_RECORD_ANNOTATION,
  SYNC_FIELD_MANAGER,
  syncToken,
} from '../../src/plan/standby.ts';
import { eventually } from '../support/eventually.ts';
import { KopiaTestRepository } from '../support/kopia.ts';
import { sharedRealNode } from '../support/realnode.ts';
import { PVC, writeAndBackUp } from '../support/realnode-flows.ts';
import { LIFEBOAT_NAMESPACE, RELEASE } from '../support/realnode-lifeboat.ts';
import { checkKnownFiles, writeKnownFiles } from '../support/realnode-pods.ts';
import { type Scenario as S, Scenario, TURN, VOLSYNC } from '../support/realnode-scenario.ts';
import { admitted, servedCertificate } from '../support/realnode-webhook.ts';

type Standby = KubeObject &
  DestinationView & {
    apiVersion: string;
    kind: string;
    status?: DestinationView['status'] & { latestMoverStatus?: { result?: string; logs?: string } };
  };
type Event = KubeObject & { reason?: string; note?: string; type?: string; regarding?: { name?: string } };

const standbyRef = (s: S) => ({
  apiVersion: VOLSYNC,
  kind: 'ReplicationDestination',
  namespace: s.namespace,
  name: `${PVC}-restore`,
});

/** The standby once its recorded sync completed with an image; `id` (a prefix) names the snapshot recorded. */
async function standbySynced(s: S, id: string, what: string): Promise<Standby> {
  let seen = '';
  return await s
    .step(what, () =>
      eventually(
        `standby ${PVC}-restore synced to ${id}`,
        async () => {
          const rd = await s.kube.get<Standby>(standbyRef(s));
          const record = parseStandbyRecord(rd?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION]);
          seen = JSON.stringify({ record, trigger: rd?.spec?.trigger, status: rd?.status });
          const done =
            record?.snapshotId.startsWith(id) &&
            rd?.status?.lastManualSync === record.token &&
            rd.status.latestImage?.name;
          return done ? rd : undefined;
        },
        300_000,
        1000,
      ),
    )
    .catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${seen}`);
    });
}

/** lifeboat's Events on the PVC with `reason`, newest last. */
async function events(s: S, reason: string): Promise<Event[]> {
  const all = await s.kube.list<Event>('events.k8s.io/v1', 'Event', { namespace: s.namespace });
  return all.filter((e) => e.reason === reason);
}

/** lifeboat's gauge `lifeboat_restore_points{state}` as its in-cluster pod serves it. */
async function restorePoints(s: S, state: string): Promise<number | undefined> {
  const text = await (await fetch(s.lifeboat.opsUrl('/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`lifeboat_restore_points{state="${state}"}`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

/**
 * A new, unlabelled claim made from the standby's image (the VolumeSnapshot VolSync published), checked byte for byte
 * against `manifest` by a real Pod; the claim is deleted afterwards.
 */
async function imageHolds(s: S, image: string, manifest: string, what: string): Promise<void> {
  const name = `from-${image}`.slice(0, 63);
  await s.step(`${what}: claim from the image bound`, async () => {
    await s.kube.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: s.namespace },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: image },
      },
    } as KubeObject);
    await s.bound(name);
  });
  const check = await s.step(`${what}: checker pod`, () =>
    checkKnownFiles(s.kube, s.namespace, name, s.node.toolsImage),
  );
  await s.deletePvc(name);
  assert.equal(check.exitCode, 0, `${what}: the image's bytes differ: ${check.message}`);
  assert.equal(check.message, manifest, `${what}: the image holds exactly the files of that backup`);
}

/** `fn` with the scenario's repository connected as an administrator would connect to it. */
async function withRepository<T>(s: S, fn: (repo: KopiaTestRepository) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'lifeboat-kopia-admin-'));
  const { endpoint, accessKeyId, secretAccessKey, region, bucket } = s.node.s3;
  const repo = new KopiaTestRepository(root, 'real-kopia-password', {
    kind: 's3',
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    bucket,
    // The kopia mover adds the trailing slash to the prefix of KOPIA_REPOSITORY (s3://bucket/prefix).
    prefix: `${s.prefix}/`,
  });
  try {
    await repo.run(['repository', 'connect', ...repo.backendArgs()]);
    return await fn(repo);
  } finally {
    await repo.cleanup(); // removes root
  }
}

/** `kopia snapshot delete` of one snapshot in the scenario's repository, as retention or an administrator would. */
async function forgetSnapshot(s: S, id: string): Promise<void> {
  await withRepository(s, (repo) => repo.deleteSnapshots([id]));
}

/** The snapshot the mover made, as the catalog reports it (its id and start time), read from the repository. */
async function snapshotOf(s: S, id: string): Promise<{ id: string; time: string }> {
  const all = await withRepository(s, (repo) => repo.listSnapshots());
  const found = all.find((snap) => snap.id.startsWith(id));
  if (!found) throw new Error(`snapshot ${id} not in the repository: ${all.map((x) => x.id).join(', ')}`);
  // The catalog's own reading of the time (nanoseconds truncated to milliseconds), so the record matches it exactly.
  const ns = parseTimeNs(found.startTime);
  if (ns === undefined) throw new Error(`snapshot ${found.id} has an unreadable start time ${found.startTime}`);
  return { id: found.id, time: msToIso(nsToMs(ns)) };
}

/** Arms the standby for `snapshot` exactly as lifeboat's sync does: its apply body, under its field manager. */
async function armAsLifeboat(
  s: S,
  snapshot: { id: string; time: string },
): Promise<{ token: string; armedAt: string }> {
  const rd = (await s.kube.get<Standby>(standbyRef(s))) as Standby;
  const token = syncToken(Date.now(), rd.spec?.trigger?.manual);
  const armed = await s.kube.http.request<Standby>(
    'PATCH',
    await s.kube.resources.objectPath(VOLSYNC, 'ReplicationDestination', rd.metadata.name, s.namespace),
    {
      query: { fieldManager: SYNC_FIELD_MANAGER, force: true },
      contentType: 'application/apply-patch+yaml',
      body: armBody(rd, { ...snapshot, timeMs: Date.parse(snapshot.time) }, token),
    },
  );
  const armedAt = armed.metadata.managedFields?.find((f) => f.manager === SYNC_FIELD_MANAGER)?.time ?? '';
  return { token, armedAt };
}

describe('real node: the cluster lifeboat keeps', { timeout: 1_800_000 }, () => {
  let node: Awaited<ReturnType<typeof sharedRealNode>>;
  before(async () => {
    node = await sharedRealNode();
  }, TURN);

  describe('the standby, kopia on S3 (MinIO), with the real VolSync', () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(node, 'real-standby');
      const { secret, config } = s.s3Repository('kopia');
      // The shortest interval the configuration allows: the in-cluster loop re-arms within about a minute.
      await s.start(secret, { ...config, restore: { sync: { interval: '1m' } } });
    }, TURN);
    after(() => s?.stop());

    let synced: { manifest: string; newest: { id: string; time: string } } | undefined;
    it('a newer backup: the in-cluster sync re-arms the standby, the real VolSync restores it, lifeboat reports it current', async () => {
      await s.step('new PVC bound', async () => {
        await s.createPvc(PVC);
        await s.bound(PVC);
      });
      synced = await writeAndBackUp(s, 'standby-write');
      const rd = await standbySynced(s, synced.newest.id, 'standby re-armed and synced by the real VolSync');
      const record = parseStandbyRecord(rd.metadata.annotations?.[STANDBY_RECORD_ANNOTATION]);
      assert.equal(record?.snapshotId, synced.newest.id, 'armed with the newest snapshot');
      assert.equal(rd.status?.latestMoverStatus?.result, 'Successful');

      // lifeboat reports the completion once the evidence agrees (for kopia: a read of the repository after the sync).
      const reported = await s.step('RestorePointSynced reported', () =>
        eventually(
          'a RestorePointSynced Event naming the snapshot',
          async () => (await events(s, 'RestorePointSynced')).find((e) => e.note?.includes(synced?.newest.id ?? '?')),
          180_000,
          1000,
        ),
      );
      assert.match(reported.note ?? '', new RegExp(`image ${rd.status?.latestImage?.name}`));
      assert.deepEqual(await events(s, 'RestorePointSyncMismatch'), []);
      assert.equal(await restorePoints(s, 'current'), 1, 'the in-cluster metric counts the standby current');

      const status = await s.step('lifeboat status against the cluster', () =>
        s.cli('status', '-n', s.namespace, '--output', 'json'),
      );
      assert.equal(status.status, 0, `lifeboat status failed:\n${status.out}\n${status.err}`);
      const row = (
        JSON.parse(status.out) as { rows: { pvc: string; restoreReady: unknown; restorePoint: unknown }[] }
      ).rows.find((r) => r.pvc === PVC);
      assert.deepEqual(row?.restoreReady, {
        ready: true,
        why: `holds snapshot ${synced.newest.id} from ${record?.snapshotTime}`,
      });
      const table = await s.cli('status', '-n', s.namespace);
      assert.equal(table.status, 0, table.err);
      assert.match(table.out, /RESTORE-READY/);
      assert.match(table.out, new RegExp(`\\b${PVC}\\b.*\\byes\\b`));

      await imageHolds(s, rd.status?.latestImage?.name ?? '', synced.manifest, 'standby image');
    });

    it('armed for a snapshot gone before the mover ran: the token says done, lifeboat says behind and re-arms', async () => {
      assert.ok(synced, 'the first scenario ran');
      const older = synced;
      const gone = await writeAndBackUp(s, 'standby-gone');
      // lifeboat steps aside while the test arms the standby as its sync would, for a snapshot it then cannot restore.
      await s.step('lifeboat scaled to 0', () => s.lifeboat.scale(0));
      await s.step('newest snapshot forgotten in the repository', () => forgetSnapshot(s, gone.newest.id));
      const { token } = await armAsLifeboat(s, gone.newest);
      const misled = await standbySynced(s, gone.newest.id, 'the real VolSync syncs the armed standby');
      assert.equal(misled.status?.lastManualSync, token, "VolSync credits the sync with lifeboat's token");
      assert.equal(misled.status?.latestMoverStatus?.result, 'Successful', 'and reports it successful');
      // What the token cannot tell: the mover restored the older snapshot, the newest at or before restoreAsOf.
      await imageHolds(s, misled.status?.latestImage?.name ?? '', older.manifest, 'image of the misled sync');

      await s.step('lifeboat scaled to 1', () => s.lifeboat.scale(1));
      const warning = await s.step('RestorePointSyncMismatch reported', () =>
        eventually(
          'a RestorePointSyncMismatch Warning',
          async () => (await events(s, 'RestorePointSyncMismatch'))[0],
          240_000,
          1000,
        ),
      );
      assert.equal(warning.type, 'Warning');
      assert.match(warning.note ?? '', new RegExp(`${token} did not restore what it was armed with`));
      assert.match(warning.note ?? '', /gone from the repository/);
      const rearmed = await standbySynced(s, older.newest.id, 're-armed to the newest snapshot left, synced');
      assert.notEqual(rearmed.status?.lastManualSync, token);
      await imageHolds(s, rearmed.status?.latestImage?.name ?? '', older.manifest, 'standby image after the re-arm');
      await s.step('reported current again', () =>
        eventually(
          'lifeboat_restore_points{state="current"} 1',
          async () => ((await restorePoints(s, 'current')) === 1 ? true : undefined),
          180_000,
          2000,
        ),
      );
    });

    it("the image predates lifeboat's arm (VolSync published an earlier run's snapshot): behind, re-armed, current", async () => {
      // The window of docs/design.md#standby-evidence, with the real VolSync and its mover. Played, and only this:
      // VolSync's own annotation on its destination volume (volsync.backube/snapname), naming the image the standby
      // already has, written while the armed run's mover is still running. That is the state VolSync keeps when a
      // re-arm lands after an earlier run's mover finished and VolSync made that run's snapshot but had not recorded
      // the sync: the name stays on the volume, and VolSync publishes that snapshot once the new run's mover is done.
      // Hitting that second-long window with a real stuck sync cannot be done on purpose.
      assert.ok(synced, 'the first scenario ran');
      const before = await s.kube.get<Standby>(standbyRef(s));
      const earlier = before?.status?.latestImage?.name ?? '';
      const held = parseStandbyRecord(before?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION]);
      assert.equal(held?.snapshotId, synced.newest.id, 'the standby holds the first backup (the earlier scenarios)');
      // A newer backup the standby must take, made with lifeboat stepped aside (its loop would arm the standby itself).
      await s.step('lifeboat scaled to 0', () => s.lifeboat.scale(0));
      await s.step('earlier backup done (standby-window)', () => s.settled(PVC));
      const manifest = await s.step('writer pod (standby-window)', () =>
        writeKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage),
      );
      const backup = await s.step('backup standby-window', () => s.backup(PVC, 'standby-window'));
      const made = Scenario.snapshotInLogs(backup.latestMoverStatus?.logs) ?? '';
      const newest = await s.step('the new snapshot in the repository', () => snapshotOf(s, made));

      const { token, armedAt } = await armAsLifeboat(s, newest);
      await s.step('the real VolSync starts the armed run', () =>
        eventually(
          'status.lastSyncStartTime of the armed run',
          async () => {
            const rd = await s.kube.get<Standby & { status?: { lastSyncStartTime?: string } }>(standbyRef(s));
            return rd?.spec?.trigger?.manual === token && rd.status?.lastSyncStartTime ? true : undefined;
          },
          60_000,
          100,
        ),
      );
      await s.kube.http.request(
        'PATCH',
        await s.kube.resources.objectPath('v1', 'PersistentVolumeClaim', `volsync-${PVC}-restore-dest`, s.namespace),
        {
          contentType: 'application/merge-patch+json',
          body: { metadata: { annotations: { 'volsync.backube/snapname': earlier } } },
        },
      );
      const misled = await s.step("the real VolSync records the run under lifeboat's token", () =>
        eventually(
          `lastManualSync ${token}`,
          async () => {
            const rd = await s.kube.get<Standby>(standbyRef(s));
            return rd?.status?.lastManualSync === token ? rd : undefined;
          },
          300_000,
          1000,
        ),
      );
      assert.equal(
        misled.status?.latestImage?.name,
        earlier,
        'VolSync published the snapshot named on its volume (if not, its mover finished before the annotation landed)',
      );
      assert.equal(misled.status?.latestMoverStatus?.result, 'Successful', 'and reported the run successful');
      // What neither the token nor the report can tell: the image holds the earlier data, not the armed snapshot's.
      await imageHolds(s, earlier, synced.manifest, "the image published under lifeboat's token");
      const image = await s.kube.get<KubeObject>({
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        namespace: s.namespace,
        name: earlier,
      });
      const createdAt = image?.metadata.creationTimestamp ?? '';
      assert.ok(Date.parse(createdAt) < Date.parse(armedAt), `image created ${createdAt}, armed ${armedAt}`);
      const because = `its image, VolumeSnapshot ${earlier}, was created ${createdAt}, before sync ${token} was armed at ${new Date(Date.parse(armedAt)).toISOString()}`;

      const status = await s.step('lifeboat status against the cluster', () =>
        s.cli('status', '-n', s.namespace, '--output', 'json'),
      );
      const row = (JSON.parse(status.out) as { rows: { pvc: string; restoreReady: unknown }[] }).rows.find(
        (r) => r.pvc === PVC,
      );
      assert.deepEqual(row?.restoreReady, { ready: false, why: `behind: ${because}: it holds an earlier run's data` });

      await s.step('lifeboat scaled to 1', () => s.lifeboat.scale(1));
      const warning = await s.step('RestorePointSyncMismatch reported', () =>
        eventually(
          `a RestorePointSyncMismatch Warning for ${token}`,
          async () => (await events(s, 'RestorePointSyncMismatch')).find((e) => e.note?.includes(token)),
          240_000,
          1000,
        ),
      );
      assert.equal(warning.type, 'Warning');
      assert.ok(warning.note?.includes(because), warning.note);
      const rearmed = await s.step('re-armed by lifeboat, synced by the real VolSync', () =>
        eventually(
          'a sync after the re-arm with a new image',
          async () => {
            const rd = await s.kube.get<Standby>(standbyRef(s));
            const record = parseStandbyRecord(rd?.metadata.annotations?.[STANDBY_RECORD_ANNOTATION]);
            const done =
              record?.snapshotId === newest.id &&
              record.token !== token &&
              rd?.status?.lastManualSync === record.token &&
              rd.status.latestImage?.name;
            return done ? rd : undefined;
          },
          300_000,
          1000,
        ),
      );
      assert.notEqual(rearmed.status?.latestImage?.name, earlier);
      await imageHolds(s, rearmed.status?.latestImage?.name ?? '', manifest, 'standby image after the re-arm');
      await s.step('RestorePointSynced for the re-arm', () =>
        eventually(
          'a RestorePointSynced Event naming the new image',
          async () =>
            (await events(s, 'RestorePointSynced')).find((e) =>
              e.note?.includes(`image ${rearmed.status?.latestImage?.name}`),
            ),
          180_000,
          1000,
        ),
      );
      assert.equal(await restorePoints(s, 'current'), 1, 'the in-cluster metric counts the standby current');
    });
  });

  describe('lifeboat from `lifeboat manifests`, two replicas: the leader pod deleted', () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(node, 'real-ha');
      const { secret, config } = s.s3Repository('kopia');
      await s.start(secret, config, { from: 'manifests', replicas: 2 });
    }, TURN);
    after(() => s?.stop());

    it('another replica takes the Lease, admission answers throughout, the webhook certificate stays valid', async () => {
      const pods = async () =>
        (
          await s.kube.list<KubeObject & { status?: { phase?: string } }>('v1', 'Pod', {
            namespace: LIFEBOAT_NAMESPACE,
            labelSelector: `app.kubernetes.io/instance=${RELEASE}`,
          })
        ).filter((p) => !p.metadata.deletionTimestamp);
      // lifeboat's candidates are `<pod name>_<8 random hex digits>` (client-go's shape): the pod is what comes before.
      const holder = async () => {
        const identity = (await s.kube.get<Lease>(LEASE))?.spec?.holderIdentity ?? '';
        return identity.includes('_') ? identity.slice(0, identity.lastIndexOf('_')) : identity;
      };
      const names = (await pods()).map((p) => p.metadata.name);
      assert.equal(names.length, 2, `two replicas run: ${names.join(', ')}`);
      const leader = await s.step('a leader elected', () =>
        eventually(
          'the Lease held by one of the pods',
          async () => {
            const h = await holder();
            return names.includes(h) ? h : undefined;
          },
          60_000,
          250,
        ),
      );
      const certBefore = await servedCertificate(s);
      assert.equal(
        certBefore.authorized,
        true,
        `the served certificate verifies against the caBundle: ${certBefore.error}`,
      );
      assert.equal((await admitted(s, 'before')).ok, true, 'a labelled PVC is admitted');

      await s.kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: LIFEBOAT_NAMESPACE, name: leader });
      const t0 = Date.now();
      // Labelled CREATEs (dry run: the API server still calls both webhooks) one after another through the hand-over
      // and the old pod's departure from the Service: every one must be answered.
      const answers: { atMs: number; ok: boolean; error?: string }[] = [];
      let successor = '';
      let successorMs = 0;
      for (let i = 0; Date.now() - t0 < 20_000 || !successor; i++) {
        if (Date.now() - t0 > 120_000) break;
        const answer = await admitted(s, `during-${i}`);
        answers.push({ atMs: Date.now() - t0, ...answer });
        const h = await holder();
        if (!successor && h && h !== leader) {
          successor = h;
          successorMs = Date.now() - t0;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      s.timings['Lease taken over after the leader pod was deleted'] = successorMs;
      s.timings['admission CREATEs during the hand-over'] = answers.length;
      // The deleted leader releases the Lease on SIGTERM; the replica that was running and the pod the Deployment
      // starts in its place both retry every 2 s, and either may win (both are lifeboat with the same config).
      assert.ok(successor, 'a replica took the Lease');
      const running = await pods();
      assert.ok(
        running.some((p) => p.metadata.name === successor),
        `the successor ${successor} is one of the running pods: ${running.map((p) => p.metadata.name).join(', ')}`,
      );
      s.timings[
        `Lease taken by the ${names.includes(successor) ? 'replica that was running' : "deleted pod's replacement"}`
      ] = successorMs;
      assert.deepEqual(
        answers.filter((a) => !a.ok),
        [],
        'admission answered every CREATE during the hand-over',
      );

      // The new leader does the leader's work: a new labelled PVC gets its generated ReplicationSource.
      await s.step('the new leader reconciles a new PVC', async () => {
        await s.createPvc('after-handover');
        await eventually(
          'ReplicationSource of after-handover',
          () => s.kube.get(s.sourceRef('after-handover')),
          120_000,
          500,
        );
      });
      // The Deployment replaced the deleted pod; the certificate every replica serves still verifies.
      await s.step('two replicas again', () =>
        eventually('two ready pods', async () => ((await pods()).length === 2 ? true : undefined), 180_000, 500),
      );
      const certAfter = await servedCertificate(s);
      assert.equal(certAfter.authorized, true, `after the hand-over: ${certAfter.error}`);
      assert.equal(certAfter.caBundle, certBefore.caBundle, 'the webhook configurations kept their CA');
    });
  });
});

type Lease = KubeObject & { spec?: { holderIdentity?: string } };
const LEASE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: LIFEBOAT_NAMESPACE,
  name: 'lifeboat-controller',
};
