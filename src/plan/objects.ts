/**
 * The objects lifeboat generates, typed field by field after the CRDs (docs/design.md#objects-and-schema,
 * #movers-and-secrets; external-secrets v1).
 * Only fields lifeboat sets are listed: a field missing here cannot be emitted by accident.
 */
import type { Backend, DestinationFieldsOf, SourceFieldsOf } from '../mover/index.ts';

export const VOLSYNC_API_VERSION = 'volsync.backube/v1alpha1';
/** The API of the VolumeSnapshots VolSync publishes as a destination's `status.latestImage`. */
export const VOLUME_SNAPSHOT_API_VERSION = 'snapshot.storage.k8s.io/v1';
export const EXTERNAL_SECRETS_API_VERSION = 'external-secrets.io/v1';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface GeneratedMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** Mover Secret written in copy mode. Always `data` (base64): `stringData` leaves stale keys under server-side apply. */
export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: GeneratedMetadata;
  type: 'Opaque';
  data: Record<string, string>;
}

export interface ExternalSecretObject {
  apiVersion: typeof EXTERNAL_SECRETS_API_VERSION;
  kind: 'ExternalSecret';
  metadata: GeneratedMetadata;
  spec: {
    /** Go duration string. */
    refreshInterval: string;
    secretStoreRef: { kind: 'ClusterSecretStore' | 'SecretStore'; name: string };
    target: {
      name: string;
      creationPolicy: 'Owner';
      template?: { engineVersion: 'v2'; mergePolicy: 'Merge'; data: Record<string, string> };
    };
    dataFrom?: { extract: { key: string } }[];
    data?: { secretKey: string; remoteRef: { key: string; property?: string } }[];
  };
}

/** Exactly one of `schedule` or `manual`: an empty trigger syncs continuously, both together are undefined. */
export type VolSyncTrigger = { schedule: string } | { manual: string };

export interface MoverVolume {
  mountPath: string;
  volumeSource: { nfs: { server: string; path: string } };
}

/** Fields both movers share on sources and destinations (docs/design.md#objects-and-schema). */
export interface MoverCommonSpec {
  repository: string;
  copyMethod: 'Snapshot';
  storageClassName?: string;
  volumeSnapshotClassName?: string;
  cacheCapacity: string;
  moverSecurityContext: { runAsUser: number; runAsGroup: number; fsGroup: number };
  moverVolumes?: MoverVolume[];
}

export interface DestinationCommonSpec extends MoverCommonSpec {
  capacity: string;
  accessModes: string[];
  cleanupTempPVC: boolean;
  /** Restore the newest snapshot at or before this time (restore points pin their snapshot with it). */
  restoreAsOf?: string;
}

/** A mover's block on a ReplicationSource: the shared fields and its own, under its name (src/mover/<name>/). */
export type MoverSourceSpec<K extends Backend> = MoverCommonSpec & SourceFieldsOf<K>;
/** A mover's block on a ReplicationDestination. */
export type MoverDestinationSpec<K extends Backend> = DestinationCommonSpec & DestinationFieldsOf<K>;

/** Exactly one mover block per object, under the mover's name. */
type OneOf<Blocks extends Record<Backend, object>> = {
  [K in Backend]: { [P in K]: Blocks[K] } & { [P in Exclude<Backend, K>]?: never };
}[Backend];

/** The mover block of a ReplicationSource spec. */
export type SourceMover = OneOf<{ [K in Backend]: MoverSourceSpec<K> }>;
/** The mover block of a ReplicationDestination spec. */
export type DestinationMover = OneOf<{ [K in Backend]: MoverDestinationSpec<K> }>;

export interface ReplicationSourceObject {
  apiVersion: typeof VOLSYNC_API_VERSION;
  kind: 'ReplicationSource';
  metadata: GeneratedMetadata;
  spec: { sourcePVC: string; trigger: VolSyncTrigger } & SourceMover;
}

export interface ReplicationDestinationObject {
  apiVersion: typeof VOLSYNC_API_VERSION;
  kind: 'ReplicationDestination';
  metadata: GeneratedMetadata;
  spec: { trigger: { manual: string } } & DestinationMover;
}

/**
 * Metadata of the repository-maintenance objects: no PVC, and annotations only when there are some (the API server
 * stores no empty map, so an empty one would read as drift on every reconcile).
 */
export interface MaintenanceMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * The fork's repository maintenance (kopiamaintenances.volsync.backube): its controller runs `kopia maintenance run
 * --full` from a CronJob on `trigger.schedule`, with the keys of `repository.repository` (a Secret in the same
 * namespace) as the mover's environment.
 */
export interface KopiaMaintenanceObject {
  apiVersion: typeof VOLSYNC_API_VERSION;
  kind: 'KopiaMaintenance';
  metadata: MaintenanceMetadata;
  spec: {
    repository: { repository: string };
    trigger: { schedule: string };
    /** Deprecated in the fork in favour of `trigger.schedule`, but what `kubectl get` shows; kept equal to it. */
    schedule: string;
    enabled: true;
    cacheCapacity: string;
    podSecurityContext: { runAsUser: number; runAsGroup: number; fsGroup: number; runAsNonRoot: true };
    moverVolumes?: MoverVolume[];
  };
}

export type GeneratedObject =
  | SecretObject
  | ExternalSecretObject
  | ReplicationSourceObject
  | ReplicationDestinationObject;

/** Enough to delete an object or to match it against another. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export function refOf(
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
  namespace: string,
): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? namespace,
    name: object.metadata.name,
  };
}
