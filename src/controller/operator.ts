/**
 * The operator process's controller half: detects what the cluster runs, refuses a configuration it cannot run, and
 * runs the leader-only components (PVC controller, restore-point sync, repository maintenance) under the manager only
 * while this replica holds the leader Lease (every replica may serve admission and the catalog; exactly one writes).
 * They read the manager's shared cache: the restore-point sync and `/audit` see the PVC controller's informers, not
 * copies of their own.
 */
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import { VERIFY_REQUESTED_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { InformerCache } from '../kube/informers.ts';
import { type LeaderElectionEnd, LeaderElector } from '../kube/leader.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { Manager, type Runnable } from '../manager/manager.ts';
import { type ClusterCapabilities, capabilityProblems } from '../plan/capability.ts';
import { sourceSecretFactFrom } from '../plan/credentials.ts';
import { ledgerFromCaches } from '../status/from-caches.ts';
import type { Ledger } from '../status/types.ts';
import { detectCapabilities } from './capabilities.ts';
import { DrillController } from './drill-controller.ts';
import { MaintenanceController } from './maintenance-controller.ts';
import { PvcController } from './pvc-controller.ts';
import { RestorePointSync } from './restore-point-sync.ts';
import { destinationInformer, pvcInformer, secretInformer } from './watched.ts';

export const LEASE_NAME = 'lifeboat-controller';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export interface OperatorOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  /** This replica's identity in the Lease (pod name plus a random suffix). */
  identity: string;
  registry: Registry;
  logger?: Logger;
  /** Lease timings; defaults are client-go's (15 s / 10 s / 2 s). */
  lease?: { durationSeconds?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** Injectable clock for the controller (tests). */
  now?: () => number;
  /** The repository catalog (grows the backup-history ledgers); optional for a controller-only run. */
  catalog?: Catalog;
  /**
   * The process's manager (shared cache, component order, bounded stop); the Operator adds its leader-only components
   * to it. Default: a manager of its own, started by `run()` and stopped by `stop()`.
   */
  manager?: Manager;
  /**
   * How soon the restore-point sync's first pass runs (at a random point within it), and how often it looks again
   * while syncs are in flight. Default 1 minute; tests shorten it.
   */
  syncPollMs?: number;
  /** lifeboat's own image (`LIFEBOAT_IMAGE`), for the restore drills' verification Jobs; no drill starts without it. */
  drillImage?: string;
  /** Between drill passes while drills run. Default 10 s; tests shorten it. */
  drillPollMs?: number;
}

export class Operator {
  readonly opts: OperatorOptions;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly manager: Manager;
  readonly #ownsManager: boolean;
  #elector: LeaderElector | undefined;
  #controller: PvcController | undefined;
  #sync: RestorePointSync | undefined;
  #maintenance: MaintenanceController | undefined;
  #drills: DrillController | undefined;
  #unsubscribeDrills: (() => void) | undefined;
  #capabilities: ClusterCapabilities | undefined;
  readonly #leader: Gauge;

  constructor(opts: OperatorOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.events = new EventRecorder(opts.kube, {
      reportingInstance: opts.identity,
      registry: opts.registry,
      logger: this.log,
    });
    this.#leader =
      (opts.registry.getSingleMetric('lifeboat_leader') as Gauge | undefined) ??
      new Gauge({
        name: 'lifeboat_leader',
        help: '1 while this replica holds the controller Lease and reconciles',
        registers: [opts.registry],
      });
    this.#ownsManager = !opts.manager;
    this.manager =
      opts.manager ?? new Manager({ cache: new InformerCache(opts.kube, { logger: this.log }), logger: this.log });
    this.manager.add(...this.#leaderComponents());
  }

  /** The running controller while this replica leads (for status and tests). */
  get controller(): PvcController | undefined {
    return this.#controller;
  }

  isLeader(): boolean {
    return this.#elector?.isLeader() ?? false;
  }

  /**
   * Checks the cluster, then campaigns. Resolves with how the term ended; throws ConfigurationError at once when the
   * configuration cannot run on this cluster (the caller exits non-zero with the message).
   */
  async run(): Promise<LeaderElectionEnd> {
    const { kube, config } = this.opts;
    const capabilities = await detectCapabilities(kube);
    this.#capabilities = capabilities;
    const problems = capabilityProblems(config, capabilities);
    if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
    this.log.info('cluster capabilities', {
      volsync: capabilities.volsync,
      externalSecrets: capabilities.externalSecrets ?? false,
    });
    if (this.#ownsManager) await this.manager.start();
    this.#elector = new LeaderElector(kube, {
      namespace: config.namespace,
      name: LEASE_NAME,
      identity: this.opts.identity,
      ...(this.opts.lease?.durationSeconds ? { leaseDurationSeconds: this.opts.lease.durationSeconds } : {}),
      ...(this.opts.lease?.renewDeadlineMs ? { renewDeadlineMs: this.opts.lease.renewDeadlineMs } : {}),
      ...(this.opts.lease?.retryPeriodMs ? { retryPeriodMs: this.opts.lease.retryPeriodMs } : {}),
      logger: this.log,
      onStartedLeading: async (signal) => {
        this.#leader.set(1);
        try {
          await this.manager.lead(signal);
        } finally {
          this.#leader.set(0);
        }
      },
    });
    return await this.#elector.run();
  }

  /**
   * The leader-only components, in start order: the PVC controller (its caches synced before anything else reads
   * them), the restore-point sync (every 15 minutes, only for destinations that are behind) and the kopia
   * repository's maintenance. Each is built when a term starts, from the capabilities `run()` detected.
   */
  #leaderComponents(): Runnable[] {
    const { kube, config, catalog } = this.opts;
    const cache = this.manager.cache;
    const common = {
      kube,
      config,
      events: this.events,
      registry: this.opts.registry,
      logger: this.log,
      ...(this.opts.now ? { now: this.opts.now } : {}),
    };
    const capabilities = () => {
      if (!this.#capabilities) throw new Error('leader components start after run() detected the capabilities');
      return this.#capabilities;
    };
    const controller: Runnable = {
      name: 'pvc controller',
      leaderOnly: true,
      start: async (signal) => {
        const c = new PvcController({
          ...common,
          capabilities: capabilities(),
          informers: cache,
          ...(catalog ? { catalog } : {}),
        });
        this.#controller = c;
        await c.start(signal);
      },
      stop: async () => {
        await this.#controller?.stop();
        this.#controller = undefined;
      },
    };
    const syncConfig = config.restore.sync;
    const sync: Runnable = {
      name: 'restore-point sync',
      leaderOnly: true,
      start: async () => {
        if (!catalog) return;
        if (!syncConfig.enabled) {
          this.log.info('restore-point sync is off (restore.sync.enabled: false); `lifeboat sync` still re-arms');
          return;
        }
        const destinations = cache.informer(destinationInformer);
        const pvcs = cache.informer(pvcInformer(config));
        this.#sync = new RestorePointSync({
          ...common,
          catalog,
          intervalMs: syncConfig.interval,
          concurrency: syncConfig.concurrency,
          perRepository: syncConfig.perRepository,
          syncTimeoutMs: syncConfig.timeout,
          ...(this.opts.syncPollMs ? { pollMs: this.opts.syncPollMs } : {}),
          destinations: () => destinations.list(),
          pvc: (ns, name) => pvcs.get(`${ns}/${name}`),
        });
        this.#sync.start();
      },
      stop: async () => {
        await this.#sync?.stop();
        this.#sync = undefined;
      },
    };
    const maintenance: Runnable = {
      name: 'repository maintenance',
      leaderOnly: true,
      start: async (signal) => {
        const sourceSecret =
          config.credentials.mode === 'copy' ? cache.informer(secretInformer(config.credentials.secretRef)) : undefined;
        const m = new MaintenanceController({
          ...common,
          capabilities: capabilities(),
          informers: cache,
          sourceSecret: () => sourceSecretFactFrom(sourceSecret?.list()),
        });
        sourceSecret?.on(() => m.poke());
        this.#maintenance = m;
        // Not awaited: a maintenance cache that cannot sync (e.g. RBAC of an older chart) must not hold up the rest.
        void m.start(signal).catch((error: unknown) => {
          if (!signal.aborted) this.log.error('repository maintenance did not start', { error: String(error) });
        });
      },
      stop: async () => {
        const m = this.#maintenance;
        this.#maintenance = undefined;
        await m?.stop();
      },
    };
    const drills: Runnable = {
      name: 'restore drills',
      leaderOnly: true,
      start: async () => {
        if (!catalog) return;
        if (!this.opts.drillImage) {
          this.log.warn('restore drills cannot start: LIFEBOAT_IMAGE is not set (the chart sets it to its own image)');
        }
        const d = new DrillController({
          ...common,
          catalog,
          ...(this.opts.drillImage ? { image: this.opts.drillImage } : {}),
          ...(this.opts.drillPollMs ? { pollMs: this.opts.drillPollMs } : {}),
        });
        this.#drills = d;
        // `lifeboat verify` writes its request on the persistent RD: look at once instead of at the next idle pass.
        const unsubscribe = cache.informer(destinationInformer).on((event) => {
          const now = event.object.metadata.annotations?.[VERIFY_REQUESTED_ANNOTATION];
          if (now !== undefined && now !== event.old?.metadata.annotations?.[VERIFY_REQUESTED_ANNOTATION]) d.poke();
        });
        this.#unsubscribeDrills = unsubscribe;
        d.start();
      },
      stop: async () => {
        this.#unsubscribeDrills?.();
        this.#unsubscribeDrills = undefined;
        await this.#drills?.stop();
        this.#drills = undefined;
      },
    };
    return [controller, sync, maintenance, drills];
  }

  /** The leader's restore drills while they run; undefined on a follower. */
  get drills(): DrillController | undefined {
    return this.#drills;
  }

  /** The leader's restore-point sync loop while it runs; undefined on a follower or when it is off. */
  get restorePointSync(): RestorePointSync | undefined {
    return this.#sync;
  }

  /** The `/audit` ledger from the leader's caches; undefined on a follower (it has no caches). */
  async ledger(): Promise<Ledger | undefined> {
    const c = this.#controller;
    if (!c || !this.#capabilities) return undefined;
    return await ledgerFromCaches({
      config: this.opts.config,
      now: Date.now(),
      cluster: this.#capabilities,
      ...(c.sourceSecret ? { sourceSecrets: c.sourceSecret.list() } : {}),
      pvcs: c.pvcs.list(),
      namespaces: c.namespaces.list(),
      children: c.children.flatMap((r) => r.list()),
      reports: c.reports,
      ...(this.opts.catalog ? { catalog: this.opts.catalog } : {}),
      ...(this.#maintenance?.report ? { maintenance: this.#maintenance.report.status } : {}),
    });
  }

  /** Ends the term (the leader-only components stop) and, when the Operator owns its manager, the manager. */
  async stop(): Promise<void> {
    await this.#elector?.stop();
    if (this.#ownsManager) await this.manager.stop();
    await this.events.close();
  }
}
