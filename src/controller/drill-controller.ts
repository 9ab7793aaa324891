/**
 * Restore drills, the edge (leader only): every pass reads the drills in flight from the cluster by their label,
 * judges each (decision/drill-verdict.ts), records and cleans up the finished ones, then starts the due ones under the
 * caps (plan/drill.ts). The pass keeps no state of its own: a restarted lifeboat's first pass resumes the drills a
 * killed one left running, and deletes those it left half-created.
 *
 *   due + newest complete snapshot ─► create restore point (pinned), scratch PVC (dataSourceRef), verification Job
 *   VolSync's mover restores ─► the populator fills the scratch PVC ─► the Job scans it read-only ─► termination message
 *   verdict ─► lifeboat.dev/restore-drill (+ restore-proven when passed) on the persistent RD, Event on the PVC,
 *             metrics ─► delete Job, scratch PVC, restore point
 *
 * The drilled PVC is only read (for its size, class and access modes); nothing here writes to it.
 */
import type { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import {
  DRILL_OF_ANNOTATION,
  DRILL_SPEC_ANNOTATION,
  KOPIA_IDENTITY_ANNOTATION,
  RESTORE_DRILL_ANNOTATION,
  RESTORE_PROVEN_ANNOTATION,
  VERIFY_REQUESTED_ANNOTATION,
  VERIFY_SENTINEL_ANNOTATION,
  VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION,
} from '../config/keys.ts';
import { sentinelPathProblem } from '../config/load-verify.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { type DrillVerdict, drillVerdict, type JobState } from '../decision/drill-verdict.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { formatKubeError, isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { MOVERS } from '../mover/index.ts';
import {
  buildDrill,
  DRILL_SELECTOR,
  type DrillCandidate,
  type DrillSpec,
  drillDue,
  formatDrillRecord,
  formatProof,
  parseDrillRecord,
  parseDrillSpec,
  parseProof,
  planDrills,
} from '../plan/drill.ts';
import { VOLSYNC_API_VERSION } from '../plan/objects.ts';
import { chooseSnapshot } from '../plan/restore-point.ts';
import type { Snapshot } from '../repository/types.ts';
import { type DrillMetrics, drillMetrics } from './drill-metrics.ts';
import { repositoryRead } from './restore-evidence.ts';
import { decisionForDestination, PERSISTENT_RD_SELECTOR, persistentDestinationKey } from './restore-point-sync.ts';

/** The field manager of the drill's annotations on the persistent RD: only these keys are the drill's. */
const DRILL_FIELD_MANAGER = 'lifeboat-drill';
/** Failed attempts of VolSync's mover Job after which a drill reports the mover as failed. */
const MOVER_FAILURES = 2;
/** A drill missing one of its three objects this long after its start was interrupted while creating them. */
const INCOMPLETE_GRACE_MS = 60_000;

export interface DrillControllerOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  catalog: Pick<Catalog, 'lookup' | 'reread' | 'staleAfterMs'>;
  /** lifeboat's own image, for the verification Job; without it no drill starts (those in flight still end). */
  image?: string;
  events?: EventRecorder;
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
  /** Between passes while drills run or wait for a cap. Default 10 s. */
  pollMs?: number;
  /** Between passes otherwise. Default 5 min. */
  idleMs?: number;
}

export interface DrillPassOptions {
  /** Only these PVCs (`namespace/pvc`) may start a drill (`lifeboat verify`); drills in flight are judged anyway. */
  only?: ReadonlySet<string>;
  /** Start nothing, only judge and clean up. */
  judgeOnly?: boolean;
}

export interface DrillReport {
  /** `namespace/pvc`. */
  key: string;
  action: 'started' | 'running' | 'held' | 'finished' | 'cleaned' | 'skipped';
  message: string;
  outcome?: string;
  snapshotId?: string;
}

interface Flight {
  id: string;
  spec?: DrillSpec;
  objects: KubeObject[];
  rd?: KubeObject & { status?: Record<string, unknown> };
  claim?: KubeObject & { status?: { phase?: string } };
  job?: KubeObject & { status?: Record<string, unknown> };
  pods: (KubeObject & { status?: Record<string, unknown> })[];
}

type Status = Record<string, unknown> | undefined;

function jobState(flight: Flight): JobState {
  if (!flight.job) return { state: 'absent' };
  for (const pod of flight.pods) {
    const statuses = (pod.status?.containerStatuses ?? []) as {
      state?: { terminated?: { exitCode?: number; message?: string; reason?: string }; running?: unknown };
    }[];
    const terminated = statuses[0]?.state?.terminated;
    if (terminated) {
      return {
        state: 'finished',
        ...(terminated.exitCode !== undefined ? { exitCode: terminated.exitCode } : {}),
        ...(terminated.message ? { message: terminated.message } : {}),
        ...(terminated.reason ? { reason: terminated.reason } : {}),
      };
    }
    if (statuses[0]?.state?.running) return { state: 'running' };
  }
  const conditions = (flight.job.status?.conditions ?? []) as { type?: string; status?: string; reason?: string }[];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { state: 'finished', reason: failed.reason ?? 'Failed' };
  return { state: 'waiting' };
}

function moverStatus(rd: Flight['rd']): { result?: string; logs?: string; requestedIdentity?: string } {
  const status = rd?.status as Status;
  const mover = status?.latestMoverStatus as { result?: string; logs?: string } | undefined;
  const kopia = status?.kopia as { requestedIdentity?: string } | undefined;
  return {
    ...(mover?.result ? { result: mover.result } : {}),
    ...(mover?.logs ? { logs: mover.logs } : {}),
    ...(kopia?.requestedIdentity ? { requestedIdentity: kopia.requestedIdentity } : {}),
  };
}

function refOf(o: KubeObject) {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? '' };
}

export class DrillController {
  readonly opts: DrillControllerOptions;
  readonly log: Logger;
  readonly metrics: DrillMetrics | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<DrillReport[]> | undefined;
  #stopped = false;
  /** Drills this process saw running: a wake-up sooner than the idle interval. */
  #busy = false;
  #poked = false;
  #inPass = false;

  constructor(opts: DrillControllerOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.metrics = opts.registry ? drillMetrics(opts.registry) : undefined;
  }

  #now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(1_000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** A pass soon: a `lifeboat verify` request landed (during a pass: right after it). */
  poke(): void {
    if (this.#stopped) return;
    this.#poked = true;
    if (!this.#inPass) this.#schedule(1_000);
  }

  /** One timer at a time: the next pass replaces any pass planned before. */
  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#inPass = true;
      this.#poked = false;
      void this.runPass()
        .catch((error: unknown) => {
          this.log.warn('restore drill pass failed', { error: formatKubeError(error) });
          this.#busy = true;
        })
        .then(() => {
          this.#inPass = false;
          const next = this.#poked ? 1_000 : this.#busy ? (this.opts.pollMs ?? 10_000) : (this.opts.idleMs ?? 300_000);
          this.#schedule(next);
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** One pass; passes never overlap. */
  async runPass(opts: DrillPassOptions = {}): Promise<DrillReport[]> {
    while (this.#running) await this.#running.catch(() => undefined);
    const run = this.#pass(opts).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return await run;
  }

  async #pass(opts: DrillPassOptions): Promise<DrillReport[]> {
    const reports: DrillReport[] = [];
    const running: { key: string; repository: string }[] = [];
    for (const flight of await this.#flights()) {
      const report = await this.#judge(flight);
      reports.push(report);
      if (report.action === 'running' && flight.spec) {
        running.push({ key: flight.spec.of, repository: flight.spec.repository });
      }
    }
    this.metrics?.running.set(running.length);
    this.#busy = running.length > 0;
    const destinations = await this.opts.kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', {
      labelSelector: PERSISTENT_RD_SELECTOR,
    });
    this.#exportProofs(destinations);
    if (opts.judgeOnly) return reports;
    if (!this.opts.image) {
      if (!opts.only) return reports;
      for (const key of opts.only) {
        reports.push({ key, action: 'skipped', message: 'no drill image: lifeboat runs without LIFEBOAT_IMAGE' });
      }
      return reports;
    }
    const { candidates, targets, skipped } = await this.#candidates(destinations, opts.only);
    reports.push(...skipped);
    const plan = planDrills(candidates, running, this.opts.config.verify);
    for (const held of plan.held) {
      this.#busy = true;
      reports.push({ key: held.key, action: 'held', message: held.why });
    }
    for (const key of plan.start) {
      const target = targets.get(key);
      if (!target) continue;
      reports.push(await this.#start(key, target));
      this.#busy = true;
    }
    return reports;
  }

  /** The drills in the cluster, from their objects' labels. */
  async #flights(): Promise<Flight[]> {
    const { kube } = this.opts;
    const selector = { labelSelector: DRILL_SELECTOR };
    const [rds, claims, jobs, pods] = await Promise.all([
      kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', selector),
      kube.list('v1', 'PersistentVolumeClaim', selector),
      kube.list('batch/v1', 'Job', selector),
      kube.list('v1', 'Pod', selector),
    ]);
    const flights = new Map<string, Flight>();
    const flightOf = (o: KubeObject): Flight | undefined => {
      const id = o.metadata.labels?.['lifeboat.dev/drill'];
      // Already being deleted (a scratch PVC waits for its Pod to go): nothing left to do with it.
      if (!id || o.metadata.deletionTimestamp) return undefined;
      const key = `${o.metadata.namespace}/${id}`;
      let f = flights.get(key);
      if (!f) {
        f = { id, objects: [], pods: [] };
        flights.set(key, f);
      }
      f.spec ??= parseDrillSpec(o.metadata.annotations?.[DRILL_SPEC_ANNOTATION]);
      return f;
    };
    for (const rd of rds) {
      const f = flightOf(rd);
      if (f) {
        f.rd = rd;
        f.objects.push(rd);
      }
    }
    for (const c of claims) {
      const f = flightOf(c);
      if (f) {
        f.claim = c;
        f.objects.push(c);
      }
    }
    for (const j of jobs) {
      const f = flightOf(j);
      if (f) {
        f.job = j;
        f.objects.push(j);
      }
    }
    for (const p of pods) {
      const f = flights.get(`${p.metadata.namespace}/${p.metadata.labels?.['lifeboat.dev/drill']}`);
      f?.pods.push(p);
    }
    return [...flights.values()];
  }

  async #judge(flight: Flight): Promise<DrillReport> {
    const spec = flight.spec;
    const key = spec?.of ?? `${flight.objects[0]?.metadata.namespace}/?`;
    if (!spec) {
      await this.#cleanup(flight);
      return { key, action: 'cleaned', message: `drill ${flight.id} had no readable spec; its objects were deleted` };
    }
    const startedAtMs = Date.parse(spec.startedAt);
    const now = this.#now();
    if ((!flight.rd || !flight.claim || !flight.job) && now - startedAtMs > INCOMPLETE_GRACE_MS) {
      // Created only in part (lifeboat stopped between the creates) or deleted by someone: nothing to judge.
      await this.#cleanup(flight);
      this.metrics?.cleanups.inc();
      return {
        key,
        action: 'cleaned',
        message: `drill ${spec.id} was incomplete (interrupted while it was created); its objects were deleted and it runs again when due`,
      };
    }
    const [namespace = '', pvc = ''] = [
      spec.of.slice(0, spec.of.indexOf('/')),
      spec.of.slice(spec.of.indexOf('/') + 1),
    ];
    const status = moverStatus(flight.rd);
    if (!status.result && flight.rd) Object.assign(status, await this.#moverRetries(flight.rd));
    const job = jobState(flight);
    let readAfter: ReturnType<typeof repositoryRead> | undefined;
    let moverDoneByMs: number | undefined;
    if (status.result === 'Successful' && !MOVERS[spec.mover].reportNamesSnapshot) {
      // This mover's report does not name the snapshot (kopia's): a read after it finished settles it (restore-verdict.ts).
      const synced = Date.parse(String((flight.rd?.status as Status)?.lastSyncTime ?? ''));
      moverDoneByMs = Number.isNaN(synced) ? now : Math.min(now, synced + 1000);
      readAfter = repositoryRead(await this.opts.catalog.reread({ namespace, pvc }, moverDoneByMs), moverDoneByMs);
    }
    const identity = flight.rd?.metadata.annotations?.[KOPIA_IDENTITY_ANNOTATION]?.split(':', 1)[0];
    const verdict = drillVerdict({
      snapshot: {
        id: spec.snapshotId,
        time: spec.snapshotTime,
        ...(spec.fileCount !== undefined ? { fileCount: spec.fileCount } : {}),
        ...(spec.sizeBytes !== undefined ? { sizeBytes: spec.sizeBytes } : {}),
      },
      ...(spec.sentinel ? { sentinel: spec.sentinel } : {}),
      mover: spec.mover,
      restorePoint: status,
      ...(identity ? { expectedIdentity: identity } : {}),
      ...(moverDoneByMs !== undefined ? { moverDoneByMs } : {}),
      ...(readAfter ? { readAfter } : {}),
      job,
      startedAtMs,
      nowMs: now,
      timeoutMs: this.opts.config.verify.timeout,
      waitingFor: this.#waitingFor(flight, status, job),
    });
    if (verdict.outcome === 'pending') {
      return { key, action: 'running', message: verdict.message, snapshotId: spec.snapshotId };
    }
    await this.#record(spec, verdict);
    await this.#cleanup(flight);
    return { key, action: 'finished', outcome: verdict.outcome, message: verdict.message, snapshotId: spec.snapshotId };
  }

  /**
   * VolSync retries a failing mover Job up to 8 times with the Job controller's growing back-off (about 20 minutes)
   * before it reports `Failed`; a drill does not need to wait for that. Two failed mover Pods of the drill's restore
   * point (`volsync-dst-<name>`) count as the mover failing.
   */
  async #moverRetries(rd: KubeObject): Promise<{ result?: string; logs?: string }> {
    const name = `volsync-dst-${rd.metadata.name}`;
    const jobs = (await this.opts.kube.list('batch/v1', 'Job', {
      namespace: rd.metadata.namespace ?? '',
      fieldSelector: `metadata.name=${name}`,
    })) as (KubeObject & { status?: { failed?: number } })[];
    const failed = jobs[0]?.status?.failed ?? 0;
    if (failed < MOVER_FAILURES) return {};
    return {
      result: 'Failed',
      logs:
        `VolSync's mover Job ${name} failed ${failed} times (VolSync keeps retrying it); its Pods' logs say why: ` +
        `kubectl logs -n ${rd.metadata.namespace} job/${name}`,
    };
  }

  #waitingFor(flight: Flight, status: { result?: string }, job: JobState): string {
    if (!status.result) return 'the mover has not restored the snapshot yet (the restore point has no result)';
    if (flight.claim?.status?.phase !== 'Bound') {
      return `the scratch PVC ${flight.claim?.metadata.name} is ${flight.claim?.status?.phase ?? 'Pending'} (the volume populator has not filled it)`;
    }
    return `the verification Job is ${job.state}`;
  }

  /** The last drill on the persistent RD (and the proof when it passed), an Event on the PVC, the metrics. */
  async #record(spec: DrillSpec, verdict: Exclude<DrillVerdict, { outcome: 'pending' }>): Promise<void> {
    const [namespace, pvc] = [spec.of.slice(0, spec.of.indexOf('/')), spec.of.slice(spec.of.indexOf('/') + 1)];
    const now = this.#now();
    const at = new Date(now).toISOString();
    const annotations: Record<string, string> = {
      [RESTORE_DRILL_ANNOTATION]: formatDrillRecord({
        id: spec.id,
        outcome: verdict.outcome,
        at,
        snapshotId: spec.snapshotId,
        message: verdict.message.slice(0, 1000),
      }),
    };
    const rds = await this.opts.kube.list(VOLSYNC_API_VERSION, 'ReplicationDestination', {
      namespace,
      labelSelector: PERSISTENT_RD_SELECTOR,
    });
    const rd = rds.find((d) => persistentDestinationKey(d, this.opts.config.naming) === spec.of);
    if (rd) {
      // The proof stays what it was when a drill fails: it is the last time a restore was shown to work.
      const proof =
        verdict.outcome === 'passed'
          ? formatProof(now, spec.snapshotId)
          : rd.metadata.annotations?.[RESTORE_PROVEN_ANNOTATION];
      if (proof) annotations[RESTORE_PROVEN_ANNOTATION] = proof;
      try {
        await this.opts.kube.apply(
          {
            apiVersion: VOLSYNC_API_VERSION,
            kind: 'ReplicationDestination',
            metadata: { name: rd.metadata.name, namespace, uid: rd.metadata.uid, annotations },
          },
          { force: true, fieldManager: DRILL_FIELD_MANAGER },
        );
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
    }
    this.metrics?.drills.inc({ outcome: verdict.outcome });
    if (verdict.outcome === 'passed') {
      this.metrics?.proven.set({ namespace, pvc }, now / 1000);
      this.metrics?.unproven.remove({ namespace, pvc });
    }
    this.metrics?.failing.set({ namespace, pvc }, verdict.outcome === 'passed' ? 0 : 1);
    const subject: EventSubject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: pvc, namespace },
    };
    const remedy = 'remedy' in verdict && verdict.remedy ? ` ${verdict.remedy}` : '';
    this.opts.events?.record(subject, {
      type: verdict.outcome === 'passed' ? 'Normal' : 'Warning',
      reason: verdict.outcome === 'passed' ? 'RestoreProven' : 'RestoreDrillFailed',
      action: 'RestoreDrill',
      note: `${verdict.outcome}: ${verdict.message}.${remedy}`.slice(0, 1000),
    });
    this.log.info('restore drill finished', { pvc: spec.of, outcome: verdict.outcome, snapshot: spec.snapshotId });
  }

  /** The proof and last outcome of every PVC, from its persistent RD (a new leader exports what the last one did). */
  #exportProofs(rds: KubeObject[]): void {
    const m = this.metrics;
    if (!m) return;
    m.maxAge.set(this.opts.config.verify.maxAge / 1000);
    m.proven.reset();
    m.unproven.reset();
    m.failing.reset();
    for (const rd of rds) {
      const key = persistentDestinationKey(rd, this.opts.config.naming);
      if (!key) continue;
      const slash = key.indexOf('/');
      const labels = { namespace: key.slice(0, slash), pvc: key.slice(slash + 1) };
      const proof = parseProof(rd.metadata.annotations?.[RESTORE_PROVEN_ANNOTATION]);
      if (proof) m.proven.set(labels, proof.atMs / 1000);
      const since = Date.parse(rd.metadata.creationTimestamp ?? '');
      if (!proof && this.opts.config.verify.enabled && Number.isFinite(since)) m.unproven.set(labels, since / 1000);
      const last = parseDrillRecord(rd.metadata.annotations?.[RESTORE_DRILL_ANNOTATION]);
      if (last) m.failing.set(labels, last.outcome === 'passed' ? 0 : 1);
    }
  }

  /** Deletes every object of a drill: Job first (its Pod holds the scratch PVC), then the PVC, then the restore point. */
  async #cleanup(flight: Flight): Promise<void> {
    const order = [flight.job, flight.claim, flight.rd, ...flight.objects].filter(
      (o, i, all): o is KubeObject => o !== undefined && all.indexOf(o) === i,
    );
    for (const o of order) {
      await this.opts.kube.delete(refOf(o), o.metadata.uid ? { uid: o.metadata.uid } : {}).catch((error: unknown) => {
        if (!isNotFound(error) && !isConflict(error)) throw error;
      });
    }
  }

  /** The PVCs whose drill is due and which have a snapshot to drill. */
  async #candidates(
    rds: KubeObject[],
    only: ReadonlySet<string> | undefined,
  ): Promise<{
    candidates: DrillCandidate[];
    targets: Map<string, { rd: KubeObject; snapshot: Snapshot; repository: string }>;
    skipped: DrillReport[];
  }> {
    const { config } = this.opts;
    const candidates: DrillCandidate[] = [];
    const targets = new Map<string, { rd: KubeObject; snapshot: Snapshot; repository: string }>();
    const skipped: DrillReport[] = [];
    const now = this.#now();
    for (const rd of rds) {
      const key = persistentDestinationKey(rd, config.naming);
      if (!key || rd.metadata.deletionTimestamp || (only && !only.has(key))) continue;
      const annotations = rd.metadata.annotations ?? {};
      const last = parseDrillRecord(annotations[RESTORE_DRILL_ANNOTATION]);
      const requested = annotations[VERIFY_REQUESTED_ANNOTATION];
      const slash = key.indexOf('/');
      const ref = { namespace: key.slice(0, slash), pvc: key.slice(slash + 1) };
      const due = drillDue({
        ...ref,
        nowMs: now,
        verify: config.verify,
        ...(last ? { last } : {}),
        ...(requested ? { requested } : {}),
      });
      if (!due.due) continue;
      const { facts, decision } = await decisionForDestination(this.opts.catalog, ref, rd, now);
      const snapshot = decision.decision === 'restore' ? chooseSnapshot(facts.view?.snapshots ?? []) : undefined;
      if (!snapshot) {
        skipped.push({ key, action: 'skipped', message: `nothing to drill: ${decision.message}` });
        continue;
      }
      candidates.push({ key, repository: facts.repository, due });
      targets.set(key, { rd, snapshot, repository: facts.repository });
    }
    return { candidates, targets, skipped };
  }

  async #start(key: string, target: { rd: KubeObject; snapshot: Snapshot; repository: string }): Promise<DrillReport> {
    const { kube, config } = this.opts;
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const pvc = await kube.get<KubeObject & PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace,
      name,
    });
    if (!pvc)
      return {
        key,
        action: 'skipped',
        message: 'the PVC does not exist (its backups stay; nothing to size a drill by)',
      };
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    const privileged = ns?.metadata.annotations?.[VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION] === 'true';
    const annotated = pvc.metadata.annotations?.[VERIFY_SENTINEL_ANNOTATION];
    let sentinel = config.verify.sentinel;
    if (annotated !== undefined) {
      const problem = sentinelPathProblem(annotated);
      if (problem) {
        this.opts.events?.record(pvc as EventSubject, {
          type: 'Warning',
          reason: 'InvalidVerifySentinel',
          action: 'RestoreDrill',
          note: `${VERIFY_SENTINEL_ANNOTATION} ${problem}: write a path relative to the volume root; the drill runs without it`,
        });
      } else sentinel = annotated;
    }
    const drill = buildDrill({
      config,
      pvc,
      namespace,
      snapshot: target.snapshot,
      startedAtMs: this.#now(),
      repository: target.repository,
      image: this.opts.image as string,
      privilegedMovers: privileged,
      ...(sentinel ? { sentinel } : {}),
    });
    try {
      // Created, never applied: a name that is taken fails here instead of changing someone's object.
      await kube.create(drill.destination as unknown as KubeObject);
      await kube.create(drill.claim as unknown as KubeObject);
      await kube.create(drill.job as unknown as KubeObject);
    } catch (error) {
      const flight: Flight = { id: drill.spec.id, objects: [], pods: [] };
      for (const o of [drill.job, drill.claim, drill.destination] as unknown as KubeObject[]) {
        const live = await kube.get(refOf(o));
        // Only what this drill created: its label carries the drill's id.
        if (
          live?.metadata.annotations?.[DRILL_OF_ANNOTATION] === key &&
          live.metadata.labels?.['lifeboat.dev/drill'] === drill.spec.id
        ) {
          flight.objects.push(live);
        }
      }
      await this.#cleanup(flight);
      const why = isAlreadyExists(error) ? 'a name the drill needs is taken' : formatKubeError(error);
      return { key, action: 'skipped', message: `the drill could not be created: ${why}` };
    }
    this.log.info('restore drill started', { pvc: key, snapshot: target.snapshot.id, drill: drill.spec.id });
    this.opts.events?.record(pvc as EventSubject, {
      type: 'Normal',
      reason: 'RestoreDrillStarted',
      action: 'RestoreDrill',
      note: `restoring snapshot ${target.snapshot.id} (${target.snapshot.time}) into the scratch PVC ${drill.names.claim} to prove it restores`,
    });
    return {
      key,
      action: 'started',
      message: `drill ${drill.spec.id} of snapshot ${target.snapshot.id}`,
      snapshotId: target.snapshot.id,
    };
  }
}
