/**
 * Full maintenance of the shared kopia repository, as one `KopiaMaintenance` (VolSync kopia fork) plus the Secret it
 * reads. Pure: configuration and facts in, desired objects and deletions out.
 *
 * Why lifeboat generates it: the fork turns per-source maintenance off, so without a KopiaMaintenance nothing ever
 * runs `kopia maintenance run --full`: contents of expired snapshots are never garbage-collected and index blobs
 * pile up, so the repository grows without bound and every reader (movers and lifeboat's catalog) gets slower.
 *
 * Where it lives: lifeboat's own namespace. There is one repository, so one maintenance; the fork requires its Secret
 * in the same namespace; lifeboat's namespace already holds the credentials and is never a protected namespace, so
 * no application's lifetime (or `kubectl delete namespace`) decides whether the repository is maintained.
 *
 * Which Secret: a Secret `lifeboat-repository-maintenance` built exactly like each PVC's mover Secret (copy mode: the
 * source Secret's keys plus the rendered `KOPIA_REPOSITORY`; external-secret mode: an ExternalSecret
 * with the same store, keys and template). The source Secret itself cannot be named directly: it may live in another
 * namespace and usually lacks the repository location, which lifeboat renders from `repository.url` or `nfs`. So the
 * maintenance Job connects to the very repository, with the very credentials, the movers use.
 *
 * The Job runs as the movers' user and group (`mover.moverSecurityContext`) and mounts the NFS export the same way:
 * kopia writes repository files 0600, so a maintenance Job under the fork's default uid 1000 could not read what the
 * movers wrote.
 */
import { LIFEBOAT_PREFIX, MANAGED_BY_LABEL, MANAGED_BY_VALUE, PVC_NAME_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { MOVERS } from '../mover/index.ts';
import type { ClusterCapabilities } from './capability.ts';
import { planCredentials, type SourceSecretFact } from './credentials.ts';
import {
  type ExternalSecretObject,
  type KopiaMaintenanceObject,
  type MaintenanceMetadata,
  type ObjectRef,
  refOf,
  type SecretObject,
  VOLSYNC_API_VERSION,
} from './objects.ts';
import { type ObservedObject, sortForDeletion, writtenForExternalSecret } from './observed.ts';
import { repositoryMoverVolumes } from './replication.ts';

/** Name of the KopiaMaintenance and of the Secret (or ExternalSecret) it reads, in lifeboat's namespace. */
export const MAINTENANCE_NAME = 'lifeboat-repository-maintenance';
/** Label on the maintenance objects: what the controller watches and the only objects this plan ever deletes. */
export const ROLE_LABEL = `${LIFEBOAT_PREFIX}role`;
export const MAINTENANCE_ROLE = 'repository-maintenance';
/** Label selector for lifeboat's maintenance objects. */
export const MAINTENANCE_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${ROLE_LABEL}=${MAINTENANCE_ROLE}`;

/** A credentials object of a PVC, re-labelled for the repository's maintenance. */
type Relabelled<T extends { metadata: unknown }> = Omit<T, 'metadata'> & { metadata: MaintenanceMetadata };
export type MaintenanceObject = Relabelled<SecretObject> | Relabelled<ExternalSecretObject> | KopiaMaintenanceObject;

export interface MaintenanceInput {
  config: LifeboatConfig;
  cluster: ClusterCapabilities;
  /** The copy-mode source Secret; ignored in external-secret mode. */
  sourceSecret: SourceSecretFact;
  /** Objects observed in lifeboat's namespace; only those carrying the maintenance role label are considered. */
  observed: readonly ObservedObject[];
}

/**
 * - `maintained`: the objects are desired (apply them).
 * - `off`: no maintenance wanted (restic, or `repository.maintenance.enabled: false`): lifeboat's objects go.
 * - `waiting`: the credentials are not there yet; whatever exists is kept.
 * - `unsupported`: the cluster or the configuration cannot have lifeboat's maintenance; whatever exists is kept.
 */
export interface MaintenancePlan {
  state: 'maintained' | 'off' | 'waiting' | 'unsupported';
  /** One sentence for status, Events and logs; names the fix when something is wrong. */
  message: string;
  apply: MaintenanceObject[];
  delete: ObjectRef[];
  notes: string[];
}

/** Whether lifeboat made this object for the repository's maintenance (its role label; never ESO's Secret). */
function isMaintenanceObject(o: ObservedObject): boolean {
  const labels = o.metadata.labels ?? {};
  return (
    labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
    labels[ROLE_LABEL] === MAINTENANCE_ROLE &&
    ['KopiaMaintenance', 'ExternalSecret', 'Secret'].includes(o.kind) &&
    !writtenForExternalSecret(o)
  );
}

export function planMaintenance(input: MaintenanceInput): MaintenancePlan {
  const { config, cluster } = input;
  const namespace = config.namespace;
  const owned = input.observed.filter(
    (o) => (o.metadata.namespace ?? namespace) === namespace && isMaintenanceObject(o),
  );
  const keep = (state: MaintenancePlan['state'], message: string): MaintenancePlan => ({
    state,
    message,
    apply: [],
    delete: [],
    notes: [],
  });
  const { maintenance, backend } = config.repository;
  const moverMaintenance = MOVERS[backend].maintenance;
  if (moverMaintenance !== 'KopiaMaintenance' || !maintenance.enabled) {
    const why =
      moverMaintenance !== 'KopiaMaintenance'
        ? moverMaintenance.off
        : 'repository.maintenance.enabled is false: the kopia repository is not maintained by lifeboat';
    return { state: 'off', message: why, apply: [], delete: deletions(owned, new Set(), namespace), notes: [] };
  }
  if (cluster.volsync === 'upstream' || cluster.kopiaMaintenance === false) {
    return keep(
      'unsupported',
      'the installed VolSync has no KopiaMaintenance CRD (kopiamaintenances.volsync.backube): upgrade the ' +
        'perfectra1n/volsync fork, or maintain the repository yourself (kopia maintenance run --full)',
    );
  }
  const credentials = planCredentials({
    config,
    namespace,
    pvc: '',
    secretName: MAINTENANCE_NAME,
    source: input.sourceSecret,
  });
  if (credentials.kind === 'waiting') return keep('waiting', credentials.message);
  // The per-PVC metadata (PVC label and annotation) would make the PVC controller adopt this Secret; ours instead.
  const secret: MaintenanceObject = {
    ...credentials.object,
    metadata: maintenanceMetadata(MAINTENANCE_NAME, namespace, credentials.object.metadata.annotations),
  };
  const moverVolumes = repositoryMoverVolumes(config);
  const { schedule } = maintenance;
  const kopiaMaintenance: KopiaMaintenanceObject = {
    apiVersion: VOLSYNC_API_VERSION,
    kind: 'KopiaMaintenance',
    metadata: maintenanceMetadata(MAINTENANCE_NAME, namespace, {}),
    spec: {
      repository: { repository: secret.metadata.name },
      trigger: { schedule },
      schedule,
      enabled: true,
      cacheCapacity: config.mover.cacheCapacity,
      podSecurityContext: { ...config.mover.moverSecurityContext, runAsNonRoot: true },
      ...(moverVolumes && { moverVolumes }),
    },
  };
  const apply: MaintenanceObject[] = [secret, kopiaMaintenance];
  const desired = new Set(apply.map((o) => `${o.kind}/${o.metadata.name}`));
  return {
    state: 'maintained',
    message: `full maintenance of the kopia repository on "${schedule}" (KopiaMaintenance ${namespace}/${MAINTENANCE_NAME})`,
    apply,
    delete: deletions(owned, desired, namespace),
    notes: credentials.notes,
  };
}

function maintenanceMetadata(
  name: string,
  namespace: string,
  annotations: Record<string, string>,
): MaintenanceMetadata {
  const { [PVC_NAME_ANNOTATION]: _pvc, ...rest } = annotations;
  return {
    name,
    namespace,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ROLE_LABEL]: MAINTENANCE_ROLE },
    ...(Object.keys(rest).length > 0 && { annotations: rest }),
  };
}

/** lifeboat's maintenance objects that are not desired, KopiaMaintenance first (it reads the Secret). */
function deletions(owned: readonly ObservedObject[], desired: ReadonlySet<string>, namespace: string): ObjectRef[] {
  return sortForDeletion(
    owned.filter((o) => !desired.has(`${o.kind}/${o.metadata.name}`)).map((o) => refOf(o, namespace)),
  );
}
