/**
 * The data path with real bytes on a real node (test/support/realnode.ts), for each mover and backend: a real Pod
 * writes known files and their checksum manifest into a labelled PVC; the real VolSync controller runs its real mover
 * (VolSync's own entry.sh, with kopia or restic) to back them up into a real repository on S3 (MinIO); the PVC is
 * deleted (the real PVC-protection controller and garbage collector act) and recreated; lifeboat's webhook adds the
 * dataSourceRef, VolSync's real volume populator fills the claim, and a real Pod checks every byte.
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
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../../src/config/keys.ts';
import { eventually } from '../support/eventually.ts';
import { sharedRealNode } from '../support/realnode.ts';
import { checkKnownFiles, writeKnownFiles } from '../support/realnode-pods.ts';
import { type Claim, type Scenario as S, Scenario, type Source } from '../support/realnode-scenario.ts';

const PVC = 'data';

/** New PVC empty at once → backed up by the real mover → deleted → recreated → restored byte for byte. */
async function roundTrip(s: S): Promise<void> {
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

  const manifest = await s.step('writer pod', () => writeKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage));
  assert.equal(manifest.trim().split('\n').length, 5, manifest);
  const after = await s.step('backup after write', () => s.backup(PVC, 'after-write'));
  const made = Scenario.snapshotInLogs(after.latestMoverStatus?.logs);
  assert.ok(made, `the mover's log names the snapshot it made: ${after.latestMoverStatus?.logs}`);
  const newest = await s.step('catalog sees the new backup', () => s.catalogNewest(PVC, made));

  await s.step('delete PVC', () => s.deletePvc(PVC));
  const restored = await s.step('recreate, restore until Bound', async () => {
    const created = await s.createPvc(PVC);
    assert.equal(created.spec.dataSourceRef?.kind, 'ReplicationDestination', 'the recreated claim is restored');
    assert.equal(created.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION], newest.id, 'pinned to the newest backup');
    return await s.bound(PVC);
  });
  assert.ok(restored.spec.dataSourceRef);
  // lifeboat's restore evidence, from what the real VolSync and its real mover reported.
  const evidence = await s.step('restore evidence recorded', () =>
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
    from.length >= 8 && newest.id.startsWith(from),
    `restored-from names the pinned snapshot ${newest.id}: ${evidence[RESTORED_FROM_ANNOTATION]}`,
  );

  const check = await s.step('checker pod', () => checkKnownFiles(s.kube, s.namespace, PVC, s.node.toolsImage));
  assert.equal(check.exitCode, 0, `restored bytes differ: ${check.message}`);
  assert.equal(check.message, manifest, 'the restored volume holds exactly the files written');
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
    it('new PVC empty at once; backed up by the real kopia mover; recreated PVC restored byte for byte', () =>
      roundTrip(s));
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
    it('new PVC empty at once; backed up by the real restic mover; recreated PVC restored byte for byte', () =>
      roundTrip(s));
  });
});
