/**
 * Filesystem repositories and tiers on the real node (test/support/realnode.ts), with real bytes: a real Pod writes
 * known files and their checksum manifest, the real VolSync controller runs its real mover (VolSync's own entry.sh with
 * kopia or restic) to back them up, the claim is recreated, lifeboat's webhook pins the snapshot, VolSync's real
 * populator fills the claim and a real Pod checks every byte (the steps are shared with realnode-data-path.test.ts,
 * which runs them on S3, in test/support/realnode-flows.ts).
 *
 * - filesystem repositories through lifeboat's `repository.nfs`, for both movers alike: kopia (one shared repository
 *   at `filesystem:///mnt/repository`) and restic (`/mnt/repository/{namespace}/{pvc}`), the export mounted into every
 *   mover through the generated `moverVolumes` and read-only into lifeboat's own pod: the round trip, a PVC recreated
 *   beside the restore point of its earlier restore (the newest backup, never the older image), the app reinstalled
 *   (its namespace deleted and recreated), `lifeboat restore --previous 1` and `--as-of` of a claim a Deployment mounts
 *   (the administrator's CLI reading the export where their machine mounts it, `catalog.location`), and backup
 *   switched off by removing the label. The machine's kernel has no NFS client and no NFS server runs, so the export
 *   is NFS-like: the node installs its own `/sbin/mount.nfs` for its lifetime (realnode.ts MOUNT_HELPER), which
 *   util-linux runs for the kubelet's real nfs volume plugin and which bind-mounts the scenario's export directory
 *   (owned by the movers' uid, as an administrator prepares an export). Not exercised: the NFS protocol itself
 *   (locking, attribute caching, squashing).
 * - a tier removed from lifeboat's config (helm upgrade) while a PVC labelled with it has backups, for both movers on
 *   S3: what lifeboat generated for it is kept (Warning UnknownTier), and a claim created with that label, the same
 *   PVC or a new one, is refused (invalid-intent): never created empty, never restored, nothing generated.
 *
 * lifeboat runs in the cluster as users run it (helm install of deploy/helm/lifeboat, the chart's RBAC, its webhook
 * through its Service); each block installs and uninstalls its own release, holding the cluster's one installation
 * while it runs (Scenario.takeCluster), and uses its own bucket prefix or export directory, removed at the end. Nothing
 * here is played; the NFS server is replaced as said above.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/client.ts';
import { eventually } from '../support/eventually.ts';
import { sharedRealNode } from '../support/realnode.ts';
import {
  backupDisabled,
  generatedFor,
  namespaceReinstalled,
  PVC,
  pointInTime,
  recreatedBesideOlderImage,
  roundTrip,
  writeAndBackUp,
} from '../support/realnode-flows.ts';
import { LIFEBOAT_NAMESPACE, RELEASE } from '../support/realnode-lifeboat.ts';
import { DATA_UID } from '../support/realnode-pods.ts';
import { Scenario, VOLSYNC } from '../support/realnode-scenario.ts';

/** The default tiers (docs/configuration.md) without `manual`. */
const WITHOUT_MANUAL = {
  hourly: { trigger: { schedule: 'H * * * *' }, retain: { hourly: 24, daily: 7 } },
  daily: { trigger: { schedule: 'H 2 * * *' }, retain: { daily: 14 } },
  weekly: { trigger: { schedule: 'H 2 * * 0' }, retain: { weekly: 8 } },
};

describe('real node: filesystem repositories and tiers', { timeout: 2_400_000 }, () => {
  let node: Awaited<ReturnType<typeof sharedRealNode>>;
  before(async () => {
    node = await sharedRealNode();
  });

  for (const mover of ['kopia', 'restic'] as const) {
    const where = mover === 'kopia' ? 'filesystem:///mnt/repository' : '/mnt/repository/{namespace}/{pvc}';
    describe(`${mover}, filesystem repository on the NFS-like export (${where}) through moverVolumes`, () => {
      let s: Scenario;
      before(async () => {
        s = new Scenario(node, `real-${mover}-nfs`);
        const { secret, config } = s.nfsRepository(mover);
        await s.start(secret, config);
      });
      after(() => s?.stop());
      let first: { manifest: string } | undefined;
      it(`${mover} on the export: new PVC backed up by the real mover through moverVolumes, recreated and restored byte for byte`, async () => {
        first = await roundTrip(s);
        await repositoryOnExport(s, mover);
      });
      it(`${mover} on the export: PVC recreated after a newer backup beside the older restore point: the newest, not the older image`, () =>
        recreatedBesideOlderImage(s, first ?? { manifest: '' }));
      it(`${mover} on the export: app reinstalled (namespace deleted and recreated by GitOps): restored from the newest backup`, () =>
        namespaceReinstalled(s));
      it(`${mover} on the export: lifeboat restore --previous 1 and --as-of (the CLI reading the export), with a Deployment scaled down and up`, () =>
        pointInTime(s));
      it(`${mover} on the export: backup disabled (label removed): generated objects deleted; recreated unlabelled, nothing restored`, () =>
        backupDisabled(s));
    });
  }

  for (const mover of ['kopia', 'restic'] as const) {
    describe(`a tier disabled in the config (${mover} on S3)`, () => {
      let s: Scenario;
      before(async () => {
        s = new Scenario(node, `real-${mover}-tier-off`);
        const { secret, config } = s.s3Repository(mover);
        await s.start(secret, config);
      });
      after(() => s?.stop());
      it(`${mover}: tier removed from the config: generated objects kept, the claim recreated with its label refused, a new one too`, () =>
        tierDisabled(s));
    });
  }
});

/**
 * The repository went through the NFS-like export, as lifeboat configured it: the generated ReplicationSource and
 * ReplicationDestination give the movers the export through `moverVolumes`, the repository's files are in the export
 * owned by the movers' uid, the real kubelet mounted it with `mount -t nfs` (the helper's log), and lifeboat's own pod
 * mounts it read-only through its Deployment's nfs volume.
 */
async function repositoryOnExport(s: Scenario, backend: 'kopia' | 'restic'): Promise<void> {
  const nfs = { server: s.node.nfs.server, path: `/${s.prefix}` };
  for (const kind of ['ReplicationSource', 'ReplicationDestination']) {
    const o = await s.kube.get<KubeObject & { spec: Record<string, { moverVolumes?: unknown } | undefined> }>({
      apiVersion: VOLSYNC,
      kind,
      namespace: s.namespace,
      name: kind === 'ReplicationSource' ? `${PVC}-backup` : `${PVC}-restore`,
    });
    assert.deepEqual(
      o?.spec[backend]?.moverVolumes,
      [{ mountPath: 'repository', volumeSource: { nfs } }],
      `${kind}: the export given to the movers`,
    );
  }
  const files = readdirSync(s.exportDir as string, { recursive: true }).map(String);
  const marker = backend === 'kopia' ? 'kopia.repository.f' : join(s.namespace, PVC, 'config');
  assert.ok(files.includes(marker), `the repository is in the export (${marker}): ${files.slice(0, 20).join(', ')}`);
  assert.equal(statSync(join(s.exportDir as string, marker)).uid, DATA_UID, "written by the movers' uid");
  const log = readFileSync(join(s.node.dir, 'logs', 'mount.nfs.log'), 'utf8');
  // The helper is called with `-o ro` for lifeboat's read-only volume and `-o rw` for the movers' (the kubelet adds
  // `ro` only for a read-only volume; `rw` is what reaches the helper otherwise).
  assert.match(log, new RegExp(`mount\\.nfs ${nfs.server}:${nfs.path} \\S+ -o ro$`, 'm'), 'lifeboat pod: read-only');
  assert.match(log, new RegExp(`mount\\.nfs ${nfs.server}:${nfs.path} \\S+ -o rw$`, 'm'), 'movers: read-write');
  const deployment = await s.kube.get<KubeObject & { spec: { template: { spec: { volumes?: { nfs?: unknown }[] } } } }>(
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: LIFEBOAT_NAMESPACE, name: RELEASE },
  );
  assert.deepEqual(
    deployment?.spec.template.spec.volumes?.find((v) => v.nfs)?.nfs,
    { ...nfs, readOnly: true },
    "lifeboat's own pod mounts the export read-only",
  );
}

/**
 * A tier an administrator removes from lifeboat's configuration (here `manual`, the tier whose trigger the tests
 * drive), while a PVC labelled with it has backups. lifeboat keeps what it generated for that PVC (the docs: "its
 * existing objects are kept"), and a claim created with that label — the same PVC recreated, or a new one — is
 * refused (invalid-intent): it is neither created empty nor restored, and nothing is generated for it.
 */
async function tierDisabled(s: Scenario): Promise<void> {
  await s.step('new PVC bound', async () => {
    await s.createPvc(PVC);
    await s.bound(PVC);
  });
  await writeAndBackUp(s, 'before-the-tier-goes');
  const before = await generatedFor(s, PVC);
  assert.ok(before.length >= 2, `a backed-up PVC has its generated objects: ${before.join(', ')}`);

  await s.reconfigure({ ...s.config, tiers: WITHOUT_MANUAL });
  await s.step('tier gone: generated objects kept', async () => {
    // The new lifeboat reconciled the labelled PVC under the new config (its Warning names the tier) and kept them.
    await eventually(
      'the UnknownTier Warning on the PVC',
      async () => {
        const events = await s.kube.list<
          KubeObject & { reason?: string; regarding?: { name?: string }; note?: string }
        >('events.k8s.io/v1', 'Event', { namespace: s.namespace });
        return events.find((e) => e.reason === 'UnknownTier' && e.regarding?.name === PVC);
      },
      60_000,
      500,
    ).then((e) => assert.match(e.note ?? '', /"manual" is not a configured tier.*existing backup objects are kept/));
    assert.deepEqual(await generatedFor(s, PVC), before);
  });
  await s.step('delete PVC', () => s.deletePvc(PVC));
  await s.step('recreated with the removed tier: refused', async () => {
    await assert.rejects(s.createPvc(PVC), /invalid-intent[\s\S]*"manual" is not a configured tier/);
    assert.equal(await s.kube.get(s.pvcRef(PVC)), undefined, 'no claim was created (empty or restored)');
  });
  await s.step('a new PVC with the removed tier: refused, nothing generated', async () => {
    await assert.rejects(s.createPvc('other'), /invalid-intent[\s\S]*is not a configured tier/);
    assert.deepEqual(await generatedFor(s, 'other'), []);
  });
}
