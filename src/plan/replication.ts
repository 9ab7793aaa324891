import { TIER_LABEL } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { backendOf } from './backend/index.ts';
import { generatedMetadata } from './metadata.ts';
import type { GeneratedNames } from './names.ts';
import {
  type MoverCommonSpec,
  type MoverVolume,
  type ReplicationDestinationObject,
  type ReplicationSourceObject,
  VOLSYNC_API_VERSION,
  type VolSyncTrigger,
} from './objects.ts';

/** Everything the source and destination of one PVC are built from. */
export interface ReplicationInput {
  config: LifeboatConfig;
  pvc: PersistentVolumeClaim;
  namespace: string;
  names: GeneratedNames;
}

/** The scheduled (or on-demand) backup of the PVC. */
export function buildSource(input: ReplicationInput, tier: string, trigger: VolSyncTrigger): ReplicationSourceObject {
  const { config, pvc, namespace, names } = input;
  const retain = config.tiers[tier]?.retain;
  if (!retain) throw new Error(`tier ${tier} is not configured`);
  // The snapshot is of the user's PVC, so its class follows the PVC's own StorageClass.
  const common = moverCommon(input, pvc.spec?.storageClassName ?? storageClassOf(input));
  const backend = backendOf(config);
  const at = { namespace, pvc: pvc.metadata.name };
  const metadata = generatedMetadata(names.replicationSource, namespace, pvc.metadata.name, {
    labels: { [TIER_LABEL]: tier },
    annotations: backend.identityAnnotations(config, at),
  });
  // Owned by the PVC: when the PVC is deleted, Kubernetes removes the backup schedule even if lifeboat is down,
  // while the destination and Secret (not owned) stay for the restore of a recreated PVC.
  if (pvc.metadata.uid) {
    metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: pvc.metadata.name, uid: pvc.metadata.uid },
    ];
  }
  return {
    apiVersion: VOLSYNC_API_VERSION,
    kind: 'ReplicationSource',
    metadata,
    spec: { sourcePVC: pvc.metadata.name, trigger, ...backend.source(common, retain, config, at) },
  };
}

/**
 * The restore point of the PVC: restores the newest backup into a volume shaped like the PVC and snapshots it, so
 * the volume populator can create a recreated PVC from it. `token` is its `trigger.manual`.
 */
export function buildDestination(
  input: ReplicationInput,
  token: string,
  volume: { capacity: string; accessModes: string[] },
): ReplicationDestinationObject {
  const { config, pvc, namespace, names } = input;
  const backend = backendOf(config);
  const at = { namespace, pvc: pvc.metadata.name };
  const metadata = generatedMetadata(names.replicationDestination, namespace, pvc.metadata.name, {
    annotations: backend.identityAnnotations(config, at),
  });
  const spec = {
    ...moverCommon(input, storageClassOf(input)),
    capacity: volume.capacity,
    accessModes: [...volume.accessModes],
    cleanupTempPVC: config.restore.cleanupTempPVC,
  };
  return {
    apiVersion: VOLSYNC_API_VERSION,
    kind: 'ReplicationDestination',
    metadata,
    spec: { trigger: { manual: token }, ...backend.destination(spec, config, at) },
  };
}

/** Class of the temporary copy and of the restore volume: the configured override, else the PVC's own. */
function storageClassOf(input: ReplicationInput): string | undefined {
  return input.config.mover.storageClassName ?? input.pvc.spec?.storageClassName ?? undefined;
}

function moverCommon(input: ReplicationInput, snapshotOf: string | undefined): MoverCommonSpec {
  const { config, names } = input;
  const mover = config.mover;
  const storageClassName = storageClassOf(input);
  const volumeSnapshotClassName =
    (snapshotOf !== undefined ? mover.volumeSnapshotClassByStorageClass[snapshotOf] : undefined) ??
    mover.volumeSnapshotClassName;
  const moverVolumes = repositoryMoverVolumes(config);
  return {
    repository: names.secret,
    copyMethod: 'Snapshot',
    ...(storageClassName !== undefined && { storageClassName }),
    ...(volumeSnapshotClassName !== undefined && { volumeSnapshotClassName }),
    cacheCapacity: mover.cacheCapacity,
    moverSecurityContext: { ...mover.moverSecurityContext },
    ...(moverVolumes && { moverVolumes }),
  };
}

/** The NFS repository volume every mover (and the maintenance Job) mounts under `/mnt`, when there is one. */
export function repositoryMoverVolumes(config: LifeboatConfig): MoverVolume[] | undefined {
  const nfs = config.repository.nfs;
  return nfs && [{ mountPath: nfs.mountPath, volumeSource: { nfs: { server: nfs.server, path: nfs.path } } }];
}
