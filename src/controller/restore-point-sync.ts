/**
 * The coordinated standby sync (leader only): every interval (default 15 min) it re-arms the persistent
 * ReplicationDestination (the standby) of each PVC whose standby is behind the newest complete snapshot the catalog
 * sees — and only those. Re-syncing every volume on a fixed schedule instead would start a mover per PVC at once and
 * still leave a standby stale between runs (docs/design.md#stale-restore).
 *
 *   list persistent RDs ─► catalog decision per PVC ─► assess (plan/standby.ts) ─► plan under caps
 *     (plan/standby-pass.ts) ─► arm one at a time, jittered ─► Events, metrics
 *
 * - Arming is a server-side apply under the field manager `lifeboat-sync` (see SYNC_FIELD_MANAGER for why not the
 *   controller's), conditional on the resourceVersion the decision was made from; a conflict waits for the next pass.
 * - Never re-arms a sync in flight; a sync in flight longer than `syncTimeoutMs` is restarted with a new token.
 * - Paced: passes start at the interval ±10 %; consecutive arms are `staggerMs` apart (jittered); while syncs are in
 *   flight or held by a cap, the loop looks again every `pollMs`, so freed slots are used without waiting a whole
 *   interval, and completions are reported promptly.
 * - A catalog that cannot vouch for its facts (unknown) never leads to a re-arm: the RD is left as it is.
 */
import type { Registry } from 'prom-client';
import type { PvcFacts } from '../catalog/view.ts';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import {
  BACKUP_HISTORY_ANNOTATION,
  DRILL_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PVC_LABEL,
  PVC_NAME_ANNOTATION,
  RESTORE_POINT_LABEL,
} from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { type Decision, decide } from '../decision/decide.ts';
import {
  confirmStandby,
  type ImageFact,
  imageIsSnapshot,
  type StandbyWithReport,
} from '../decision/standby-evidence.ts';
import { sleep } from '../kube/backoff.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { formatKubeError, isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { parseHistory } from '../plan/history.ts';
import { generatedNames } from '../plan/names.ts';
import { VOLSYNC_API_VERSION, VOLUME_SNAPSHOT_API_VERSION } from '../plan/objects.ts';
import {
  armBody,
  assessStandby,
  type DestinationView,
  type StandbyState,
  SYNC_FIELD_MANAGER,
  standbyRecordOf,
  syncToken,
} from '../plan/standby.ts';
import { type PassEntry, planPass } from '../plan/standby-pass.ts';
import type { PvcRef } from '../repository/source.ts';
import { type PointState, type RestorePointMetrics, restorePointMetrics } from './restore-point-metrics.ts';

/** What the sync needs of the catalog: the facts for one PVC (memory, or an on-demand read for restic). */
export interface SyncCatalog {
  lookup(ref: PvcRef): Promise<PvcFacts>;
  readonly staleAfterMs: number;
}

export interface RestorePointSyncOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  catalog: SyncCatalog;
  /** Events on the PVC (or on the RD when the PVC is gone); none when omitted. */
  events?: EventRecorder;
  registry?: Registry;
  logger?: Logger;
  /** Between full passes. Default 15 min. */
  intervalMs?: number;
  /** Between passes while syncs are in flight or held by a cap. Default 60 s. */
  pollMs?: number;
  /** Between two arms of one pass (jittered ×0.5–1.5). Default 10 s. */
  staggerMs?: number;
  /** Syncs in flight at once in the cluster. Default 2. */
  concurrency?: number;
  /** Syncs in flight at once per repository. Default 1. */
  perRepository?: number;
  /** A sync in flight longer than this is restarted. Default 2 h. */
  syncTimeoutMs?: number;
  /**
   * The persistent RDs (any lifeboat RD is accepted; the rest are filtered out). Default: listed from the API server
   * each pass; the operator can pass its reflector cache instead.
   */
  destinations?: () => KubeObject[] | Promise<KubeObject[]>;
  /** The PVC an Event goes to; default a GET. The operator can pass its reflector cache. */
  pvc?: (namespace: string, name: string) => KubeObject | undefined | Promise<KubeObject | undefined>;
  now?: () => number;
  random?: () => number;
}

export interface PassOptions {
  /** Only these PVCs (`namespace/pvc`); all when omitted. */
  only?: ReadonlySet<string>;
  /** Only restore points in this namespace (`lifeboat sync --all -n <namespace>`). */
  namespace?: string;
  /** Re-arm restore points that are current too (never one in flight). */
  force?: boolean;
  signal?: AbortSignal;
}

export type SyncAction = 'armed' | 'current' | 'syncing' | 'held' | 'no-backup' | 'unknown' | 'failed';

export interface SyncOutcome {
  /** `namespace/pvc`. */
  key: string;
  destination: string;
  action: SyncAction;
  message: string;
  token?: string;
}

export interface PassReport {
  startedAtMs: number;
  outcomes: SyncOutcome[];
  /** Something is left to watch: a sync in flight, or a behind restore point held back by a cap or a conflict. */
  pending: boolean;
}

/** Selects lifeboat's RDs that are not per-snapshot restore points. */
export const PERSISTENT_RD_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${PVC_LABEL},!${RESTORE_POINT_LABEL}`;

type Destination = KubeObject & DestinationView & StandbyWithReport;

interface Judged {
  key: string;
  ref: PvcRef;
  rd: Destination;
  repository: string;
  decision: Decision;
  state?: StandbyState;
}

export class RestorePointSync {
  readonly opts: RestorePointSyncOptions;
  readonly metrics: RestorePointMetrics | undefined;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly pollMs: number;
  readonly staggerMs: number;
  readonly syncTimeoutMs: number;
  readonly caps: { concurrency: number; perRepository: number };
  /** Tokens seen in flight, per PVC key: their completion or timeout is reported once. */
  readonly #inFlight = new Map<string, string>();
  /** The snapshot time each RD's image was last known to hold, kept while a re-sync is in flight. */
  readonly #held = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #stop = new AbortController();
  #running: Promise<PassReport> | undefined;
  /**
   * Creation times of the standbys' image VolumeSnapshots (`namespace/name`), read once per image: an image is a new
   * VolumeSnapshot per sync and its creationTimestamp never changes, so a pass costs a GET only for images it has not
   * seen — one per completed sync, not one per standby per pass. A cluster-wide VolumeSnapshot watch would hold every
   * snapshot of the cluster (not only lifeboat's) in memory and need list/watch. Only images of standbys still listed
   * are kept.
   */
  readonly #imageCreated = new Map<string, string>();
  /** Events being recorded (each looks its PVC up first); a pass returns only when its Events are handed over. */
  readonly #reporting = new Set<Promise<void>>();

  constructor(opts: RestorePointSyncOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.metrics = opts.registry ? restorePointMetrics(opts.registry) : undefined;
    this.intervalMs = opts.intervalMs ?? DEFAULT_CONFIG.restore.sync.interval;
    this.pollMs = opts.pollMs ?? 60_000;
    this.staggerMs = opts.staggerMs ?? 10_000;
    this.syncTimeoutMs = opts.syncTimeoutMs ?? DEFAULT_CONFIG.restore.sync.timeout;
    this.caps = {
      concurrency: opts.concurrency ?? DEFAULT_CONFIG.restore.sync.concurrency,
      perRepository: opts.perRepository ?? DEFAULT_CONFIG.restore.sync.perRepository,
    };
    if (this.caps.concurrency < 1 || this.caps.perRepository < 1) throw new RangeError('sync caps must be at least 1');
  }

  #now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  #random(): number {
    return (this.opts.random ?? Math.random)();
  }

  /** Starts the loop: a first pass soon (jittered, so replicas and restarts do not align), then every interval. */
  start(): void {
    if (this.#timer) return;
    if (this.#stop.signal.aborted) this.#stop = new AbortController();
    this.#schedule(this.#random() * Math.min(this.pollMs, this.intervalMs));
  }

  /** Stops the loop; waits for a pass in progress (its stagger sleeps end at once). */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop.abort();
    await this.#running?.catch(() => undefined);
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      void this.runPass({ signal: this.#stop.signal })
        .catch((error) => {
          this.log.warn('restore-point sync pass failed', { error: formatKubeError(error) });
          return { pending: true } as PassReport;
        })
        .then((report) => {
          if (this.#stop.signal.aborted) return;
          const base = report.pending ? this.pollMs : this.intervalMs;
          this.#schedule(base * (0.9 + 0.2 * this.#random()));
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** One pass; passes never overlap (a second caller waits for the first, then runs its own). */
  async runPass(opts: PassOptions = {}): Promise<PassReport> {
    while (this.#running) await this.#running.catch(() => undefined);
    const run = this.#pass(opts).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return await run;
  }

  async #pass(opts: PassOptions): Promise<PassReport> {
    const startedAtMs = this.#now();
    const judged = await this.#judge(await this.#destinations(opts.only, opts.namespace));
    const outcomes = new Map<string, SyncOutcome>();
    const entries: PassEntry[] = [];
    let pending = false;
    for (const j of judged) {
      const outcome = this.#observe(j, opts.force === true);
      if (outcome) outcomes.set(j.key, outcome);
      if (j.state) entries.push({ key: j.key, repository: j.repository, state: j.state });
      if (j.state?.kind === 'syncing') pending = true;
    }
    const plan = planPass(entries, this.caps);
    for (const held of plan.held) {
      const j = judged.find((x) => x.key === held.key);
      pending = true;
      this.metrics?.syncs.inc({ result: 'skipped' });
      outcomes.set(held.key, {
        key: held.key,
        destination: j?.rd.metadata.name ?? '',
        action: 'held',
        message: held.why,
      });
    }
    let first = true;
    for (const key of plan.arm) {
      const j = judged.find((x) => x.key === key);
      if (!j || opts.signal?.aborted) break;
      if (!first) await sleep(this.staggerMs * (0.5 + this.#random()), opts.signal);
      if (opts.signal?.aborted) break;
      first = false;
      const outcome = await this.#arm(j);
      if (outcome.action !== 'armed') pending = true;
      outcomes.set(key, outcome);
    }
    if (!opts.only && opts.namespace === undefined) {
      this.#updateStates(judged);
      this.#keepImagesOf(judged.map((j) => j.rd));
    }
    // A pass's Events are part of its result: whoever reads them after the pass (a test, `lifeboat sync`) finds them.
    while (this.#reporting.size > 0) await Promise.allSettled([...this.#reporting]);
    const report = { startedAtMs, outcomes: [...outcomes.values()], pending };
    this.log.debug('restore-point sync pass', {
      destinations: judged.length,
      armed: plan.arm.length,
      held: plan.held.length,
      pending,
    });
    return report;
  }

  async #destinations(only: ReadonlySet<string> | undefined, namespace?: string): Promise<Destination[]> {
    const all = (
      this.opts.destinations
        ? await this.opts.destinations()
        : await this.opts.kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', {
            labelSelector: PERSISTENT_RD_SELECTOR,
          })
    ) as Destination[];
    return all.filter((rd) => {
      const key = this.#keyOf(rd);
      return (
        key !== undefined &&
        !rd.metadata.deletionTimestamp &&
        (!only || only.has(key)) &&
        (namespace === undefined || rd.metadata.namespace === namespace)
      );
    });
  }

  /** `namespace/pvc` of a persistent RD; undefined for any other RD (per-snapshot, foreign, renamed). */
  #keyOf(rd: Destination): string | undefined {
    return persistentDestinationKey(rd, this.opts.config.naming);
  }

  async #judge(destinations: Destination[]): Promise<Judged[]> {
    const judged: Judged[] = [];
    for (const rd of destinations) {
      const key = this.#keyOf(rd) as string;
      const slash = key.indexOf('/');
      const ref = { namespace: key.slice(0, slash), pvc: key.slice(slash + 1) };
      const { facts, decision } = await decisionForDestination(this.opts.catalog, ref, rd, this.#now());
      const entry: Judged = { key, ref, rd, repository: facts.repository, decision };
      if (decision.decision === 'restore' && decision.newest) {
        // The token says a sync ended; the evidence says whether it restored the snapshot it was armed with.
        const state = assessStandby(rd, decision.newest, this.#now(), this.syncTimeoutMs);
        // Only a standby that looks current needs its image read: every other state is re-armed or waited for anyway.
        const image: ImageFact = state.kind === 'current' ? await this.#image(rd) : { state: 'not-a-snapshot' };
        entry.state = confirmStandby(state, rd, decision, image, this.#now());
      }
      judged.push(entry);
    }
    return judged;
  }

  /** The VolumeSnapshot `status.latestImage` names, as far as the API server tells (see #imageCreated). */
  async #image(rd: Destination): Promise<ImageFact> {
    const image = rd.status?.latestImage;
    const namespace = rd.metadata.namespace;
    if (!image?.name || !namespace) return { state: 'missing' };
    if (!imageIsSnapshot(rd)) return { state: 'not-a-snapshot' };
    const key = `${namespace}/${image.name}`;
    const known = this.#imageCreated.get(key);
    if (known !== undefined) return { state: 'created', createdAt: known };
    try {
      const snapshot = await this.opts.kube.get({
        apiVersion: VOLUME_SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshot',
        namespace,
        name: image.name,
      });
      if (!snapshot) return { state: 'missing' };
      const createdAt = snapshot.metadata.creationTimestamp;
      if (!createdAt) return { state: 'unreadable', error: 'it has no creationTimestamp' };
      this.#imageCreated.set(key, createdAt);
      return { state: 'created', createdAt };
    } catch (error) {
      return { state: 'unreadable', error: formatKubeError(error) };
    }
  }

  #keepImagesOf(destinations: Destination[]): void {
    const live = new Set(destinations.map((rd) => `${rd.metadata.namespace}/${rd.status?.latestImage?.name ?? ''}`));
    for (const key of this.#imageCreated.keys()) if (!live.has(key)) this.#imageCreated.delete(key);
  }

  /**
   * Reports what one RD's state means (completions, timeouts, catalog trouble) and returns its outcome unless the
   * plan decides it. With `force`, a current restore point is treated as behind.
   */
  #observe(j: Judged, force: boolean): SyncOutcome | undefined {
    const base = { key: j.key, destination: j.rd.metadata.name };
    this.#trackAge(j);
    if (!j.state) {
      if (j.decision.decision === 'fresh') {
        return { ...base, action: 'no-backup', message: `nothing to sync: ${j.decision.message}` };
      }
      this.metrics?.syncs.inc({ result: 'skipped' });
      return { ...base, action: 'unknown', message: `left as it is, the catalog cannot tell: ${j.decision.message}` };
    }
    const state = j.state;
    const watched = this.#inFlight.get(j.key);
    if (state.kind === 'syncing') {
      this.#inFlight.set(j.key, state.token);
      return {
        ...base,
        action: 'syncing',
        token: state.token,
        message: state.confirming
          ? `sync ${state.token} ended ${new Date(state.sinceMs).toISOString()}; confirming what it restored: ${state.confirming}`
          : `sync ${state.token} in flight since ${new Date(state.sinceMs).toISOString()}`,
      };
    }
    if (watched !== undefined) {
      this.#inFlight.delete(j.key);
      if (state.kind === 'stuck' && state.token === watched) {
        this.metrics?.syncs.inc({ result: 'failed' });
      } else if (state.kind === 'behind' && state.misrestored && state.record?.token === watched) {
        // Reported by the re-arm that follows (a Warning), whether or not this process armed the sync.
        this.metrics?.syncs.inc({ result: 'failed' });
      } else if (state.kind === 'current' || (state.kind === 'behind' && state.record?.token === watched)) {
        this.#completed(j, watched);
      }
    }
    if (state.kind === 'current') {
      if (force) {
        j.state = { kind: 'behind', why: 'forced re-sync', record: state.record };
        return undefined;
      }
      return {
        ...base,
        action: 'current',
        message: `holds the newest snapshot ${state.record.snapshotId} from ${state.record.snapshotTime}`,
      };
    }
    return undefined;
  }

  #completed(j: Judged, token: string): void {
    const record = standbyRecordOf(j.rd);
    if (!record || record.token !== token) return;
    if (!j.rd.status?.latestImage?.name) {
      this.metrics?.syncs.inc({ result: 'failed' });
      return;
    }
    this.metrics?.syncs.inc({ result: 'synced' });
    const image = j.rd.status?.latestImage?.name ?? 'none';
    this.#report(
      j,
      'Normal',
      'RestorePointSynced',
      `restore point ${j.rd.metadata.name} now holds snapshot ${record.snapshotId} from ${record.snapshotTime} (image ${image})`,
    );
  }

  async #arm(j: Judged): Promise<SyncOutcome> {
    const base = { key: j.key, destination: j.rd.metadata.name };
    const newest = j.decision.newest;
    const state = j.state;
    if (!newest || !state) return { ...base, action: 'failed', message: 'no snapshot to sync to' };
    const token = syncToken(this.#now(), j.rd.spec?.trigger?.manual);
    const why =
      state.kind === 'behind'
        ? state.why
        : state.kind === 'stuck'
          ? `sync ${state.token} did not complete since ${new Date(state.sinceMs).toISOString()}`
          : 'forced';
    try {
      const path = await this.opts.kube.resources.objectPath(
        VOLSYNC_API_VERSION,
        'ReplicationDestination',
        j.rd.metadata.name,
        j.ref.namespace,
      );
      await this.opts.kube.http.request('PATCH', path, {
        query: { fieldManager: SYNC_FIELD_MANAGER, force: true },
        contentType: 'application/apply-patch+yaml',
        body: armBody(j.rd as Destination & { apiVersion: string; kind: string }, newest, token),
      });
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) {
        // The RD changed (or went) after it was read: the next pass decides again from what it is now.
        this.metrics?.syncs.inc({ result: 'skipped' });
        return { ...base, action: 'held', message: `changed while deciding (${formatKubeError(error)}); next pass` };
      }
      this.metrics?.syncs.inc({ result: 'failed' });
      const message = `re-arming ${j.rd.metadata.name} failed: ${formatKubeError(error)}`;
      this.log.warn('restore-point sync: arm failed', { key: j.key, error: formatKubeError(error) });
      this.#report(j, 'Warning', 'RestorePointSyncFailed', message);
      return { ...base, action: 'failed', message };
    }
    this.#inFlight.set(j.key, token);
    this.metrics?.arms.inc();
    const message = `re-syncing restore point ${j.rd.metadata.name} to snapshot ${newest.id} from ${newest.time} (${why}); trigger.manual ${token}`;
    this.log.info('restore-point sync: armed', { key: j.key, token, snapshot: newest.id });
    const misrestored = state.kind === 'behind' && state.misrestored === true;
    this.#report(
      j,
      state.kind === 'stuck' || misrestored ? 'Warning' : 'Normal',
      state.kind === 'stuck'
        ? 'RestorePointSyncRestarted'
        : misrestored
          ? 'RestorePointSyncMismatch'
          : 'RestorePointSyncStarted',
      message,
    );
    return { ...base, action: 'armed', token, message };
  }

  /** Age of the snapshot the RD's image holds: known from a completed record, kept while a re-sync runs. */
  #trackAge(j: Judged): void {
    const record = standbyRecordOf(j.rd);
    const misrestored = j.state?.kind === 'behind' && j.state.misrestored === true;
    const complete =
      record && !misrestored && j.rd.status?.lastManualSync === record.token && j.rd.status?.latestImage?.name;
    if (complete) this.#held.set(j.key, Date.parse(record.snapshotTime));
    const held = this.#held.get(j.key);
    const labels = { namespace: j.ref.namespace, pvc: j.ref.pvc };
    if (held === undefined) this.metrics?.age.remove(labels);
    else this.metrics?.age.set(labels, Math.max(0, (this.#now() - held) / 1000));
  }

  #updateStates(judged: Judged[]): void {
    if (!this.metrics) return;
    const counts = new Map<PointState, number>();
    const keys = new Set(judged.map((j) => j.key));
    for (const key of this.#held.keys()) {
      if (!keys.has(key)) {
        this.#held.delete(key);
        const slash = key.indexOf('/');
        this.metrics.age.remove({ namespace: key.slice(0, slash), pvc: key.slice(slash + 1) });
      }
    }
    for (const j of judged) {
      const state: PointState = j.state ? j.state.kind : j.decision.decision === 'fresh' ? 'no-backup' : 'unknown';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    this.metrics.states.reset();
    for (const state of ['current', 'behind', 'syncing', 'stuck', 'no-backup', 'unknown'] as const) {
      this.metrics.states.set({ state }, counts.get(state) ?? 0);
    }
  }

  #report(j: Judged, type: 'Normal' | 'Warning', reason: string, note: string): void {
    const recording = this.#event(j, type, reason, note).finally(() => this.#reporting.delete(recording));
    this.#reporting.add(recording);
  }

  /** An Event on the PVC, or on the RD when the PVC is gone. Never throws. */
  async #event(j: Judged, type: 'Normal' | 'Warning', reason: string, note: string): Promise<void> {
    const events = this.opts.events;
    if (!events) return;
    let pvc: KubeObject | undefined;
    try {
      pvc = this.opts.pvc
        ? await this.opts.pvc(j.ref.namespace, j.ref.pvc)
        : await this.opts.kube.get({
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: j.ref.namespace,
            name: j.ref.pvc,
          });
    } catch {
      pvc = undefined;
    }
    const rd: EventSubject = {
      apiVersion: VOLSYNC_API_VERSION,
      kind: 'ReplicationDestination',
      metadata: {
        name: j.rd.metadata.name,
        namespace: j.ref.namespace,
        ...(j.rd.metadata.uid ? { uid: j.rd.metadata.uid } : {}),
      },
    };
    const subject = pvc && !pvc.metadata.deletionTimestamp ? (pvc as EventSubject) : rd;
    events.record(subject, {
      type,
      reason,
      action: 'RestorePointSync',
      note,
      ...(subject === rd ? {} : { related: rd }),
    });
  }
}

/**
 * The restore decision for a PVC with a persistent destination: the catalog's facts plus the backup-history ledger the
 * destination carries (so "no snapshot" for a PVC that had backups is unknown, never fresh). Shared by the sync and the
 * restore drills.
 */
export async function decisionForDestination(
  catalog: SyncCatalog,
  ref: PvcRef,
  rd: KubeObject,
  nowMs: number,
): Promise<{ facts: PvcFacts; decision: Decision }> {
  const facts = await catalog.lookup(ref);
  const history = parseHistory(rd.metadata.annotations?.[BACKUP_HISTORY_ANNOTATION]);
  const decision = decide({
    facts,
    nowMs,
    staleAfterMs: catalog.staleAfterMs,
    ...(history
      ? {
          expected: {
            hadSnapshots: true,
            ...(history.lastSnapshotId ? { lastSnapshotId: history.lastSnapshotId } : {}),
            ...(history.lastSnapshotTime ? { lastSnapshotTime: history.lastSnapshotTime } : {}),
          },
        }
      : {}),
  });
  return { facts, decision };
}

/** `namespace/pvc` of a persistent RD; undefined for any other RD (per-snapshot, drill, foreign, renamed). */
export function persistentDestinationKey(rd: KubeObject, naming: LifeboatConfig['naming']): string | undefined {
  const labels = rd.metadata.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || labels[RESTORE_POINT_LABEL] !== undefined) return undefined;
  if (labels[DRILL_LABEL] !== undefined) return undefined;
  const pvc = rd.metadata.annotations?.[PVC_NAME_ANNOTATION] ?? labels[PVC_LABEL];
  const namespace = rd.metadata.namespace;
  if (!pvc || !namespace) return undefined;
  if (generatedNames(pvc, naming).replicationDestination !== rd.metadata.name) return undefined;
  return `${namespace}/${pvc}`;
}
