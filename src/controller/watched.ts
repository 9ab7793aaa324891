/**
 * What lifeboat watches, one spec per selection, so that every consumer of a resource asks the shared informer cache
 * (kube/informers.ts) for the same thing and the process lists and watches it once: the PVC controller, the
 * restore-point sync, admission's decision facts, the repository maintenance and `/audit` all read these.
 * A spec fixes what the cache keeps of each object (transform.ts): consumers read only those fields.
 */
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { type InformerSpec, namedInformer } from '../kube/informers.ts';
import { MAINTENANCE_SELECTOR } from '../plan/maintenance.ts';
import { EXTERNAL_SECRETS_API_VERSION, VOLSYNC_API_VERSION } from '../plan/objects.ts';
import { MANAGED_SELECTOR } from './children.ts';
import { nameOnly } from './foreign-names.ts';
import { slimChild, slimNamespace, slimPvc } from './transform.ts';

/** Every PVC of the cluster (an unlabelled one may be one whose label was just removed), re-emitted every resync. */
export function pvcInformer(config: LifeboatConfig): InformerSpec {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', transform: slimPvc, resyncMs: config.sweeps.resync };
}

export const namespaceInformer: InformerSpec = {
  apiVersion: 'v1',
  kind: 'Namespace',
  transform: slimNamespace,
  resyncMs: 0,
};

/** The objects lifeboat generated for PVCs, of one kind, in every namespace. */
export function childInformer(apiVersion: string, kind: string): InformerSpec {
  return { apiVersion, kind, labelSelector: MANAGED_SELECTOR, transform: slimChild, resyncMs: 0 };
}

/** lifeboat's ReplicationDestinations: the PVC controller's children, admission's ledgers and restore requests. */
export const destinationInformer: InformerSpec = childInformer(VOLSYNC_API_VERSION, 'ReplicationDestination');

/** The kinds lifeboat generates per PVC in this configuration and cluster. */
function childKinds(config: LifeboatConfig, externalSecrets: boolean | undefined): [string, string][] {
  return [
    [VOLSYNC_API_VERSION, 'ReplicationSource'],
    [VOLSYNC_API_VERSION, 'ReplicationDestination'],
    ['v1', 'Secret'],
    ...(config.credentials.mode === 'external-secret' && externalSecrets
      ? [[EXTERNAL_SECRETS_API_VERSION, 'ExternalSecret'] as [string, string]]
      : []),
  ];
}

/** lifeboat's objects of the kinds it generates per PVC. */
export function childInformers(config: LifeboatConfig, externalSecrets: boolean | undefined): InformerSpec[] {
  return childKinds(config, externalSecrets).map(([apiVersion, kind]) => childInformer(apiVersion, kind));
}

/**
 * The names other tools' objects of those kinds hold, metadata only (foreign-names.ts): lifeboat creates a name in
 * neither cache without reading it first.
 */
export function foreignInformers(config: LifeboatConfig, externalSecrets: boolean | undefined): InformerSpec[] {
  return childKinds(config, externalSecrets).map(([apiVersion, kind]) => ({
    apiVersion,
    kind,
    labelSelector: `${MANAGED_BY_LABEL}!=${MANAGED_BY_VALUE}`,
    metadataOnly: true,
    transform: nameOnly,
    resyncMs: 0,
    // Its normal end each minute tells that the watch is alive when nothing of the kind changes (Reflector.isCurrent
    // needs a word from the server within 90 s; bookmarks come only while the kind changes).
    watchTimeoutSeconds: 60,
  }));
}

/** One Secret by name (the repository credentials the catalog reads and copy mode copies). */
export function secretInformer(ref: { namespace: string; name: string }): InformerSpec {
  return namedInformer({ apiVersion: 'v1', kind: 'Secret', ...ref });
}

/** lifeboat's repository-maintenance objects of one kind, in its own namespace. */
export function maintenanceInformer(config: LifeboatConfig, apiVersion: string, kind: string): InformerSpec {
  return { apiVersion, kind, namespace: config.namespace, labelSelector: MAINTENANCE_SELECTOR, resyncMs: 0 };
}
