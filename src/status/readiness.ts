/**
 * Restore readiness of a persistent restore point (docs/design.md#status, docs/design.md#stale-restore,
 * #empty-restore-reported-as-success): the RD's last sync is the one
 * lifeboat asked for (`status.lastManualSync` equals the recorded token), it published an image, the image's
 * VolumeSnapshot is `readyToUse` and was made after lifeboat armed the sync, the kopia mover found snapshots, and the
 * snapshot it holds is the newest the repository has. Pure; every "no" names the first thing that is missing.
 */

import type { Decision } from '../decision/decide.ts';
import {
  imageAfterArm,
  imageIsSnapshot,
  readOfDecision,
  type StandbyWithReport,
  standbyEvidence,
} from '../decision/standby-evidence.ts';
import { type DestinationView, standbyRecordOf } from '../plan/standby.ts';
import type { ReplicationObject, VolumeSnapshotFact } from './types.ts';

export function restoreReadiness(
  rd: ReplicationObject | undefined,
  decision: Decision | undefined,
  volumeSnapshots: ReadonlyMap<string, VolumeSnapshotFact> | undefined,
  nowMs: number,
): { ready: boolean; why: string } {
  const no = (why: string) => ({ ready: false, why });
  if (!rd) return no('no restore point: the ReplicationDestination is missing');
  if (decision?.decision === 'fresh') return no('no backup to restore yet');
  const token = rd.spec?.trigger?.manual;
  const status = rd.status ?? {};
  if (token && token !== status.lastManualSync) return no(`sync ${token} in flight`);
  if (!status.lastManualSync) return no('never synced');
  const image = status.latestImage?.name;
  if (!image) return no(`sync ${status.lastManualSync} published no image`);
  const record = standbyRecordOf(rd as DestinationView);
  if (!record) return no(`the image comes from sync ${status.lastManualSync}, which lifeboat did not record`);
  if (record.token !== status.lastManualSync) {
    return no(`the image comes from sync ${status.lastManualSync}, not lifeboat's ${record.token}`);
  }
  if (volumeSnapshots && imageIsSnapshot(rd as DestinationView)) {
    const snapshot = volumeSnapshots.get(`${rd.metadata.namespace}/${image}`);
    if (snapshot === undefined) return no(`VolumeSnapshot ${image} is missing`);
    if (!snapshot.ready) return no(`VolumeSnapshot ${image} is not readyToUse`);
    // An image made before the arm holds an earlier run's data whatever the mover's report says.
    const made = imageAfterArm(rd as DestinationView, record, {
      state: 'created',
      createdAt: snapshot.createdAt ?? '',
    });
    if (made.outcome !== 'verified') return no(`behind: ${made.message}`);
  }
  if (status.kopia?.snapshotsFound === 0) return no('the kopia mover found no snapshots to restore');
  if (decision?.decision === 'unknown') return no(`cannot compare with the repository: ${decision.cause}`);
  // The token proves only that a sync ended after lifeboat armed it: the evidence says what it restored.
  const evidence = standbyEvidence(rd as StandbyWithReport, record, readOfDecision(decision, nowMs));
  if (evidence && evidence.outcome !== 'verified') {
    return no(
      evidence.outcome === 'pending' ? `confirming: ${evidence.message}` : `${evidence.outcome}: ${evidence.message}`,
    );
  }
  const newest = decision?.newest;
  if (newest && Date.parse(record.snapshotTime) < newest.timeMs) {
    return no(
      `behind: holds ${record.snapshotId} from ${record.snapshotTime}, the newest is ${newest.id} from ${newest.time}`,
    );
  }
  return { ready: true, why: `holds snapshot ${record.snapshotId} from ${record.snapshotTime}` };
}
