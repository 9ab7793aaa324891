import { KOPIA_IDENTITY_ANNOTATION, TIER_LABEL } from '../config/keys.ts';
import type { LifeboatConfig, Retention } from '../config/types.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import { formatIdentity, identityFor, type KopiaIdentity } from './kopia-identity.ts';
import { generatedMetadata } from './metadata.ts';
import type { GeneratedNames } from './names.ts';
import {
  type KopiaSourceSpec,
  type MoverCommonSpec,
  type MoverVolume,
  type ReplicationDestinationObject,
  type ReplicationSourceObject,
  type ResticSourceSpec,
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

/** The PVC's kopia identity, or undefined for restic (one repository per PVC needs none). */
export function kopiaIdentityOf(input: ReplicationInput): KopiaIdentity | undefined {
  const { config, namespace, pvc } = input;
  return config.repository.backend === 'kopia'
    ? identityFor(config.repository.identity, namespace, pvc.metadata.name)
    : undefined;
}

/** The scheduled (or on-demand) backup of the PVC. */
export function buildSource(input: ReplicationInput, tier: string, trigger: VolSyncTrigger): ReplicationSourceObject {
  const { config, pvc, namespace, names } = input;
  const retain = config.tiers[tier]?.retain;
  if (!retain) throw new Error(`tier ${tier} is not configured`);
  // The snapshot is of the user's PVC, so its class follows the PVC's own StorageClass.
  const common = moverCommon(input, pvc.spec?.storageClassName ?? storageClassOf(input));
  const identity = kopiaIdentityOf(input);
  const metadata = generatedMetadata(names.replicationSource, namespace, pvc.metadata.name, {
    labels: { [TIER_LABEL]: tier },
    annotations: identity ? { [KOPIA_IDENTITY_ANNOTATION]: formatIdentity(identity) } : {},
  });
  // Owned by the PVC: when the PVC is deleted, Kubernetes removes the backup schedule even if lifeboat is down,
  // while the destination and Secret (not owned) stay for the restore of a recreated PVC.
  if (pvc.metadata.uid) {
    metadata.ownerReferences = [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: pvc.metadata.name, uid: pvc.metadata.uid },
    ];
  }
  const base = { apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationSource', metadata } as const;
  const sourcePVC = pvc.metadata.name;
  if (identity) {
    const kopia: KopiaSourceSpec = {
      ...common,
      retain: kopiaRetain(retain),
      compression: config.mover.kopia.compression,
      parallelism: config.mover.kopia.parallelism,
      username: identity.username,
      hostname: identity.hostname,
    };
    return { ...base, spec: { sourcePVC, trigger, kopia } };
  }
  const restic: ResticSourceSpec = {
    ...common,
    retain: resticRetain(retain),
    pruneIntervalDays: config.mover.restic.pruneIntervalDays,
  };
  return { ...base, spec: { sourcePVC, trigger, restic } };
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
  const identity = kopiaIdentityOf(input);
  const metadata = generatedMetadata(names.replicationDestination, namespace, pvc.metadata.name, {
    annotations: identity ? { [KOPIA_IDENTITY_ANNOTATION]: formatIdentity(identity) } : {},
  });
  const spec = {
    ...moverCommon(input, storageClassOf(input)),
    capacity: volume.capacity,
    accessModes: [...volume.accessModes],
    cleanupTempPVC: config.restore.cleanupTempPVC,
  };
  const base = { apiVersion: VOLSYNC_API_VERSION, kind: 'ReplicationDestination', metadata } as const;
  const trigger = { manual: token };
  if (identity) {
    return { ...base, spec: { trigger, kopia: { ...spec, username: identity.username, hostname: identity.hostname } } };
  }
  return { ...base, spec: { trigger, restic: spec } };
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

function counts(retain: Retention) {
  const { hourly, daily, weekly, monthly, yearly } = retain;
  return Object.fromEntries(
    Object.entries({ hourly, daily, weekly, monthly, yearly }).filter(([, v]) => v !== undefined),
  ) as Omit<Retention, 'last'>;
}

/** restic's `retain.last` is a string in the CRD (docs/design.md#movers-and-secrets). */
function resticRetain(retain: Retention): ResticSourceSpec['retain'] {
  return { ...counts(retain), ...(retain.last !== undefined && { last: String(retain.last) }) };
}

/** kopia calls the same rule `latest`. */
function kopiaRetain(retain: Retention): KopiaSourceSpec['retain'] {
  return { ...counts(retain), ...(retain.last !== undefined && { latest: retain.last }) };
}
