/**
 * What the controller keeps of each watched PVC and Namespace. A cluster may hold thousands of PVCs and the watch
 * covers all of them (an unlabelled PVC may be one whose label was just removed), so only the fields planning reads
 * are stored, and the strings thousands of objects repeat (namespaces, label values, kinds, spec values) are kept once
 * (kube/intern.ts). So are names (a child's name is repeated in its parent's spec and in other children's references),
 * creation times (objects made in the same second share one), and a PVC's uid, which each of its children repeats in
 * its owner reference. A child's own uid and every resourceVersion are unique and pass through as they are: interning
 * them would only grow the table. Below the metadata, equal sub-objects are kept once as well (kube/shared-values.ts):
 * a spec, its trigger and retention, the labels, a Secret's data. They come out frozen, because many cached objects
 * read the same copy: the cache is read-only to its consumers, which build new objects from it.
 */
import { RESTORE_POINT_LABEL } from '../config/keys.ts';
import type { OwnerReference } from '../intent/resources.ts';
import type { KubeObject } from '../kube/client.ts';
import { StringInterner } from '../kube/intern.ts';
import { ValueSharer } from '../kube/shared-values.ts';
import { armEntry, SYNC_FIELD_MANAGER } from '../plan/standby.ts';

const strings = new StringInterner();
const shared = new ValueSharer(strings);

function meta(obj: KubeObject, uid: 'shared' | 'own' = 'own'): KubeObject['metadata'] {
  const m = obj.metadata;
  return {
    name: strings.intern(m.name),
    ...(m.namespace !== undefined ? { namespace: strings.intern(m.namespace) } : {}),
    ...(m.uid !== undefined ? { uid: uid === 'shared' ? strings.intern(m.uid) : m.uid } : {}),
    ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.creationTimestamp !== undefined ? { creationTimestamp: strings.intern(m.creationTimestamp) } : {}),
    ...(m.deletionTimestamp !== undefined ? { deletionTimestamp: m.deletionTimestamp } : {}),
    ...(m.labels !== undefined ? { labels: shared.share(m.labels) } : {}),
    ...(m.annotations !== undefined ? { annotations: shared.share(withoutLastApplied(m.annotations)) } : {}),
  };
}

/** kubectl's last-applied annotation repeats the whole object; nothing in lifeboat reads it. */
function withoutLastApplied(annotations: Record<string, string>): Record<string, string> {
  if (!('kubectl.kubernetes.io/last-applied-configuration' in annotations)) return annotations;
  const { 'kubectl.kubernetes.io/last-applied-configuration': _dropped, ...rest } = annotations;
  return rest;
}

export function slimPvc(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as Record<string, unknown> & { resources?: { requests?: Record<string, string> } };
  const status = (obj.status ?? {}) as { phase?: string };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { ...meta(obj, 'shared'), ...claimOwners(obj) },
    spec: shared.share({
      accessModes: spec.accessModes,
      storageClassName: spec.storageClassName as string | undefined,
      resources: { requests: spec.resources?.requests },
      dataSourceRef: spec.dataSourceRef,
      dataSource: spec.dataSource,
      volumeMode: spec.volumeMode as string | undefined,
    }),
    status: shared.share({ phase: status.phase }),
  };
}

/** Who made the claim, enough to recognise a database operator's (intent/database.ts): no uid, no flags. */
function claimOwners(obj: KubeObject): Partial<KubeObject['metadata']> {
  const refs = obj.metadata.ownerReferences as OwnerReference[] | undefined;
  if (!Array.isArray(refs) || refs.length === 0) return {};
  return { ownerReferences: shared.share(refs.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name }))) };
}

export function slimNamespace(obj: KubeObject): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(obj) };
}

/**
 * Generated children keep spec, data and status (restore points live in an RD's status) but not managedFields — except
 * the standby sync's own entry, reduced to manager, operation and time: when lifeboat armed the standby, by the API
 * server's clock (plan/standby.ts armedAtMs) — nor the mover's log tail, which VolSync copies into
 * `status.latestMoverStatus.logs` after every sync — except on per-snapshot restore points (few, short-lived), whose
 * log is the evidence of which snapshot was restored.
 */
export function slimChild(obj: KubeObject): KubeObject {
  const status = obj.status as { latestMoverStatus?: { logs?: string } } | undefined;
  const slimStatus =
    status?.latestMoverStatus?.logs !== undefined && obj.metadata.labels?.[RESTORE_POINT_LABEL] !== 'true'
      ? { ...status, latestMoverStatus: { ...status.latestMoverStatus, logs: undefined } }
      : status;
  const { metadata: _metadata, status: _status, ...rest } = obj;
  const out: KubeObject = {
    ...rest,
    metadata: { ...meta(obj), ...ownerRefs(obj), ...generation(obj), ...syncEntry(obj) },
  };
  for (const [field, value] of Object.entries(rest)) (out as Record<string, unknown>)[field] = shared.share(value);
  if (slimStatus !== undefined) out.status = shared.share(slimStatus);
  return out;
}

function syncEntry(obj: KubeObject): Partial<KubeObject['metadata']> {
  const entry = armEntry(obj.metadata.managedFields);
  if (!entry?.time) return {};
  return { managedFields: shared.share([{ manager: SYNC_FIELD_MANAGER, operation: 'Apply', time: entry.time }]) };
}

function ownerRefs(obj: KubeObject): Partial<KubeObject['metadata']> {
  const refs = obj.metadata.ownerReferences;
  return refs === undefined ? {} : { ownerReferences: shared.share(refs) };
}

function generation(obj: KubeObject): Partial<KubeObject['metadata']> {
  const g = obj.metadata.generation;
  return g === undefined ? {} : { generation: g };
}
