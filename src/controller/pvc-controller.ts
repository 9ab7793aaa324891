/**
 * The intent controller: for every PVC, the objects its label asks for (credentials Secret or ExternalSecret,
 * ReplicationSource, ReplicationDestination), kept true by server-side apply, and the cleanup lifecycle
 * of the compatibility contract (docs/design.md#compatibility-kept-on-purpose).
 *
 *   PVC / Namespace / child / source-Secret events ─► work queue (ns/pvc) ─► reconcile:
 *     classify (intent) ─► plan (pure) ─► apply what drifted ─► delete through the mass-deletion guard ─► Events
 *
 * Only the leader runs it (see operator.ts). Reads come from the process's shared informer cache; the API server sees writes only when
 * desired and actual differ (docs/design.md#api-server-overload). lifeboat refuses to take over an object of the same
 * name that it does not own: metadata-only watches of other tools' objects of the generated kinds tell which names
 * are free (foreign-names.ts); a name they cannot vouch for is read with one GET before it is created.
 */
import type { Registry } from 'prom-client';
import { BREAK_GLASS_LABEL } from '../admission/keys.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { BACKUP_HISTORY_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import { describeKubeError, type KubeClient, type KubeObject } from '../kube/client.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { InformerCache } from '../kube/informers.ts';
import { StringInterner } from '../kube/intern.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { changedBeyondStatus } from '../kube/predicates.ts';
import type { Reflector } from '../kube/reflector.ts';
import { splitKey } from '../kube/store.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';
import { type SourceSecretFact, sourceSecretFactFrom } from '../plan/credentials.ts';
import { type BackupHistory, mergeHistory, parseHistory } from '../plan/history.ts';
import { generatedNames } from '../plan/names.ts';
import type { GeneratedObject, ObjectRef } from '../plan/objects.ts';
import { isRestorePoint, planPvcDeleted } from '../plan/observed.ts';
import { planPvc } from '../plan/plan.ts';
import { requestedRestorePoint } from '../plan/restore-point.ts';
import type { Verdict } from '../plan/verdict.ts';
import { schedulePeriodMs } from '../status/schedule-period.ts';
import { ChildIndex, parentKey } from './children.ts';
import { applyDrifted } from './converge.ts';
import { ForeignNames } from './foreign-names.ts';
import { type GuardAnswer, MassDeletionGuard, removesRestoreCapability } from './guard.ts';
import { confirmCommand, GuardStore } from './guard-store.ts';
import { type ControllerMetrics, controllerMetrics } from './metrics.ts';
import { type EvidenceOutcome, RestoreEvidence, type RestorePointObject } from './restore-evidence.ts';
import { childInformers, foreignInformers, namespaceInformer, pvcInformer, secretInformer } from './watched.ts';

export interface PvcControllerOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  capabilities: ClusterCapabilities;
  events: EventRecorder;
  registry: Registry;
  logger?: Logger;
  /** Parallel reconciles; default 4. */
  concurrency?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /**
   * The repository catalog, when lifeboat reads the repository: authoritative reads that find snapshots grow each
   * PVC's backup-history ledger on its persistent ReplicationDestination (the soft-no guard of admission).
   */
  catalog?: Catalog;
  /** The process's shared cache; default a cache of its own, started and stopped with the controller. */
  informers?: InformerCache;
}

/** What the controller last concluded for one PVC (for `lifeboat status`, `/audit` and metrics). */
export interface PvcReport {
  key: string;
  verdict: Verdict['kind'] | 'conflict' | 'deleted';
  reason: string;
  message: string;
  at: number;
  /** A database operator's claim that is backed up as a file-level copy because its label asks for it. */
  databaseFileCopy?: boolean;
}

const CONTROLLER = 'pvc';
const ALLOWED: GuardAnswer = { allowed: true };

export class PvcController {
  readonly opts: PvcControllerOptions;
  readonly log: Logger;
  readonly metrics: ControllerMetrics;
  readonly queue: WorkQueue;
  readonly pvcs: Reflector;
  readonly namespaces: Reflector;
  readonly children: Reflector[];
  /** Which names of the generated kinds other tools' objects hold (metadata-only watches). */
  readonly #foreignNames: ForeignNames;
  readonly sourceSecret: Reflector | undefined;
  readonly index = new ChildIndex();
  readonly guard: MassDeletionGuard;
  readonly guardStore: GuardStore;
  readonly reports = new Map<string, PvcReport>();
  /** Verdict messages repeat across PVCs (the same tier and schedule): one copy each for thousands of reports. */
  readonly #messages = new StringInterner(4096);
  /** Reports by verdict (unlabelled and excluded PVCs not counted) and database file copies, for the gauges. */
  readonly #verdictCounts = new Map<PvcReport['verdict'], number>();
  #fileCopies = 0;
  readonly evidence: RestoreEvidence;
  #sweepTimer: NodeJS.Timeout | undefined;
  #guardTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The cache this controller started and stops itself (none when it reads the process's shared cache). */
  readonly #ownCache: InformerCache | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #lastBackupTier = new Map<string, string>();

  constructor(opts: PvcControllerOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.metrics = controllerMetrics(opts.registry);
    const { kube, config } = opts;
    this.queue = new WorkQueue({
      name: CONTROLLER,
      concurrency: opts.concurrency ?? 4,
      registry: opts.registry,
      logger: this.log,
    });
    this.#ownCache = opts.informers ? undefined : new InformerCache(kube, { logger: this.log });
    const cache = opts.informers ?? (this.#ownCache as InformerCache);
    this.pvcs = cache.informer(pvcInformer(config));
    this.namespaces = cache.informer(namespaceInformer);
    this.children = childInformers(config, opts.capabilities.externalSecrets).map((spec) => cache.informer(spec));
    const foreign = foreignInformers(config, opts.capabilities.externalSecrets).map(
      (spec) => [spec.kind, cache.informer(spec)] as const,
    );
    this.#foreignNames = new ForeignNames(new Map(foreign), { now: () => this.#now() });
    if (config.credentials.mode === 'copy')
      this.sourceSecret = cache.informer(secretInformer(config.credentials.secretRef));
    this.evidence = new RestoreEvidence({
      kube,
      events: opts.events,
      metrics: this.metrics,
      ...(opts.catalog ? { catalog: opts.catalog } : {}),
      now: () => this.#now(),
    });
    this.guard = new MassDeletionGuard(config.massDeletionGuard.threshold, config.massDeletionGuard.window);
    this.guardStore = new GuardStore(kube, config.namespace);
    for (const [tier, t] of Object.entries(config.tiers)) {
      const period = 'schedule' in t.trigger ? schedulePeriodMs(t.trigger.schedule) : undefined;
      if (period !== undefined) this.metrics.tierInterval.set({ tier }, period / 1000);
    }
    this.#wire();
  }

  #now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  #wire(): void {
    const on = <T extends KubeObject>(reflector: Reflector<T>, handler: Parameters<Reflector<T>['on']>[0]) => {
      this.#unsubscribe.push(reflector.on(handler));
    };
    on(this.pvcs, (e) => this.queue.add(e.key));
    on(this.namespaces, (e) => {
      this.#updateBreakGlass();
      // An opt-in annotation changed: every PVC of that namespace may change verdict.
      if (
        e.type === 'update' &&
        JSON.stringify(e.old?.metadata.annotations) === JSON.stringify(e.object.metadata.annotations)
      ) {
        return;
      }
      const prefix = `${e.object.metadata.name}/`;
      for (const key of this.pvcs.keys()) if (key.startsWith(prefix)) this.queue.add(key);
    });
    for (const reflector of this.children) {
      on(reflector, (e) => {
        const { kind, metadata } = e.object;
        if (e.type === 'delete') {
          this.index.remove(e.object);
          this.#foreignNames.departed(kind, metadata.namespace ?? '', metadata.name);
        } else {
          this.index.upsert(e.object);
          this.#foreignNames.arrived(kind, metadata.namespace ?? '', metadata.name);
        }
        // A restore point's status is its mover's report: the restore evidence must see it as soon as it lands.
        if (e.type === 'update' && e.old && !changedBeyondStatus(e.old, e.object) && !isRestorePoint(e.object)) {
          return;
        }
        const parent = parentKey(e.object);
        if (parent) this.queue.add(parent);
      });
    }
    // A refresh may have found new snapshots: the ledgers of PVCs with backups grow (a no-op write-wise otherwise).
    this.opts.catalog?.addListener({
      refreshed: () => {
        if (this.#stopped) return;
        for (const ref of this.opts.catalog?.pvcs() ?? []) {
          const key = `${ref.namespace}/${ref.pvc}`;
          if (this.pvcs.get(key)) this.queue.add(key);
        }
      },
    });
    // Rotated credentials must reach every PVC's Secret.
    if (this.sourceSecret) {
      on(this.sourceSecret, () => {
        for (const key of this.pvcs.keys()) this.queue.add(key);
      });
    }
  }

  /** Waits for its caches (starting them when they are its own), then reconciles; resolves once running. */
  async start(signal?: AbortSignal): Promise<void> {
    const reflectors = [
      this.pvcs,
      this.namespaces,
      ...this.children,
      ...(this.sourceSecret ? [this.sourceSecret] : []),
    ];
    this.#ownCache?.start();
    // Reconciling before every cache is complete would plan from a partial view (e.g. delete a "missing" child). The
    // foreign watches are not waited for: until they are current, names are read before they are created.
    await Promise.all(reflectors.map((r) => r.waitForSync({ signal })));
    const persisted = await this.guardStore.load().catch(() => undefined);
    if (persisted && !persisted.confirmed) this.guard.restore(persisted.state);
    this.#updateGuardMetrics();
    this.queue.start((key) => this.reconcile(key));
    this.#sweepTimer = setInterval(() => this.sweep(), this.opts.config.sweeps.cleanup);
    this.#sweepTimer.unref();
    this.log.info('pvc controller started', { pvcs: this.pvcs.size, children: this.index.parents().length });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweepTimer);
    clearInterval(this.#guardTimer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.queue.shutdown();
    await this.#ownCache?.stop();
  }

  /**
   * The periodic sweep (default every 15 min, the cadence of the cleanup job lifeboat replaces): every PVC and every
   * parent of a generated object,
   * so objects orphaned while lifeboat was down are cleaned up even without an event.
   */
  sweep(): void {
    for (const key of this.pvcs.keys()) this.queue.add(key);
    for (const key of this.index.parents()) this.queue.add(key);
  }

  /** The copy-mode source Secret as cached (`not-read` in external-secret mode). */
  sourceSecretFact(): SourceSecretFact {
    return sourceSecretFactFrom(this.sourceSecret?.list());
  }

  /** One PVC: plan from the caches, then converge. Returns when to look again (waiting for min age). */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const started = performance.now();
    try {
      const result = await this.#reconcile(key);
      this.metrics.reconciles.inc({
        controller: CONTROLLER,
        result: result?.requeueAfterMs ? 'requeue_after' : 'success',
      });
      return result;
    } catch (error) {
      this.metrics.reconciles.inc({ controller: CONTROLLER, result: 'error' });
      this.metrics.reconcileErrors.inc({ controller: CONTROLLER });
      this.log.warn('reconcile failed', { key, error: describeKubeError(error).message });
      throw error;
    } finally {
      this.metrics.reconcileTime.observe({ controller: CONTROLLER }, (performance.now() - started) / 1000);
    }
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const { namespace = '', name } = splitKey(key);
    const pvc = this.pvcs.get(key) as (KubeObject & PersistentVolumeClaim) | undefined;
    const observed = this.index.of(key);

    if (!pvc || pvc.metadata.deletionTimestamp) {
      // The lifecycle users already rely on: a deleted PVC loses its backup schedule; its restore point and
      // credentials stay, so
      // the PVC can be restored when the app comes back.
      await this.#delete(key, undefined, planPvcDeleted(namespace, name, observed));
      if (!pvc) this.#report(key, { kind: 'deleted', reason: 'PvcDeleted', message: 'PVC deleted: backups stopped' });
      this.evidence.forget(key);
      return undefined;
    }

    const ns = this.namespaces.get(namespace) as (KubeObject & Namespace) | undefined;
    const intent = classifyPvc(pvc, ns, this.opts.config);
    const history = intent.intent.kind === 'protected' ? this.#history(key, namespace, name) : undefined;
    this.#recordLastBackup(namespace, name, intent.intent.kind === 'protected' ? intent.intent.tier : undefined);
    const evidence = intent.intent.kind === 'protected' ? await this.#restoreEvidence(key, namespace, pvc) : {};
    const plan = planPvc({
      pvc: { ...pvc, metadata: { ...pvc.metadata, namespace } },
      intent,
      config: this.opts.config,
      facts: {
        now: this.#now(),
        cluster: this.opts.capabilities,
        sourceSecret: this.sourceSecretFact(),
        observed,
        ...(history ? { history } : {}),
        ...(evidence.withhold !== undefined ? { withholdRestorePoint: evidence.withhold } : {}),
      },
    });

    const conflict = await this.#apply(key, pvc, plan.apply);
    await this.#delete(key, pvc, plan.delete);
    for (const w of plan.warnings) this.#event(pvc, w.type, w.reason, w.message);

    if (conflict) {
      this.#report(key, { kind: 'conflict', reason: 'NameConflict', message: conflict }, pvc, 'Warning');
      return undefined;
    }
    const v = plan.verdict;
    // Unlabelled and system PVCs are the cluster's majority, and so are databases' claims left to their operators: no
    // Event unless something was cleaned up.
    const quiet = v.kind === 'unlabelled' || v.kind === 'excluded' || v.kind === 'database';
    const databaseFileCopy = intent.database !== undefined && (v.kind === 'protected' || v.kind === 'waiting');
    this.#report(
      key,
      { kind: v.kind, reason: v.event.reason, message: v.event.message, databaseFileCopy },
      quiet ? undefined : pvc,
      v.event.type,
    );
    const requeueAfterMs = Math.min(
      v.kind === 'waiting' ? (v.requeueAfterMs ?? Infinity) : Infinity,
      evidence.requeueAfterMs ?? Infinity,
    );
    return Number.isFinite(requeueAfterMs) ? { requeueAfterMs } : undefined;
  }

  /**
   * Restore evidence for a PVC admission pointed at a restore point (restore-evidence.ts): before the restore point
   * is created, and once its mover reported — always before the plan deletes it, since it holds the report.
   */
  async #restoreEvidence(
    key: string,
    namespace: string,
    pvc: KubeObject & PersistentVolumeClaim,
  ): Promise<EvidenceOutcome> {
    const point = requestedRestorePoint(pvc, this.opts.config.naming);
    if (!point) return {};
    const rd = this.index.get(key, 'ReplicationDestination', namespace, point.name) as RestorePointObject | undefined;
    const outcome = await this.evidence.check(key, { ...pvc, metadata: { ...pvc.metadata, namespace } }, point, rd);
    // The evidence deleted the restore point itself (outside the mass-deletion guard, which judges only cleanups that
    // take a restore capability away, and a stopped restore's point is not one): the plan must not delete it again.
    if (outcome.deleted && rd) this.index.remove(rd);
    return outcome;
  }

  /**
   * The PVC's ledger: what its persistent destination records, grown by the catalog's latest read when that read is
   * authoritative (succeeded, not stale, of the recorded repository). Never shrinks (history.ts).
   */
  #history(key: string, namespace: string, name: string): BackupHistory | undefined {
    const rdName = generatedNames(name, this.opts.config.naming).replicationDestination;
    const live = this.index.get(key, 'ReplicationDestination', namespace, rdName);
    const recorded = parseHistory(live?.metadata.annotations?.[BACKUP_HISTORY_ANNOTATION]);
    const facts = this.opts.catalog?.facts({ namespace, pvc: name });
    const view = facts?.view;
    const now = this.#now();
    if (!view || facts?.lastFailure || now - view.observedAtMs > this.opts.config.catalog.staleAfter) return recorded;
    // Another repository than the recorded one (repository-changed) must not write its snapshots into this history.
    if (facts.expectedRepository && view.repositoryId !== facts.expectedRepository.id) return recorded;
    return mergeHistory(
      recorded,
      view.snapshots.filter((s) => !s.incomplete),
      now,
    );
  }

  /** Applies what drifted; returns a conflict message when an object's name is taken by something not lifeboat's. */
  async #apply(key: string, pvc: KubeObject, desired: GeneratedObject[]): Promise<string | undefined> {
    const items = desired.map((obj) => {
      const namespace = obj.metadata.namespace ?? pvc.metadata.namespace ?? '';
      const live = this.index.get(key, obj.kind, namespace, obj.metadata.name);
      return { obj, namespace, live, free: !live && this.#foreignNames.free(obj.kind, namespace, obj.metadata.name) };
    });
    return await applyDrifted(this.opts.kube, items, ({ obj, namespace, reason, diff }) => {
      // Unsettled until lifeboat's own watch shows it, unless that watch was faster than the apply's answer.
      if (!this.index.get(key, obj.kind, namespace, obj.metadata.name)) {
        this.#foreignNames.written(obj.kind, namespace, obj.metadata.name);
      }
      this.metrics.applies.inc({ kind: obj.kind, reason: reason.toLowerCase() });
      this.#event(
        pvc,
        'Normal',
        `${obj.kind}${reason}`,
        reason === 'Created'
          ? `created ${obj.kind} ${obj.metadata.name}`
          : `repaired ${obj.kind} ${obj.metadata.name}: ${diff} had drifted from what the label asks for`,
      );
    });
  }

  async #delete(key: string, pvc: KubeObject | undefined, refs: ObjectRef[]): Promise<void> {
    for (const ref of refs) {
      const live = this.index.get(key, ref.kind, ref.namespace ?? '', ref.name);
      if (!live) continue;
      // Routine cleanups (a source, a restore point after its restore) go at once; the guard judges only those
      // that take the PVC's restore point or credentials away, PVC by PVC.
      const id = `${ref.kind}/${ref.namespace}/${ref.name}`;
      const answer = removesRestoreCapability(live) ? this.guard.request(key, id, this.#now()) : ALLOWED;
      if (!answer.allowed) {
        await this.#guardTripped();
        this.metrics.cleanups.inc({ kind: ref.kind, result: 'held' });
        const command = confirmCommand(this.opts.config.namespace, this.guard.state().trippedAt ?? 0);
        if (pvc) this.#event(pvc, 'Warning', 'CleanupHeld', `${answer.reason} To confirm: ${command}`);
        continue;
      }
      const deleted = await this.opts.kube.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace },
        { uid: live.metadata.uid },
      );
      if (deleted) {
        this.metrics.cleanups.inc({ kind: ref.kind, result: 'deleted' });
        const subject = pvc ?? (live as EventSubject);
        this.#event(
          subject,
          'Normal',
          `${ref.kind}Deleted`,
          `deleted ${ref.kind} ${ref.name} (repository data is kept)`,
        );
      }
    }
  }

  /** Persists a fresh trip and starts watching for the operator's confirmation. */
  async #guardTripped(): Promise<void> {
    this.#updateGuardMetrics();
    await this.guardStore.save(this.guard.state()).catch((error) => {
      this.log.error('could not record the mass-deletion guard trip', { error: describeKubeError(error).message });
    });
    if (this.#guardTimer) return;
    this.log.warn('mass-deletion guard tripped: cleanups held until confirmed', {
      confirm: confirmCommand(this.opts.config.namespace, this.guard.state().trippedAt ?? 0),
    });
    this.#guardTimer = setInterval(() => void this.checkGuardConfirmation(), 5_000);
    this.#guardTimer.unref();
  }

  /** Releases held cleanups once the operator confirmed the trip (also called by tests and the sweep). */
  async checkGuardConfirmation(): Promise<boolean> {
    if (!this.guard.tripped || this.#stopped) return false;
    const persisted = await this.guardStore.load().catch(() => undefined);
    if (!persisted?.confirmed) return false;
    const held = this.guard.confirm();
    clearInterval(this.#guardTimer);
    this.#guardTimer = undefined;
    await this.guardStore.save(this.guard.state());
    this.#updateGuardMetrics();
    this.log.info('mass-deletion guard confirmed: releasing held cleanups', { held: held.length });
    this.sweep();
    return true;
  }

  /**
   * `lifeboat_pvc_last_backup_timestamp_seconds` from the catalog's newest complete snapshot, for the "backup
   * missed" alert; the series goes away when the PVC is no longer protected.
   */
  #recordLastBackup(namespace: string, pvc: string, tier: string | undefined): void {
    const previous = this.#lastBackupTier.get(`${namespace}/${pvc}`);
    if (previous !== undefined && previous !== tier) {
      this.metrics.lastBackup.remove({ namespace, pvc, tier: previous });
      this.#lastBackupTier.delete(`${namespace}/${pvc}`);
    }
    if (tier === undefined) return;
    const newest = this.opts.catalog?.facts({ namespace, pvc }).view?.snapshots.find((s) => !s.incomplete);
    if (!newest) return;
    this.metrics.lastBackup.set({ namespace, pvc, tier }, newest.timeMs / 1000);
    this.#lastBackupTier.set(`${namespace}/${pvc}`, tier);
  }

  /** Break-glass is visible even though a break-glass namespace never reaches the webhook. */
  #updateBreakGlass(): void {
    const labelled = this.namespaces.list().filter((n) => n.metadata.labels?.[BREAK_GLASS_LABEL] === 'true').length;
    this.metrics.breakGlass.set({ scope: 'namespace' }, labelled);
    this.metrics.breakGlass.set({ scope: 'global' }, this.opts.config.admission.breakGlass ? 1 : 0);
  }

  #updateGuardMetrics(): void {
    this.metrics.guardTripped.set(this.guard.tripped ? 1 : 0);
    this.metrics.guardHeld.set(this.guard.state().held.length);
  }

  #event(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.opts.events.record(subject, { type, reason, action: 'Reconcile', note });
  }

  /** Records the verdict; emits its Event only when it changed, so resyncs do not repeat it. */
  #report(
    key: string,
    verdict: { kind: PvcReport['verdict']; reason: string; message: string; databaseFileCopy?: boolean },
    subject?: EventSubject,
    type: 'Normal' | 'Warning' = 'Normal',
  ): void {
    const previous = this.reports.get(key);
    const report: PvcReport = {
      key,
      verdict: verdict.kind,
      reason: verdict.reason,
      message: this.#messages.intern(verdict.message),
      at: this.#now(),
      ...(verdict.databaseFileCopy ? { databaseFileCopy: true } : {}),
    };
    if (verdict.kind === 'deleted') this.reports.delete(key);
    else this.reports.set(key, report);
    if (subject && (previous?.reason !== report.reason || previous.message !== report.message)) {
      this.#event(subject, type, report.reason, report.message);
    }
    this.#countVerdict(previous, -1);
    if (verdict.kind !== 'deleted') this.#countVerdict(report, 1);
    this.#updateVerdictMetrics();
  }

  /**
   * Keeps the verdict counts as reports change, so each report costs the same however many PVCs there are (counting
   * every report again made a cold start of 5,000 PVCs quadratic).
   */
  #countVerdict(report: PvcReport | undefined, delta: 1 | -1): void {
    if (!report) return;
    if (report.databaseFileCopy) this.#fileCopies += delta;
    if (report.verdict === 'unlabelled' || report.verdict === 'excluded') return;
    const n = (this.#verdictCounts.get(report.verdict) ?? 0) + delta;
    if (n === 0) this.#verdictCounts.delete(report.verdict);
    else this.#verdictCounts.set(report.verdict, n);
  }

  #updateVerdictMetrics(): void {
    this.metrics.databaseFileCopies.set(this.#fileCopies);
    this.metrics.verdicts.reset();
    for (const [verdict, n] of this.#verdictCounts) this.metrics.verdicts.set({ verdict }, n);
    this.metrics.conflicts.set(this.#verdictCounts.get('conflict') ?? 0);
  }
}
