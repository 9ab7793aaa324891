/**
 * Repositories and restic on the real node (test/support/realnode.ts), with real bytes: a real Pod writes known files
 * and their checksum manifest, the real VolSync controller runs its real mover (VolSync's own entry.sh with restic or
 * kopia) to back them up, the claim is recreated, lifeboat's webhook pins the snapshot, VolSync's real populator fills
 * the claim and a real Pod checks every byte (the steps are shared with realnode-data-path.test.ts, in
 * test/support/realnode-flows.ts).
 *
 * - restic on S3 (MinIO): a PVC recreated after a newer backup, beside the restore point of its earlier restore, comes
 *   back from the newest backup and never from the older image; `lifeboat restore --previous 1` and `--as-of` of a
 *   claim a Deployment mounts, the real controller-manager scaling it down and up.
 *
 * lifeboat runs in the cluster as users run it (helm install of deploy/helm/lifeboat, the chart's RBAC, its webhook
 * through its Service); each block installs and uninstalls its own release, holding the cluster's one installation
 * while it runs (Scenario.takeCluster), and uses its own bucket prefix, removed at the end. Nothing here is played.
 */
import { after, before, describe, it } from 'node:test';
import { sharedRealNode } from '../support/realnode.ts';
import { pointInTime, recreatedBesideOlderImage, roundTrip } from '../support/realnode-flows.ts';
import { Scenario } from '../support/realnode-scenario.ts';

describe('real node: repositories and restic', { timeout: 2_400_000 }, () => {
  let node: Awaited<ReturnType<typeof sharedRealNode>>;
  before(async () => {
    node = await sharedRealNode();
  });

  describe('restic, repository on S3 (MinIO): restore points and point in time', () => {
    let s: Scenario;
    before(async () => {
      s = new Scenario(node, 'real-restic-pit');
      const { secret, config } = s.s3Repository('restic');
      await s.start(secret, config);
    });
    after(() => s?.stop());
    let first: { manifest: string } | undefined;
    it('restic: new PVC backed up, deleted, recreated and restored byte for byte', async () => {
      first = await roundTrip(s);
    });
    it('restic: PVC recreated after a newer backup beside the older restore point: the newest, not the older image', () =>
      recreatedBesideOlderImage(s, first ?? { manifest: '' }));
    it('restic: lifeboat restore --previous 1 and --as-of, with a Deployment scaled down and up by the real controllers', () =>
      pointInTime(s));
  });
});
