/**
 * The standby of a PVC — its persistent ReplicationDestination `{pvc}-restore`, kept synced to the newest snapshot —
 * and how far it is behind the repository. Not to be confused with a restore point (`./restore-point.ts`), the
 * ReplicationDestination made for exactly one snapshot that a recreated PVC is populated from. Pure, from the RD as the API server returns it, the newest complete snapshot the catalog sees, and
 * "now" (nothing here touches the network or the clock).
 *
 * The contract (docs/design.md#triggers, #status; docs/design.md#stale-restore, #restore-storms):
 * - lifeboat re-arms an RD by pinning `spec.<mover>.restoreAsOf` to the snapshot it wants and writing a new
 *   `spec.trigger.manual` token, and records what it asked for in the annotation `lifeboat.dev/restore-point`
 *   (`{"snapshotId","snapshotTime","token"}`).
 * - A sync is in flight while `status.lastManualSync` differs from `spec.trigger.manual`; it is complete when
 *   `status.lastManualSync` equals the recorded token and `status.latestImage` is set.
 * - An RD is behind when the recorded snapshot is older than the catalog's newest complete snapshot, or when nothing
 *   is recorded. Only behind RDs are re-armed: a blind re-sync of every RD restores every volume every interval.
 */

import { LIFEBOAT_PREFIX } from '../config/keys.ts';
import { BACKEND_KINDS, type Backend } from '../config/types.ts';
import type { Snapshot } from '../repository/types.ts';
import { restoreAsOfFor } from './restore-point.ts';

/**
 * Annotation on the standby recording the snapshot lifeboat last asked it to hold. Its key, `lifeboat.dev/restore-point`,
 * predates the name "standby" and stays (live objects carry it). It shares its key with the
 * `lifeboat.dev/restore-point` label of per-snapshot RDs on purpose: labels and annotations are separate maps, and
 * the persistent RD never carries the label (that is how the sync tells the two apart).
 */
export const STANDBY_RECORD_ANNOTATION = `${LIFEBOAT_PREFIX}restore-point`;

/**
 * The field manager of the sync's server-side applies. Not the controller's `lifeboat`: the controller's apply of
 * the RD states neither `restoreAsOf` nor this annotation, and under its own manager they would be removed by its
 * next apply (server-side apply deletes fields a manager stops stating). Under a second manager they survive it.
 */
export const SYNC_FIELD_MANAGER = 'lifeboat-sync';

export interface StandbyRecord {
  snapshotId: string;
  /** RFC 3339, as the catalog reports it. */
  snapshotTime: string;
  /** The `trigger.manual` token written with it. */
  token: string;
}

/** The fields of a ReplicationDestination this module reads. */
export interface DestinationView {
  metadata: {
    name: string;
    namespace?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
    /** Only the sync's own entry is read (its `time`: see armedAtMs). */
    managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string }[];
  };
  spec?: { trigger?: { manual?: string } } & { [mover in Backend]?: unknown };
  status?: {
    lastManualSync?: string;
    lastSyncTime?: string;
    latestImage?: { apiGroup?: string; kind?: string; name?: string } | null;
  };
}

/** The record on an RD; undefined when absent or unreadable (both mean "behind": a re-sync is the safe answer). */
export function parseStandbyRecord(value: string | undefined): StandbyRecord | undefined {
  if (!value) return undefined;
  try {
    const r = JSON.parse(value) as Partial<StandbyRecord>;
    if (typeof r.snapshotId !== 'string' || typeof r.token !== 'string' || typeof r.snapshotTime !== 'string') {
      return undefined;
    }
    if (Number.isNaN(Date.parse(r.snapshotTime)) || r.token === '') return undefined;
    return { snapshotId: r.snapshotId, snapshotTime: r.snapshotTime, token: r.token };
  } catch {
    return undefined;
  }
}

export function formatStandbyRecord(record: StandbyRecord): string {
  return JSON.stringify({ snapshotId: record.snapshotId, snapshotTime: record.snapshotTime, token: record.token });
}

export function standbyRecordOf(rd: DestinationView): StandbyRecord | undefined {
  return parseStandbyRecord(rd.metadata.annotations?.[STANDBY_RECORD_ANNOTATION]);
}

/**
 * When lifeboat last armed the RD, by the API server's clock: the `time` of the sync's managedFields entry, which the
 * API server sets whenever an apply of that manager changes a field it owns — and every arm changes the token. Not
 * the token's own time: that is lifeboat's clock, and it is compared with a VolumeSnapshot's creationTimestamp, which
 * is the API server's (docs/design.md#standby-evidence). Whole seconds. Undefined when the entry is gone (never
 * armed, or managedFields reset by hand).
 */
export function armedAtMs(rd: DestinationView): number | undefined {
  const at = Date.parse(armEntry(rd.metadata.managedFields)?.time ?? '');
  return Number.isNaN(at) ? undefined : at;
}

type ManagedFieldsEntry = NonNullable<DestinationView['metadata']['managedFields']>[number];

/** The sync's own apply to the RD (not a status write, not an update): the entry whose `time` is the arm. */
export function armEntry<T extends ManagedFieldsEntry>(entries: T[] | undefined): T | undefined {
  return entries?.find((f) => f.manager === SYNC_FIELD_MANAGER && f.operation === 'Apply' && !f.subresource);
}

const TOKEN = /^sync-(\d{9,12})$/;

/**
 * A new `trigger.manual` token, `sync-<unix seconds>`: unique per arming (an RD is never armed twice within a second,
 * and `previous` makes sure of it) and readable, so the age of a sync in flight can be told from the token alone.
 */
export function syncToken(nowMs: number, previous?: string): string {
  let seconds = Math.floor(nowMs / 1000);
  const before = previous ? TOKEN.exec(previous) : null;
  if (before && Number(before[1]) >= seconds) seconds = Number(before[1]) + 1;
  return `sync-${seconds}`;
}

/** When a `sync-<unix seconds>` token was written (ms); undefined for tokens of another shape. */
export function tokenTime(token: string): number | undefined {
  const m = TOKEN.exec(token);
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * `restoreAsOf` that selects exactly `snapshot` when it is the newest: the end of the snapshot's second. The catalog
 * reports times to the millisecond while the repositories keep nanoseconds, so the snapshot's own (truncated) time
 * could fall just before its real start and exclude it; one whole second later cannot, and no later backup of the same
 * PVC starts within that second.
 */
export function restoreAsOf(snapshot: Pick<Snapshot, 'timeMs'>): string {
  return restoreAsOfFor(snapshot.timeMs);
}

export type StandbyState =
  /** The recorded snapshot is the newest and its sync completed. */
  | { kind: 'current'; record: StandbyRecord }
  /**
   * Needs re-arming: nothing recorded, an older snapshot recorded, the recorded sync did not produce an image, or
   * (`misrestored`, set by decision/standby-evidence.ts) the recorded sync completed but restored another snapshot.
   */
  | { kind: 'behind'; why: string; record?: StandbyRecord; misrestored?: boolean }
  /**
   * A sync is in flight and recent: never re-armed (changing the token mid-sync is undefined, docs/design.md#triggers).
   * With `confirming`, the sync has ended and what it restored waits for a repository read
   * (decision/standby-evidence.ts).
   */
  | { kind: 'syncing'; token: string; sinceMs: number; record?: StandbyRecord; confirming?: string }
  /** A sync has been in flight longer than the timeout: re-armed like a behind RD (a new token restarts it). */
  | { kind: 'stuck'; token: string; sinceMs: number; record?: StandbyRecord };

/** Whether the RD's restore point must be re-armed to hold `newest`; `timeoutMs` bounds how long a sync may run. */
export function assessStandby(
  rd: DestinationView,
  newest: Pick<Snapshot, 'id' | 'time' | 'timeMs'>,
  nowMs: number,
  timeoutMs: number,
): StandbyState {
  const record = standbyRecordOf(rd);
  const withRecord = record ? { record } : {};
  const live = rd.spec?.trigger?.manual;
  const done = rd.status?.lastManualSync;
  if (live !== undefined && live !== '' && live !== done) {
    // An unreadable token (the initial `restore-once`, or one written by hand) counts from the RD's creation.
    const created = rd.metadata.creationTimestamp ? Date.parse(rd.metadata.creationTimestamp) : Number.NaN;
    const sinceMs = tokenTime(live) ?? (Number.isNaN(created) ? nowMs : created);
    const kind = nowMs - sinceMs < timeoutMs ? 'syncing' : 'stuck';
    return { kind, token: live, sinceMs, ...withRecord };
  }
  if (!record) return { kind: 'behind', why: 'no restore point recorded yet' };
  if (done !== record.token) {
    return { kind: 'behind', why: `the recorded sync ${record.token} was superseded by ${done ?? 'none'}`, record };
  }
  if (!rd.status?.latestImage?.name) {
    return { kind: 'behind', why: `sync ${record.token} completed without an image`, record };
  }
  if (Date.parse(record.snapshotTime) < newest.timeMs) {
    return {
      kind: 'behind',
      why: `holds snapshot ${record.snapshotId} from ${record.snapshotTime}; the newest is ${newest.id} from ${newest.time}`,
      record,
    };
  }
  return { kind: 'current', record };
}

/** The RD's mover block (`kopia`, `restic`, …), where `restoreAsOf` goes; undefined when it has none. */
export function moverOf(rd: DestinationView): Backend | undefined {
  return BACKEND_KINDS.find((mover) => rd.spec?.[mover]);
}

/**
 * The server-side apply body that re-arms `rd` for `snapshot`: the pinned time, the new token and the record, and
 * nothing else (fields the sync does not state stay with their owners). `resourceVersion` makes it conditional on
 * the RD the decision was made from.
 */
export function armBody(
  rd: DestinationView & { apiVersion: string; kind: string; metadata: { resourceVersion?: string } },
  snapshot: Pick<Snapshot, 'id' | 'time' | 'timeMs'>,
  token: string,
): Record<string, unknown> {
  const mover = moverOf(rd);
  if (!mover) throw new Error(`ReplicationDestination ${rd.metadata.name} has neither a kopia nor a restic mover`);
  const record: StandbyRecord = { snapshotId: snapshot.id, snapshotTime: snapshot.time, token };
  return {
    apiVersion: rd.apiVersion,
    kind: rd.kind,
    metadata: {
      name: rd.metadata.name,
      namespace: rd.metadata.namespace,
      ...(rd.metadata.resourceVersion ? { resourceVersion: rd.metadata.resourceVersion } : {}),
      annotations: { [STANDBY_RECORD_ANNOTATION]: formatStandbyRecord(record) },
    },
    spec: { trigger: { manual: token }, [mover]: { restoreAsOf: restoreAsOf(snapshot) } },
  };
}
