/**
 * The data path with real bytes on a real node (test/support/realnode.ts), for each mover and backend: a real Pod
 * writes known files and their checksum manifest into a labelled PVC; the real VolSync controller runs its real mover
 * (VolSync's own entry.sh, with kopia or restic) to back them up into a real repository on S3 (MinIO); the PVC is
 * deleted (the real PVC-protection controller and garbage collector act) and recreated; lifeboat's webhook adds the
 * dataSourceRef, VolSync's real volume populator fills the claim, and a real Pod checks every byte. Around that round
 * trip, for both movers alike: the PVC recreated beside a restore point of an earlier restore, the namespace deleted
 * and recreated (an app reinstalled by GitOps), `lifeboat restore --previous 1` and `--as-of` with a Deployment the
 * real controllers scale down and up, backup switched off by removing the label, and lifeboat down. The same scenarios
 * on filesystem repositories (the NFS-like export) are in realnode-repositories.test.ts.
 *
 * lifeboat runs in the cluster as users run it: installed by `helm install` from deploy/helm/lifeboat with the image
 * testenv makes from this checkout (testenv/build.sh lifeboat_image: the Dockerfile's /app, ENTRYPOINT and USER on the
 * machine's own node binary instead of node:24-bookworm-slim), the chart's RBAC and self-signed certificate, its
 * webhook reached by the API server through the chart's Service. Nothing here is played. The scenarios run one after
 * another, each installing and uninstalling its own lifeboat (one per cluster).
 */
import { after, before, describe, it } from 'node:test';
import { sharedRealNode } from '../support/realnode.ts';
import {
  backupDisabled,
  lifeboatDown,
  namespaceReinstalled,
  pointInTime,
  recreatedBesideOlderImage,
  roundTrip,
} from '../support/realnode-flows.ts';
import { Scenario } from '../support/realnode-scenario.ts';

describe('real node: real movers restore real bytes', { timeout: 2_400_000 }, () => {
  let node: Awaited<ReturnType<typeof sharedRealNode>>;
  before(async () => {
    node = await sharedRealNode();
  });

  for (const mover of ['kopia', 'restic'] as const) {
    describe(`${mover}, repository on S3 (MinIO)`, () => {
      let s: Scenario;
      before(async () => {
        s = new Scenario(node, `real-${mover}-s3`);
        const { secret, config } = s.s3Repository(mover);
        await s.start(secret, config);
      });
      after(() => s?.stop());
      let first: { manifest: string } | undefined;
      // A new PVC's restic repository does not exist yet: admission answers it with one bounded read of exactly that
      // location (before that read existed, this CREATE was denied catalog-not-loaded for over a minute).
      it(`${mover}: new PVC empty at once; backed up by the real mover; recreated PVC restored byte for byte`, async () => {
        first = await roundTrip(s);
      });
      it(`${mover}: PVC deleted and recreated after a newer backup: restored from it, not from the older latestImage`, () =>
        recreatedBesideOlderImage(s, first ?? { manifest: '' }));
      it(`${mover}: app reinstalled (namespace deleted and recreated by GitOps): restored from the newest backup`, () =>
        namespaceReinstalled(s));
      it(`${mover}: lifeboat restore --previous 1 and --as-of, with a Deployment scaled down and up by the real controllers`, () =>
        pointInTime(s));
      it(`${mover}: backup disabled (label removed): generated objects deleted; recreated unlabelled, nothing restored`, () =>
        backupDisabled(s));
      it(`${mover}: lifeboat down: labelled PVCs refused, unlabelled ones created, namespace break-glass lets them through`, () =>
        lifeboatDown(s));
    });
  }
});
