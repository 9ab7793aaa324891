/**
 * Keeps the kopia repository's maintenance (plan/maintenance.ts) true, leader only: one work item, reconciled on
 * every change of lifeboat's maintenance objects or of the source Secret, and every `sweeps.resync`.
 *
 *   KopiaMaintenance / Secret / ExternalSecret (label-selected, lifeboat's namespace) ─► plan ─► apply what drifted
 *     ─► delete what is no longer wanted (uid precondition) ─► Events, metrics, status
 *
 * The KopiaMaintenance's status is written by the fork's controller; every status change comes through the watch
 * and refreshes the metrics, so the alerts see a failing or overdue maintenance without lifeboat polling anything.
 */
import type { Registry } from 'prom-client';
import type { LifeboatConfig } from '../config/types.ts';
import { describeKubeError, type KubeClient, type KubeObject } from '../kube/client.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { InformerCache } from '../kube/informers.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import type { Reflector } from '../kube/reflector.ts';
import { WorkQueue } from '../kube/workqueue.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';
import type { SourceSecretFact } from '../plan/credentials.ts';
import { MAINTENANCE_NAME, type MaintenancePlan, planMaintenance } from '../plan/maintenance.ts';
import { EXTERNAL_SECRETS_API_VERSION, VOLSYNC_API_VERSION } from '../plan/objects.ts';
import { type LiveKopiaMaintenance, type MaintenanceStatus, maintenanceStatus } from '../status/maintenance.ts';
import { applyDrifted } from './converge.ts';
import { MaintenanceMetrics } from './maintenance-metrics.ts';
import { controllerMetrics } from './metrics.ts';
import { maintenanceInformer } from './watched.ts';

export interface MaintenanceControllerOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  capabilities: ClusterCapabilities;
  /** The copy-mode source Secret as the shared cache holds it (`not-read` in external-secret mode). */
  sourceSecret: () => SourceSecretFact;
  events?: EventRecorder;
  registry: Registry;
  logger?: Logger;
  now?: () => number;
  /** The process's shared cache; default a cache of its own, started and stopped with the controller. */
  informers?: InformerCache;
}

export interface MaintenanceReport {
  plan: MaintenancePlan['state'];
  /** A conflict (a foreign object holds the name) is reported here, the plan's message otherwise. */
  conflict?: string;
  status: MaintenanceStatus;
}

const CONTROLLER = 'maintenance';
const KEY = 'repository';

export class MaintenanceController {
  readonly opts: MaintenanceControllerOptions;
  readonly log: Logger;
  readonly queue: WorkQueue;
  readonly reflectors: Reflector[];
  readonly metrics: MaintenanceMetrics;
  readonly #controllerMetrics;
  #report: MaintenanceReport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #ownCache: InformerCache | undefined;
  readonly #unsubscribe: (() => void)[];

  constructor(opts: MaintenanceControllerOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.metrics = new MaintenanceMetrics(opts.registry);
    this.#controllerMetrics = controllerMetrics(opts.registry);
    this.queue = new WorkQueue({ name: CONTROLLER, concurrency: 1, registry: opts.registry, logger: this.log });
    const kinds: [string, string][] = [['v1', 'Secret']];
    // Without the CRD there is nothing to watch (and nothing lifeboat could have created).
    if (opts.capabilities.kopiaMaintenance) kinds.push([VOLSYNC_API_VERSION, 'KopiaMaintenance']);
    if (opts.config.credentials.mode === 'external-secret' && opts.capabilities.externalSecrets) {
      kinds.push([EXTERNAL_SECRETS_API_VERSION, 'ExternalSecret']);
    }
    this.#ownCache = opts.informers ? undefined : new InformerCache(opts.kube, { logger: this.log });
    const cache = opts.informers ?? (this.#ownCache as InformerCache);
    this.reflectors = kinds.map(([apiVersion, kind]) =>
      cache.informer(maintenanceInformer(opts.config, apiVersion, kind)),
    );
    this.#unsubscribe = this.reflectors.map((r) => r.on(() => this.poke()));
  }

  /** Something the plan reads changed (e.g. the source Secret): reconcile soon. */
  poke(): void {
    this.queue.add(KEY);
  }

  /** The last reconcile's outcome (for `/audit` and tests); undefined before the first. */
  get report(): MaintenanceReport | undefined {
    return this.#report;
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.#ownCache?.start();
    await Promise.all(this.reflectors.map((r) => r.waitForSync({ signal })));
    if (this.#stopped) return;
    this.queue.start(() => this.reconcile());
    this.poke();
    this.#timer = setInterval(() => this.poke(), this.opts.config.sweeps.resync);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.queue.shutdown();
    await this.#ownCache?.stop();
  }

  #observed(): KubeObject[] {
    return this.reflectors.flatMap((r) => r.list());
  }

  #live(kind: string, name: string): KubeObject | undefined {
    return this.#observed().find((o) => o.kind === kind && o.metadata.name === name);
  }

  async reconcile(): Promise<undefined> {
    const started = performance.now();
    try {
      await this.#reconcile();
      this.#controllerMetrics.reconciles.inc({ controller: CONTROLLER, result: 'success' });
      return undefined;
    } catch (error) {
      this.#controllerMetrics.reconciles.inc({ controller: CONTROLLER, result: 'error' });
      this.#controllerMetrics.reconcileErrors.inc({ controller: CONTROLLER });
      this.log.warn('maintenance reconcile failed', { error: describeKubeError(error).message });
      throw error;
    } finally {
      this.#controllerMetrics.reconcileTime.observe({ controller: CONTROLLER }, (performance.now() - started) / 1000);
    }
  }

  async #reconcile(): Promise<void> {
    const { kube, config, capabilities } = this.opts;
    const plan = planMaintenance({
      config,
      cluster: capabilities,
      sourceSecret: this.opts.sourceSecret(),
      observed: this.#observed(),
    });
    const namespace = config.namespace;
    const desired = plan.apply.map((obj) => ({ obj, namespace, live: this.#live(obj.kind, obj.metadata.name) }));
    const conflict = await applyDrifted(kube, desired, ({ obj, reason, diff }) => {
      this.#controllerMetrics.applies.inc({ kind: obj.kind, reason: reason.toLowerCase() });
      const note =
        reason === 'Created'
          ? `created ${obj.kind} ${obj.metadata.name} for the kopia repository's maintenance`
          : `repaired ${obj.kind} ${obj.metadata.name}: ${diff} had drifted from the configuration`;
      this.#event(obj as EventSubject, 'Normal', `${obj.kind}${reason}`, note);
    });
    for (const ref of plan.delete) {
      const live = this.#live(ref.kind, ref.name);
      if (!live) continue;
      const deleted = await kube.delete(ref, { uid: live.metadata.uid });
      if (!deleted) continue;
      this.#controllerMetrics.cleanups.inc({ kind: ref.kind, result: 'deleted' });
      this.#event(live, 'Normal', `${ref.kind}Deleted`, `deleted ${ref.kind} ${ref.name}: ${plan.message}`);
    }
    const liveKm = this.#live('KopiaMaintenance', MAINTENANCE_NAME) as (KubeObject & LiveKopiaMaintenance) | undefined;
    // The KopiaMaintenance lifeboat keeps; after a cleanup none is reported (the cache may still hold it a moment).
    const reported = plan.state === 'maintained' ? liveKm : undefined;
    const status = maintenanceStatus(plan, reported, this.#now());
    const previous = this.#report;
    this.#report = { plan: plan.state, status, ...(conflict ? { conflict } : {}) };
    this.metrics.update(plan.state, reported, status);
    if (conflict && previous?.conflict !== conflict) this.log.warn('repository maintenance', { conflict });
    else if (previous?.status.result !== status.result) {
      this.log.info('repository maintenance', { result: status.result, message: status.message });
    }
  }

  #now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  #event(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.opts.events?.record(subject, { type, reason, action: 'Reconcile', note });
  }
}
