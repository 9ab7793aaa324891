/**
 * The operator process's controller half: detects what the cluster runs, refuses a configuration it cannot run, and
 * runs the PVC controller only while this replica holds the leader Lease (every replica may serve admission and the
 * catalog; exactly one writes).
 */
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { type LeaderElectionEnd, LeaderElector } from '../kube/leader.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { type ClusterCapabilities, capabilityProblems } from '../plan/capability.ts';
import { ledgerFromCaches } from '../status/from-caches.ts';
import type { Ledger } from '../status/types.ts';
import { detectCapabilities } from './capabilities.ts';
import { MaintenanceController } from './maintenance-controller.ts';
import { PvcController } from './pvc-controller.ts';
import { RestorePointSync } from './restore-point-sync.ts';

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
  /** More work of the leader (e.g. keeping the webhook registration current); runs until leadership ends. */
  leaderTasks?: ((signal: AbortSignal) => Promise<void>)[];
  /**
   * How soon the restore-point sync's first pass runs (at a random point within it), and how often it looks again
   * while syncs are in flight. Default 1 minute; tests shorten it.
   */
  syncPollMs?: number;
}

export class Operator {
  readonly opts: OperatorOptions;
  readonly log: Logger;
  readonly events: EventRecorder;
  #elector: LeaderElector | undefined;
  #controller: PvcController | undefined;
  #sync: RestorePointSync | undefined;
  #maintenance: MaintenanceController | undefined;
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
        const controller = new PvcController({
          kube,
          config,
          capabilities,
          events: this.events,
          registry: this.opts.registry,
          logger: this.log,
          ...(this.opts.now ? { now: this.opts.now } : {}),
          ...(this.opts.catalog ? { catalog: this.opts.catalog } : {}),
        });
        this.#controller = controller;
        // The kopia repository's maintenance (plan/maintenance.ts); it reads the source Secret the PVC controller caches.
        const maintenance = new MaintenanceController({
          kube,
          config,
          capabilities,
          sourceSecret: () => controller.sourceSecretFact(),
          events: this.events,
          registry: this.opts.registry,
          logger: this.log,
          ...(this.opts.now ? { now: this.opts.now } : {}),
        });
        controller.sourceSecret?.on(() => maintenance.poke());
        const tasks = (this.opts.leaderTasks ?? []).map((task) => task(signal));
        // The coordinated restore-point sync (every 15 minutes, but only for destinations that are behind).
        const syncConfig = config.restore.sync;
        if (this.opts.catalog && !syncConfig.enabled) {
          this.log.info('restore-point sync is off (restore.sync.enabled: false); `lifeboat sync` still re-arms');
        }
        const sync =
          this.opts.catalog && syncConfig.enabled
            ? new RestorePointSync({
                kube,
                config,
                catalog: this.opts.catalog,
                events: this.events,
                registry: this.opts.registry,
                logger: this.log,
                intervalMs: syncConfig.interval,
                concurrency: syncConfig.concurrency,
                perRepository: syncConfig.perRepository,
                syncTimeoutMs: syncConfig.timeout,
                ...(this.opts.syncPollMs ? { pollMs: this.opts.syncPollMs } : {}),
                destinations: () =>
                  controller.children.flatMap((r) => r.list()).filter((o) => o.kind === 'ReplicationDestination'),
                pvc: (ns, name) => controller.pvcs.get(`${ns}/${name}`),
              })
            : undefined;
        try {
          await controller.start(signal);
          this.#sync = sync;
          sync?.start();
          // Not awaited: a maintenance cache that cannot sync (e.g. RBAC of an older chart) must not hold up the rest.
          this.#maintenance = maintenance;
          void maintenance.start(signal).catch((error: unknown) => {
            if (!signal.aborted) this.log.error('repository maintenance did not start', { error: String(error) });
          });
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          await Promise.allSettled(tasks);
        } finally {
          await sync?.stop();
          this.#maintenance = undefined;
          await maintenance.stop();
          this.#sync = undefined;
          await controller.stop();
          this.#controller = undefined;
          this.#leader.set(0);
        }
      },
    });
    return await this.#elector.run();
  }

  /** The leader's restore-point sync loop while it runs; undefined on a follower or when it is off. */
  get restorePointSync(): RestorePointSync | undefined {
    return this.#sync;
  }

  /** The leader's repository-maintenance controller while it runs; undefined on a follower. */
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

  async stop(): Promise<void> {
    await this.#elector?.stop();
    await this.events.close();
  }
}
