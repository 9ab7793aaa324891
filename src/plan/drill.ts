/**
 * Restore drills, pure part: when a PVC is due, which due drills may start under the caps, and the objects one drill
 * creates. The controller (controller/drill-controller.ts) does the I/O; the verdict is decision/drill-verdict.ts.
 *
 * A drill restores the newest complete snapshot of a PVC the way a real restore does (docs/design.md#restore-drills):
 * a restore point pinned to that snapshot with `restoreAsOf` (`buildRestorePoint`, the same builder admission's restore
 * points use), a scratch PVC whose `dataSourceRef` names it (VolSync's populator fills it), and a Job running
 * `lifeboat verify-volume` that mounts the scratch PVC read-only and counts what it finds. The scratch PVC is never
 * labelled for backup and never referenced by the application; every object carries the drill's label, so a restarted
 * lifeboat finds it and resumes or deletes it.
 */
import { createHash } from 'node:crypto';
import {
  DRILL_LABEL,
  DRILL_OF_ANNOTATION,
  DRILL_SPEC_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PVC_LABEL,
  PVC_NAME_ANNOTATION,
  RESTORE_POINT_LABEL,
} from '../config/keys.ts';
import { BACKEND_KINDS, type Backend, type LifeboatConfig } from '../config/types.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { Snapshot } from '../repository/types.ts';
import { fitName, generatedNames, MAX_VOLSYNC_NAME, sha256Hex } from './names.ts';
import type { ReplicationDestinationObject } from './objects.ts';
import { buildRestorePoint } from './restore-point.ts';
import { admitUnderCaps, type SyncCaps } from './standby-pass.ts';

/** Kubernetes object names that end up in a label value (`job-name`) stop at 63 characters. */
const MAX_LABEL_NAME = 63;

// ---------------------------------------------------------------------------------------------------------------
// Schedule

/**
 * The PVC's own moment within `intervalMs`: the first 6 bytes of sha256(`namespace/pvc`) mod the interval, so drills
 * of many PVCs are spread over the interval (as backups are spread over the hour) and each PVC keeps its moment
 * across restarts.
 */
export function drillOffsetMs(namespace: string, pvc: string, intervalMs: number): number {
  return createHash('sha256').update(`${namespace}/${pvc}`).digest().readUIntBE(0, 6) % intervalMs;
}

/** The PVC's latest drill moment at or before `nowMs` (moments are `offset + k·interval` since the epoch). */
export function latestDrillSlotMs(namespace: string, pvc: string, intervalMs: number, nowMs: number): number {
  const offset = drillOffsetMs(namespace, pvc, intervalMs);
  return Math.floor((nowMs - offset) / intervalMs) * intervalMs + offset;
}

/** The outcome of the last drill, kept on the persistent ReplicationDestination (`lifeboat.dev/restore-drill`). */
export interface DrillRecord {
  /** The drill's id (its objects' `lifeboat.dev/drill` label): which drill in flight this record ended. */
  id?: string;
  outcome: string;
  /** When the drill ended, RFC 3339. */
  at: string;
  snapshotId: string;
  message: string;
}

export function formatDrillRecord(record: DrillRecord): string {
  return JSON.stringify({
    ...(record.id ? { id: record.id } : {}),
    outcome: record.outcome,
    at: record.at,
    snapshotId: record.snapshotId,
    message: record.message,
  });
}

/** undefined for an absent or unreadable record (a hand-edited one counts as never drilled). */
export function parseDrillRecord(value: string | undefined): DrillRecord | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    if (typeof v.outcome !== 'string' || typeof v.at !== 'string' || Number.isNaN(Date.parse(v.at))) return undefined;
    return {
      ...(typeof v.id === 'string' ? { id: v.id } : {}),
      outcome: v.outcome,
      at: v.at,
      snapshotId: typeof v.snapshotId === 'string' ? v.snapshotId : '',
      message: typeof v.message === 'string' ? v.message : '',
    };
  } catch {
    return undefined;
  }
}

/** `lifeboat.dev/restore-proven`: `<RFC 3339 time> <snapshot id>`. */
export function formatProof(atMs: number, snapshotId: string): string {
  return `${new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z')} ${snapshotId}`;
}

export function parseProof(value: string | undefined): { atMs: number; snapshotId: string } | undefined {
  const [at = '', snapshotId = ''] = (value ?? '').trim().split(/\s+/);
  const atMs = Date.parse(at);
  return Number.isNaN(atMs) || snapshotId === '' ? undefined : { atMs, snapshotId };
}

export interface DueInput {
  namespace: string;
  pvc: string;
  nowMs: number;
  verify: Pick<LifeboatConfig['verify'], 'enabled' | 'interval'>;
  last?: DrillRecord;
  /** `lifeboat.dev/verify-requested` (RFC 3339), written by `lifeboat verify`. */
  requested?: string;
}

export type Due =
  | { due: false }
  /** `requested`: on demand, newer than the last drill; `never`: no drill yet; `scheduled`: its moment passed. */
  | { due: true; reason: 'requested' | 'never' | 'scheduled'; sinceMs: number };

/**
 * Whether a PVC's drill is due: a request newer than the last drill always is; with scheduled drills on, a PVC never
 * drilled is, and one whose last drill is older than its latest moment is. `sinceMs` orders the due ones (oldest first).
 */
export function drillDue(input: DueInput): Due {
  const lastMs = input.last ? Date.parse(input.last.at) : undefined;
  const requestedMs = input.requested ? Date.parse(input.requested) : Number.NaN;
  if (!Number.isNaN(requestedMs) && (lastMs === undefined || requestedMs > lastMs)) {
    return { due: true, reason: 'requested', sinceMs: requestedMs };
  }
  if (!input.verify.enabled) return { due: false };
  if (lastMs === undefined) return { due: true, reason: 'never', sinceMs: 0 };
  const slot = latestDrillSlotMs(input.namespace, input.pvc, input.verify.interval, input.nowMs);
  return lastMs < slot ? { due: true, reason: 'scheduled', sinceMs: slot } : { due: false };
}

export interface DrillCandidate {
  /** `namespace/pvc`. */
  key: string;
  /** The catalog's repository key: the per-repository cap counts it. */
  repository: string;
  due: Extract<Due, { due: true }>;
}

/**
 * Which due drills start now: requested ones first, then the longest overdue; ties by key. Drills running already
 * count against both caps (`verify.concurrency`, `verify.perRepository`).
 */
export function planDrills(
  candidates: readonly DrillCandidate[],
  running: readonly { key: string; repository: string }[],
  caps: SyncCaps,
): { start: string[]; held: { key: string; why: string }[] } {
  const busy = new Set(running.map((r) => r.key));
  const rank = (c: DrillCandidate) => (c.due.reason === 'requested' ? 0 : 1);
  const ordered = candidates
    .filter((c) => !busy.has(c.key))
    .sort((a, b) => rank(a) - rank(b) || a.due.sinceMs - b.due.sinceMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { admit, held } = admitUnderCaps(running, ordered, caps, 'restore drills');
  return { start: admit, held };
}

// ---------------------------------------------------------------------------------------------------------------
// Objects

/** What one drill is about; stored on every object it creates (`lifeboat.dev/drill-spec`) so a restart can resume it. */
export interface DrillSpec {
  id: string;
  /** `namespace/pvc` of the drilled PVC. */
  of: string;
  snapshotId: string;
  snapshotTime: string;
  /** From the snapshot's summary; absent when the repository does not record it. */
  fileCount?: number;
  sizeBytes?: number;
  sentinel?: string;
  /** RFC 3339. */
  startedAt: string;
  mover: Backend;
  /** The catalog's repository key, for the per-repository cap after a restart. */
  repository: string;
}

export function parseDrillSpec(value: string | undefined): DrillSpec | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Partial<DrillSpec>;
    if (typeof v.id !== 'string' || typeof v.of !== 'string' || typeof v.snapshotId !== 'string') return undefined;
    if (typeof v.snapshotTime !== 'string' || typeof v.startedAt !== 'string') return undefined;
    if (!(BACKEND_KINDS as readonly unknown[]).includes(v.mover)) return undefined;
    return v as DrillSpec;
  } catch {
    return undefined;
  }
}

/** A drill's id: short, from the PVC, the snapshot and the start, so two drills never share names. */
export function drillId(of: string, snapshotId: string, startedAtMs: number): string {
  return sha256Hex(`${of}\n${snapshotId}\n${startedAtMs}`).slice(0, 10);
}

export interface DrillNames {
  destination: string;
  claim: string;
  job: string;
}

/**
 * Names beside the drilled PVC. The `-drill-<id>` suffix keeps them apart from the PVC's own objects (restore points
 * are `<rd>-<hash>`), and the scratch PVC is created, never applied: a name someone else holds fails the drill
 * instead of touching their claim.
 */
export function drillNames(pvcName: string, id: string, naming: LifeboatConfig['naming']): DrillNames {
  const rd = generatedNames(pvcName, naming).replicationDestination;
  return {
    destination: fitName(`${rd}-drill-${id}`, MAX_VOLSYNC_NAME),
    claim: fitName(`${pvcName}-drill-${id}`, MAX_LABEL_NAME),
    job: `lifeboat-drill-${id}`,
  };
}

export interface DrillInput {
  config: LifeboatConfig;
  /** The drilled PVC (read only: its class, size and access modes shape the scratch volume). */
  pvc: PersistentVolumeClaim;
  namespace: string;
  snapshot: Pick<Snapshot, 'id' | 'time' | 'timeMs' | 'fileCount' | 'sizeBytes'>;
  startedAtMs: number;
  repository: string;
  /** lifeboat's own image (the verification Job runs `lifeboat verify-volume` from it). */
  image: string;
  /** The namespace runs VolSync's movers privileged (as root): restored files keep their owners, so read as root. */
  privilegedMovers: boolean;
  sentinel?: string;
}

export interface DrillObjects {
  spec: DrillSpec;
  names: DrillNames;
  destination: ReplicationDestinationObject;
  claim: Record<string, unknown> & { metadata: DrillMetadata };
  job: Record<string, unknown> & { metadata: DrillMetadata };
}

interface DrillMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Label selector for every object of every drill. */
export const DRILL_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${DRILL_LABEL}`;

export function buildDrill(input: DrillInput): DrillObjects {
  const { config, pvc, namespace, snapshot } = input;
  const of = `${namespace}/${pvc.metadata.name}`;
  const id = drillId(of, snapshot.id, input.startedAtMs);
  const names = drillNames(pvc.metadata.name, id, config.naming);
  const spec: DrillSpec = {
    id,
    of,
    snapshotId: snapshot.id,
    snapshotTime: snapshot.time,
    ...(snapshot.fileCount !== undefined ? { fileCount: snapshot.fileCount } : {}),
    ...(snapshot.sizeBytes !== undefined ? { sizeBytes: snapshot.sizeBytes } : {}),
    ...(input.sentinel ? { sentinel: input.sentinel } : {}),
    startedAt: new Date(input.startedAtMs).toISOString(),
    mover: config.repository.backend,
    repository: input.repository,
  };
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [DRILL_LABEL]: id };
  const meta = (name: string): DrillMetadata => ({
    name,
    namespace,
    labels: { ...labels },
    annotations: { [DRILL_OF_ANNOTATION]: of, [DRILL_SPEC_ANNOTATION]: JSON.stringify(spec) },
  });
  const capacity = pvc.spec?.resources?.requests?.storage ?? '1Gi';
  const accessModes = pvc.spec?.accessModes?.length ? [...pvc.spec.accessModes] : ['ReadWriteOnce'];

  // Exactly the restore point a real restore of this snapshot would create, then relabelled as the drill's: without
  // the PVC label the PVC controller never sees it as one of the PVC's objects (it would delete it as unwanted).
  const destination = buildRestorePoint(
    { config, pvc, namespace, names: { ...generatedNames(pvc.metadata.name, config.naming) } },
    { name: names.destination, snapshotId: snapshot.id, snapshotTime: snapshot.time },
    { capacity, accessModes },
  );
  const { [PVC_LABEL]: _pvc, [RESTORE_POINT_LABEL]: _point, ...keptLabels } = destination.metadata.labels;
  const { [PVC_NAME_ANNOTATION]: _name, ...keptAnnotations } = destination.metadata.annotations;
  const base = meta(names.destination);
  destination.metadata = {
    ...destination.metadata,
    labels: { ...keptLabels, ...base.labels },
    annotations: { ...keptAnnotations, ...base.annotations },
  };
  delete destination.metadata.ownerReferences;

  const storageClassName = pvc.spec?.storageClassName;
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(names.claim),
    spec: {
      accessModes,
      resources: { requests: { storage: capacity } },
      ...(storageClassName ? { storageClassName } : {}),
      dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: names.destination },
    },
  };

  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(names.job),
    spec: verificationJobSpec(input, spec, names, labels),
  };
  return { spec, names, destination, claim, job };
}

/**
 * The verification Job: one Pod, never retried (a second run proves nothing new), no API token, no Service links,
 * read-only root and volume, no capabilities, the movers' uid/gid so it reads what the mover restored. In a namespace
 * with privileged movers the restored files keep their original owners, so it runs as root with DAC_READ_SEARCH only
 * (read any file, write none). Its result is the container's termination message (`lifeboat verify-volume` writes it).
 */
function verificationJobSpec(
  input: DrillInput,
  spec: DrillSpec,
  names: DrillNames,
  labels: Record<string, string>,
): Record<string, unknown> {
  const mover = input.config.mover.moverSecurityContext;
  const args = ['verify-volume', '--path', '/data'];
  if (spec.fileCount !== undefined) args.push('--expect-files', String(spec.fileCount));
  if (spec.sizeBytes !== undefined) args.push('--expect-bytes', String(spec.sizeBytes));
  if (spec.sentinel) args.push('--sentinel', spec.sentinel);
  const podSecurity = input.privilegedMovers
    ? { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } }
    : {
        runAsUser: mover.runAsUser,
        runAsGroup: mover.runAsGroup,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      };
  return {
    backoffLimit: 0,
    activeDeadlineSeconds: Math.max(60, Math.ceil(input.config.verify.timeout / 1000)),
    template: {
      metadata: { labels: { ...labels } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurity,
        containers: [
          {
            name: 'verify',
            image: input.image,
            imagePullPolicy: 'IfNotPresent',
            args,
            terminationMessagePolicy: 'File',
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: input.privilegedMovers ? { drop: ['ALL'], add: ['DAC_READ_SEARCH'] } : { drop: ['ALL'] },
            },
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
            volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: names.claim, readOnly: true } }],
      },
    },
  };
}
