/**
 * The steps the real-node data-path scenarios share (realnode-data-path.ts, realnode-cluster.test.ts): write
 * known files through a real Pod and back them up with the real mover, recreate the claim and check it came back from
 * the pinned snapshot byte for byte, the round trip of a new app, a PVC recreated beside an older restore point, a
 * namespace reinstalled, backup switched off by removing the label, a point-in-time restore with a Deployment
 * consumer, lifeboat down. Each runs against one Scenario (realnode-scenario.ts), one step at a time, timed.
 */
import assert from 'node:assert/strict';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../../src/config/keys.ts';
import type { KubeObject } from '../../src/kube/client.ts';
import { eventually } from './eventually.ts';
import { checkKnownFiles, consumerDeployment, writeKnownFiles } from './realnode-pods.ts';
import { type Claim, type Scenario as S, Scenario, type Source, VOLSYNC } from './realnode-scenario.ts';

export const PVC = 'data';

/** Writes new known files into the PVC through a real Pod, backs them up with the real mover; returns both. */
export async function writeAndBackUp(
  s: S,
  token: string,
): Promise<{ manifest: string; newest: { id: string; time: string } }> {
  // VolSync records the token it finds at the end of a sync as lastManualSync: a token written while an earlier sync
  // runs (a new source syncs once at creation) would be credited with that sync's snapshot of the files before.
  await s.step(`earlier sync done (${token})`, () => s.settled(PVC));
  const manifest = await s.step(`writer pod (${token})`, () =>
    writeKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage),
  );
  assert.equal(manifest.trim().split('\n').length, 5, manifest);
  const status = await s.step(`backup ${token}`, () => s.backup(PVC, token));
  const made = Scenario.snapshotInLogs(status.latestMoverStatus?.logs);
  assert.ok(made, `the mover's log names the snapshot it made: ${status.latestMoverStatus?.logs}`);
  const newest = await s.step(`catalog sees ${token}`, () => s.catalogNewest(PVC, made));
  return { manifest, newest };
}

/**
 * Creates the PVC again (the PVC or its namespace is gone) and checks it comes back from `backup`: pinned by admission,
 * restored by the real populator, a verified restore of that snapshot, and its bytes those of `backup.manifest`.
 */
export async function recreateRestored(
  s: S,
  backup: { manifest: string; newest: { id: string } },
  what: string,
  earlier?: { manifest: string },
) {
  await s.step(`${what}: recreate, restore until Bound`, async () => {
    const created = await s.createPvc(PVC);
    assert.equal(created.spec.dataSourceRef?.kind, 'ReplicationDestination', 'the recreated claim is restored');
    assert.equal(
      created.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION],
      backup.newest.id,
      'pinned to the newest backup',
    );
    await s.bound(PVC);
  });
  // lifeboat's restore evidence, from what the real VolSync and its real mover reported.
  const evidence = await s.step(`${what}: restore evidence recorded`, () =>
    eventually(
      'the restore verdict on the PVC',
      async () => {
        const a = (await s.kube.get<Claim>(s.pvcRef(PVC)))?.metadata.annotations;
        return a?.[RESTORE_VERDICT_ANNOTATION] ? a : undefined;
      },
      60_000,
      500,
    ),
  );
  assert.match(evidence[RESTORE_VERDICT_ANNOTATION] ?? '', /^verified: /);
  // restic's log names a snapshot by its short ID (8 hex digits), kopia's by the whole one.
  const from = evidence[RESTORED_FROM_ANNOTATION]?.split(' ')[0] ?? '';
  assert.ok(
    from.length >= 8 && backup.newest.id.startsWith(from),
    `restored-from names the pinned snapshot ${backup.newest.id}: ${evidence[RESTORED_FROM_ANNOTATION]}`,
  );
  const check = await s.step(`${what}: checker pod`, () =>
    checkKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage),
  );
  assert.equal(check.exitCode, 0, `restored bytes differ: ${check.message}`);
  assert.notEqual(
    check.message,
    earlier?.manifest,
    `${what}: the claim holds the files of an earlier backup, while lifeboat recorded ` +
      `"${evidence[RESTORE_VERDICT_ANNOTATION]}" and restored-from "${evidence[RESTORED_FROM_ANNOTATION]}"`,
  );
  assert.equal(check.message, backup.manifest, 'the restored volume holds exactly the files of that backup');
}

/** New PVC empty at once → backed up by the real mover → deleted → recreated → restored byte for byte. */
export async function roundTrip(s: S): Promise<{ manifest: string; newest: { id: string; time: string } }> {
  const fresh = await s.step('new PVC bound', async () => {
    const created = await s.createPvc(PVC);
    assert.equal(created.spec.dataSourceRef, undefined, 'a new PVC (nothing in the repository) is not restored');
    assert.equal(s.lastCreateAttempts, 1, "a ready lifeboat answers a new app's first CREATE at once");
    return await s.bound(PVC);
  });
  assert.equal(fresh.spec.dataSourceRef, undefined);

  // lifeboat generates the ReplicationSource; its manual trigger makes the real VolSync sync once at creation.
  await s.step('first backup (empty volume)', async () => {
    const rs = await eventually('ReplicationSource generated', () => s.kube.get<Source>(s.sourceRef(PVC)), 60_000, 250);
    const token = rs?.spec.trigger?.manual;
    assert.ok(token, 'lifeboat generated a manual-trigger ReplicationSource');
    return await s.synced(PVC, token);
  });

  const first = await writeAndBackUp(s, 'after-write');
  await s.step('delete PVC', () => s.deletePvc(PVC));
  await recreateRestored(s, first, 'PVC recreated');
  return first;
}

/**
 * The app's PVC deleted and created again after a newer backup: its ReplicationDestination stays (lifeboat keeps it so
 * the PVC restores when the app returns), still holding the latestImage of the earlier restore. The claim must come
 * back from the newest backup, never from that older image.
 */
export async function recreatedBesideOlderImage(s: S, earlier: { manifest: string }): Promise<void> {
  const second = await writeAndBackUp(s, 'second-write');
  await s.step('delete PVC again', () => s.deletePvc(PVC));
  await recreateRestored(s, second, 'PVC recreated beside an older latestImage', earlier);
}

/** The app deleted and installed again by GitOps: its namespace deleted and recreated. */
export async function namespaceReinstalled(s: S): Promise<void> {
  const third = await writeAndBackUp(s, 'third-write');
  await s.step('namespace deleted', () => s.deleteNamespace());
  await s.step('namespace recreated', () => s.createNamespace());
  await recreateRestored(s, third, 'namespace recreated');
}

/** What lifeboat generated in the scenario's namespace (`Kind/name`, sorted), for one PVC when `pvc` is given. */
export async function generatedFor(s: S, pvc?: string): Promise<string[]> {
  const found: string[] = [];
  for (const [apiVersion, kind] of [
    [VOLSYNC, 'ReplicationSource'],
    [VOLSYNC, 'ReplicationDestination'],
    ['v1', 'Secret'],
  ] as const) {
    for (const o of await s.kube.list(apiVersion, kind, {
      namespace: s.namespace,
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    })) {
      if (pvc === undefined || o.metadata.name.startsWith(`${pvc}-`)) found.push(`${kind}/${o.metadata.name}`);
    }
  }
  return found.sort();
}

/**
 * Backup switched off for a PVC that has backups: its label removed. lifeboat deletes what it generated for it (the
 * repository keeps its data), and the claim created again without the label is neither restored nor backed up.
 */
export async function backupDisabled(s: S): Promise<void> {
  const generated = () => generatedFor(s);
  assert.ok((await generated()).length >= 2, 'a backed-up PVC has its generated objects');
  await s.step('label removed: generated objects deleted', async () => {
    await s.kube.http.request(
      'PATCH',
      await s.kube.resources.objectPath('v1', 'PersistentVolumeClaim', PVC, s.namespace),
      {
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { backup: null } } },
      },
    );
    await eventually(
      'lifeboat deleted what it generated',
      async () => ((await generated()).length === 0 ? true : undefined),
      60_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; still there: ${(await generated()).join(', ')}`);
    });
  });
  await s.step('delete PVC', () => s.deletePvc(PVC));
  await s.step('recreated unlabelled: empty, nothing generated', async () => {
    const created = await s.createPvc(PVC, null);
    assert.equal(created.spec.dataSourceRef, undefined, 'an unlabelled PVC is never restored');
    await s.bound(PVC);
    const check = await checkKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage);
    assert.equal(check.exitCode, 3, `the volume starts empty: ${check.message}`);
    // lifeboat had all this time (the claim bound, a Pod ran) to generate something; it must not have.
    assert.deepEqual(await generated(), []);
  });
}

/**
 * A point-in-time restore by an administrator: `lifeboat restore --previous 1`, then `--as-of`, of a PVC a Deployment
 * mounts. The CLI scales the Deployment down (the real controllers remove its pod), deletes the claim, recreates it
 * (--recreate) for admission to pin the chosen snapshot, waits for the real populator, and scales the Deployment back.
 */
export async function pointInTime(s: S): Promise<void> {
  const older = await writeAndBackUp(s, 'pit-older');
  const newer = await writeAndBackUp(s, 'pit-newer');
  const app = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.namespace, name: 'app' };
  type Deployment = KubeObject & { spec: { replicas: number }; status?: { readyReplicas?: number } };
  const running = (what: string) =>
    s.step(what, () =>
      eventually(
        'the app Deployment running its pod',
        async () => ((await s.kube.get<Deployment>(app))?.status?.readyReplicas === 1 ? true : undefined),
        180_000,
        500,
      ),
    );
  await s.kube.apply(consumerDeployment('app', s.namespace, PVC, s.node.toolsImage), { force: true });
  await running('app Deployment running');

  const restore = async (what: string, args: string[], expected: { manifest: string; newest: { id: string } }) => {
    const run = await s.step(`lifeboat restore ${args.join(' ')}`, () =>
      s.cli('restore', `${s.namespace}/${PVC}`, ...args, '--yes', '--recreate', '--poll', '1s'),
    );
    assert.equal(run.status, 0, `lifeboat restore failed:\n${run.out}\n${run.err}`);
    await running(`${what}: app running again`);
    assert.equal((await s.kube.get<Deployment>(app))?.spec.replicas, 1, 'the Deployment is scaled back to 1');
    const claim = await s.kube.get<Claim>(s.pvcRef(PVC));
    assert.equal(claim?.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], expected.newest.id, `${what}: pinned`);
    const check = await s.step(`${what}: checker pod`, () =>
      checkKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage),
    );
    assert.equal(check.exitCode, 0, `restored bytes differ: ${check.message}`);
    assert.equal(check.message, expected.manifest, `${what}: the files of the chosen backup`);
  };
  await restore('--previous 1', ['--previous', '1'], older);
  // The restored claim's new source backed up the older files again at once: that newest snapshot is after `newer`.
  await s.step('first sync after the restore', () => s.settled(PVC));
  await restore('--as-of', ['--as-of', newer.newest.time], newer);
  await s.kube.delete(app);
}

/** With lifeboat's Deployment scaled to 0 (webhook still registered), on the real API server and provisioner. */
export async function lifeboatDown(s: S): Promise<void> {
  await s.step('lifeboat scaled to 0', () => s.lifeboatDown());
  await s.step('labelled PVC refused', async () => {
    // The Service has no endpoints: the API server cannot call the webhook, and its failurePolicy (Fail) refuses.
    await assert.rejects(s.createPvc('while-down'), /failed calling webhook/i);
  });
  await s.step('unlabelled PVC created and bound', async () => {
    const plain = await s.createPvc('unlabelled', null);
    assert.equal(plain.spec.dataSourceRef, undefined);
    await s.bound('unlabelled');
  });
  await s.step('break-glass namespace admits labelled PVCs, unrestored', async () => {
    await s.kube.http.request('PATCH', `/api/v1/namespaces/${s.namespace}`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { 'lifeboat.dev/break-glass': 'true' } } },
    });
    // The API server matches webhooks against its own cache of namespaces: the new label takes effect a moment later.
    const admitted = await eventually(
      'the API server sees the break-glass label',
      () =>
        s
          .createPvc('while-down')
          .catch((e: Error) => (/failed calling webhook/.test(e.message) ? undefined : Promise.reject(e))),
      30_000,
      250,
    );
    assert.equal(admitted.spec.dataSourceRef, undefined, 'break-glass: lifeboat steps aside, nothing restored');
    await s.bound('while-down');
  });
}
