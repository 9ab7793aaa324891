/**
 * The data path with real bytes on a real node (test/support/realnode.ts), for each mover and backend: a real Pod
 * writes known files and their checksum manifest into a labelled PVC; the real VolSync controller runs its real mover
 * (VolSync's own entry.sh, with kopia or restic) to back them up into a real repository on S3 (MinIO); the PVC is
 * deleted (the real PVC-protection controller and garbage collector act) and recreated; lifeboat's webhook adds the
 * dataSourceRef, VolSync's real volume populator fills the claim, and a real Pod checks every byte. Around that round
 * trip: the PVC recreated beside a restore point of an earlier restore, the namespace deleted and recreated (an app
 * reinstalled by GitOps), `lifeboat restore --previous 1` and `--as-of` with a Deployment the real controllers scale
 * down and up, lifeboat down, and backup switched off by removing the label.
 *
 * lifeboat runs in the cluster as users run it: installed by `helm install` from deploy/helm/lifeboat with the image
 * testenv makes from this checkout (testenv/build.sh lifeboat_image: the Dockerfile's /app, ENTRYPOINT and USER on the
 * machine's own node binary instead of node:24-bookworm-slim), the chart's RBAC and self-signed certificate, its
 * webhook reached by the API server through the chart's Service. Nothing here is played. The scenarios run one after
 * another, each installing and uninstalling its own lifeboat (one per cluster).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../../src/config/keys.ts';
import type { KubeObject } from '../../src/kube/client.ts';
import { eventually } from '../support/eventually.ts';
import { sharedRealNode } from '../support/realnode.ts';
import { checkKnownFiles, consumerDeployment, writeKnownFiles } from '../support/realnode-pods.ts';
import { type Claim, type Scenario as S, Scenario, type Source, VOLSYNC } from '../support/realnode-scenario.ts';

const PVC = 'data';

/** Writes new known files into the PVC through a real Pod, backs them up with the real mover; returns both. */
async function writeAndBackUp(
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
async function recreateRestored(
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
async function roundTrip(s: S): Promise<{ manifest: string; newest: { id: string; time: string } }> {
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
async function recreatedBesideOlderImage(s: S, earlier: { manifest: string }): Promise<void> {
  const second = await writeAndBackUp(s, 'second-write');
  await s.step('delete PVC again', () => s.deletePvc(PVC));
  await recreateRestored(s, second, 'PVC recreated beside an older latestImage', earlier);
}

/** The app deleted and installed again by GitOps: its namespace deleted and recreated. */
async function namespaceReinstalled(s: S): Promise<void> {
  const third = await writeAndBackUp(s, 'third-write');
  await s.step('namespace deleted', () => s.deleteNamespace());
  await s.step('namespace recreated', () => s.createNamespace());
  await recreateRestored(s, third, 'namespace recreated');
}

/**
 * Backup switched off for a PVC that has backups: its label removed. lifeboat deletes what it generated for it (the
 * repository keeps its data), and the claim created again without the label is neither restored nor backed up.
 */
async function backupDisabled(s: S): Promise<void> {
  const generated = async () => {
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
    const found: string[] = [];
    for (const [apiVersion, kind] of [
      [VOLSYNC, 'ReplicationSource'],
      [VOLSYNC, 'ReplicationDestination'],
      ['v1', 'Secret'],
    ] as const) {
      for (const o of await s.kube.list(apiVersion, kind, { namespace: s.namespace, labelSelector: selector })) {
        found.push(`${kind}/${o.metadata.name}`);
      }
    }
    return found;
  };
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
async function pointInTime(s: S): Promise<void> {
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
async function lifeboatDown(s: S): Promise<void> {
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

describe('real node: real movers restore real bytes', { timeout: 1_800_000 }, () => {
  let node: Awaited<ReturnType<typeof sharedRealNode>>;
  before(async () => {
    node = await sharedRealNode();
  });

  describe('kopia, repository on S3 (MinIO)', () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(node, 'real-kopia-s3');
      await s.start(
        {
          KOPIA_PASSWORD: 'real-kopia-password',
          KOPIA_REPOSITORY: `s3://${node.s3.bucket}/${s.prefix}`,
          KOPIA_S3_ENDPOINT: new URL(node.s3.endpoint).host,
          KOPIA_S3_DISABLE_TLS: 'true',
          AWS_ACCESS_KEY_ID: node.s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: node.s3.secretAccessKey,
          AWS_REGION: node.s3.region,
        },
        // The bucket is new: declaring the first installation is what makes a missing repository "never backed up".
        { repository: { backend: 'kopia', firstInstall: true } },
      );
    });
    after(() => s?.stop());
    let first: { manifest: string } | undefined;
    it('new PVC empty at once; backed up by the real kopia mover; recreated PVC restored byte for byte', async () => {
      first = await roundTrip(s);
    });
    it('PVC deleted and recreated after a newer backup: restored from it, not from the older latestImage', () =>
      recreatedBesideOlderImage(s, first ?? { manifest: '' }));
    it('app reinstalled (namespace deleted and recreated by GitOps): restored from the newest backup', () =>
      namespaceReinstalled(s));
    it('lifeboat restore --previous 1 and --as-of, with a Deployment scaled down and up by the real controllers', () =>
      pointInTime(s));
    it('lifeboat down: labelled PVCs refused, unlabelled ones created, namespace break-glass lets them through', () =>
      lifeboatDown(s));
  });

  describe('restic, repository on S3 (MinIO)', () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(node, 'real-restic-s3');
      await s.start(
        {
          RESTIC_PASSWORD: 'real-restic-password',
          AWS_ACCESS_KEY_ID: node.s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: node.s3.secretAccessKey,
          AWS_DEFAULT_REGION: node.s3.region,
        },
        {
          repository: {
            backend: 'restic',
            url: `s3:${node.s3.endpoint}/${node.s3.bucket}/${s.prefix}/{namespace}/{pvc}`,
          },
        },
      );
    });
    after(() => s?.stop());
    // A new PVC's restic repository does not exist yet: admission answers it with one bounded read of exactly that
    // location (before that read existed, this CREATE was denied catalog-not-loaded for over a minute).
    it('new PVC empty at once; backed up by the real restic mover; recreated PVC restored byte for byte', async () => {
      await roundTrip(s);
    });
    it('app reinstalled (namespace deleted and recreated by GitOps): restored from the newest backup', () =>
      namespaceReinstalled(s));
    it('backup disabled (label removed): generated objects deleted; recreated unlabelled, nothing restored', () =>
      backupDisabled(s));
  });
});
