/**
 * The data-path scenarios of the real node (test/support/realnode.ts) for one mover and one kind of repository, with
 * real bytes: a real Pod writes known files and their checksum manifest into a labelled PVC; the real VolSync
 * controller runs its real mover (VolSync's own entry.sh, with kopia or restic) to back them up; the PVC is deleted
 * (the real PVC-protection controller and garbage collector act) and recreated; lifeboat's webhook adds the
 * dataSourceRef, VolSync's real volume populator fills the claim, and a real Pod checks every byte. Around that round
 * trip: the PVC recreated beside a restore point of an earlier restore, the namespace deleted and recreated (an app
 * reinstalled by GitOps), `lifeboat restore --previous 1` and `--as-of` with a Deployment the real controllers scale
 * down and up, backup switched off by removing the label, and lifeboat down. The steps are in realnode-flows.ts.
 *
 * One test file per mover and repository (realnode-data-path-<mover>-<repository>.test.ts): each stays a few minutes
 * long, and the run's files take turns at the cluster's one lifeboat installation (Scenario.takeCluster).
 *
 * Repositories: S3 on the node's MinIO under the scenario's own prefix, or a filesystem repository on the node's
 * NFS-like export through lifeboat's `repository.nfs` (kopia one shared repository at `filesystem:///mnt/repository`,
 * restic `/mnt/repository/{namespace}/{pvc}`), mounted into every mover through the generated `moverVolumes` and
 * read-only into lifeboat's own pod, and by the administrator's CLI where their machine mounts it (`catalog.location`).
 * The machine's kernel has no NFS client and no NFS server runs, so the export is NFS-like: the node installs its own
 * `/sbin/mount.nfs` for its lifetime (realnode.ts MOUNT_HELPER), which util-linux runs for the kubelet's real nfs
 * volume plugin and which bind-mounts the scenario's export directory (owned by the movers' uid, as an administrator
 * prepares an export). Not exercised: the NFS protocol itself (locking, attribute caching, squashing).
 *
 * lifeboat runs in the cluster as users run it: installed by `helm install` from deploy/helm/lifeboat with the image
 * testenv makes from this checkout (testenv/build.sh lifeboat_image: the Dockerfile's /app, ENTRYPOINT and USER on the
 * machine's own node binary instead of node:24-bookworm-slim), the chart's RBAC and self-signed certificate, its
 * webhook reached by the API server through the chart's Service. Nothing here is played; the NFS server is replaced as
 * said above.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/kube/client.ts';
import { sharedRealNode } from './realnode.ts';
import {
  backupDisabled,
  lifeboatDown,
  namespaceReinstalled,
  PVC,
  pointInTime,
  recreatedBesideOlderImage,
  roundTrip,
} from './realnode-flows.ts';
import { LIFEBOAT_NAMESPACE, RELEASE } from './realnode-lifeboat.ts';
import { DATA_UID } from './realnode-pods.ts';
import { Scenario, TURN, VOLSYNC } from './realnode-scenario.ts';

const REPOSITORIES = {
  s3: 'repository on S3 (MinIO)',
  nfs: 'filesystem repository on the NFS-like export through moverVolumes',
} as const;

/** The data-path scenarios of `mover` with a repository of kind `repository`, in one block of one namespace. */
export function dataPathScenarios(mover: 'kopia' | 'restic', repository: keyof typeof REPOSITORIES): void {
  describe(`real node: the ${mover} mover, ${REPOSITORIES[repository]}`, { timeout: 2_400_000 }, () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(await sharedRealNode(), `real-${mover}-${repository}`);
      const { secret, config } = repository === 's3' ? s.s3Repository(mover) : s.nfsRepository(mover);
      await s.start(secret, config);
    }, TURN);
    after(() => s?.stop());
    let first: { manifest: string } | undefined;
    // A new PVC's restic repository does not exist yet: admission answers it with one bounded read of exactly that
    // location (before that read existed, this CREATE was denied catalog-not-loaded for over a minute).
    it('new PVC empty at once; backed up by the real mover; recreated PVC restored byte for byte', async () => {
      first = await roundTrip(s);
      if (repository === 'nfs') await repositoryOnExport(s, mover);
    });
    it('PVC deleted and recreated after a newer backup: restored from it, not from the older latestImage', () =>
      recreatedBesideOlderImage(s, first ?? { manifest: '' }));
    it('app reinstalled (namespace deleted and recreated by GitOps): restored from the newest backup', () =>
      namespaceReinstalled(s));
    it('lifeboat restore --previous 1 and --as-of, with a Deployment scaled down and up by the real controllers', () =>
      pointInTime(s));
    it('backup disabled (label removed): generated objects deleted; recreated unlabelled, nothing restored', () =>
      backupDisabled(s));
    if (repository === 's3') {
      // lifeboat down reads no repository: once per mover is enough.
      it('lifeboat down: labelled PVCs refused, unlabelled ones created, namespace break-glass lets them through', () =>
        lifeboatDown(s));
    }
  });
}

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
