/**
 * The PVC side of a restore, pure: what `--recreate` keeps of the old claim, the claim it creates, and whether a
 * claim that came back is the restore that was asked for.
 */
import {
  RESTORE_AS_OF_ANNOTATION,
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_SNAPSHOT_TIME_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
} from '../config/keys.ts';
import type { NamingConfig } from '../config/types.ts';
import { restorePointName } from '../plan/restore-point.ts';
import type { CapturedPvc } from '../plan/restore-request.ts';

export interface ClaimObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown> & {
    dataSourceRef?: { apiGroup?: string; kind?: string; name?: string } | null;
  };
  status?: { phase?: string };
}

/**
 * Annotations that describe the old claim's binding or restore, not the user's intent: the PV controller's and the
 * scheduler's, kubectl's last-applied copy, and lifeboat's record of the previous restore. Carrying them into the new
 * claim would bind it to the old volume or claim a restore that did not happen.
 */
const DROPPED_ANNOTATION_PREFIXES = ['pv.kubernetes.io/', 'volume.kubernetes.io/', 'volume.beta.kubernetes.io/'];
const DROPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  RESTORE_SNAPSHOT_ANNOTATION,
  RESTORE_SNAPSHOT_TIME_ANNOTATION,
  RESTORE_AS_OF_ANNOTATION,
  RESTORE_VERDICT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
]);

/** Fields of the spec that belong to the old volume: the new claim gets a new volume, from the restore point. */
const DROPPED_SPEC = new Set(['volumeName', 'dataSource', 'dataSourceRef']);

export function capturePvc(claim: ClaimObject): CapturedPvc {
  const annotations = Object.fromEntries(
    Object.entries(claim.metadata.annotations ?? {}).filter(
      ([key]) => !DROPPED_ANNOTATIONS.has(key) && !DROPPED_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)),
    ),
  );
  const spec = Object.fromEntries(Object.entries(claim.spec ?? {}).filter(([key]) => !DROPPED_SPEC.has(key)));
  return { labels: { ...(claim.metadata.labels ?? {}) }, annotations, spec };
}

/** The claim `--recreate` creates; admission adds the restore point's `dataSourceRef` to it. */
export function recreatedPvc(namespace: string, name: string, captured: CapturedPvc): ClaimObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, labels: { ...captured.labels }, annotations: { ...captured.annotations } },
    spec: { ...captured.spec },
  };
}

export type ClaimRestoreState =
  /** Points at a lifeboat restore point for the requested snapshot, and is Bound: the data is there. */
  | { kind: 'restored' }
  /** Points at it, but the populator has not finished (Pending). */
  | { kind: 'populating'; phase: string }
  /** Created without the requested restore: it will never hold that snapshot (dataSourceRef is immutable). */
  | { kind: 'wrong'; why: string };

/**
 * Whether a claim is the restore that was asked for: admission pointed its `dataSourceRef` at the restore point of
 * the requested snapshot (`{pvc}-restore-<hash of the snapshot id>`, plan/restore-point.ts) and recorded that snapshot
 * on it (`lifeboat.dev/restore-snapshot`, the admission → controller contract in config/keys.ts).
 */
export function claimRestoreState(claim: ClaimObject, snapshotId: string, naming: NamingConfig): ClaimRestoreState {
  const ref = claim.spec?.dataSourceRef;
  if (ref?.apiGroup !== 'volsync.backube' || ref.kind !== 'ReplicationDestination') {
    const what = ref ? `${ref.kind ?? '?'} ${ref.name ?? '?'}` : 'no dataSourceRef';
    return { kind: 'wrong', why: `it was created with ${what}, not from a lifeboat restore point` };
  }
  const recorded = claim.metadata.annotations?.[RESTORE_SNAPSHOT_ANNOTATION];
  if (recorded !== snapshotId) {
    const what = recorded ? `snapshot ${recorded}` : `ReplicationDestination ${ref.name} without a recorded snapshot`;
    return { kind: 'wrong', why: `it restores ${what}, not the requested ${snapshotId}` };
  }
  const expected = restorePointName(claim.metadata.name, snapshotId, naming);
  if (ref.name !== expected) {
    return {
      kind: 'wrong',
      why: `it points at ReplicationDestination ${ref.name}, not at ${expected}, the restore point of ${snapshotId}`,
    };
  }
  const phase = claim.status?.phase ?? 'Pending';
  return phase === 'Bound' ? { kind: 'restored' } : { kind: 'populating', phase };
}
