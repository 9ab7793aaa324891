/**
 * Prometheus metrics of the catalog and its HTTP API, on a registry of their own (never prom-client's global one),
 * so several servers can live in one process (tests) and nothing else leaks into the scrape.
 *
 * Two families:
 * - PVC Plumber v1.5+ names, unchanged, so its alerts keep working (docs/design.md#compatibility-kept-on-purpose):
 * `pvc_plumber_requests_total`,
 *   `pvc_plumber_requests_errors_total`, `pvc_plumber_backup_check_total{backend,decision}` and
 *   `pvcplumber_exists_singleflight_dedup_total` (its different prefix is the original's).
 * - `lifeboat_*`: decisions by result and cause, catalog age, per-repository health, refresh duration.
 * Catalog state is read at scrape time (gauges with `collect`), so a scrape never triggers repository I/O and never
 * shows a repository the catalog has already dropped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import type { Decision } from '../decision/decide.ts';

export interface MetricsOptions {
  /** Extra labels on every series (e.g. `{ instance: 'a' }`). */
  defaultLabels?: Record<string, string>;
}

export class CatalogMetrics {
  readonly registry: Registry;
  private readonly requests: Counter;
  private readonly requestErrors: Counter;
  private readonly backupChecks: Counter<'backend' | 'decision'>;
  private readonly singleflightDedup: Counter;
  private readonly decisions: Counter<'decision' | 'cause'>;

  constructor(catalog: Catalog, options: MetricsOptions = {}) {
    const registry = new Registry();
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    this.registry = registry;
    const registers = [registry];

    this.requests = new Counter({
      name: 'pvc_plumber_requests_total',
      help: 'Backup existence checks received (GET /exists).',
      registers,
    });
    this.requestErrors = new Counter({
      name: 'pvc_plumber_requests_errors_total',
      help: 'Backup existence checks that did not give an authoritative answer (HTTP 400, 503 or 500).',
      registers,
    });
    this.backupChecks = new Counter({
      name: 'pvc_plumber_backup_check_total',
      help: 'Backup existence check results by backend and decision (restore, fresh, unknown).',
      labelNames: ['backend', 'decision'],
      registers,
    });
    this.singleflightDedup = new Counter({
      name: 'pvcplumber_exists_singleflight_dedup_total',
      help: 'Existence checks that joined a repository lookup already in flight instead of starting another.',
      registers,
    });
    this.decisions = new Counter({
      name: 'lifeboat_decisions_total',
      help: 'Restore decisions by result and cause (e.g. unknown/wrong-password).',
      labelNames: ['decision', 'cause'],
      registers,
    });

    const refreshes = new Counter({
      name: 'lifeboat_catalog_refreshes_total',
      help: 'Finished catalog refreshes by result (success, partial, failure).',
      labelNames: ['result'],
      registers,
    });
    const refreshDuration = new Histogram({
      name: 'lifeboat_catalog_refresh_duration_seconds',
      help: 'Duration of full catalog refreshes.',
      labelNames: ['result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    const refreshDedup = new Counter({
      name: 'lifeboat_catalog_refresh_deduplicated_total',
      help: 'Refresh requests that joined a refresh already running.',
      registers,
    });
    const lookups = new Counter({
      name: 'lifeboat_catalog_lookups_total',
      help: 'On-demand reads of one PVC repository (restic), by result: ok or the failure code.',
      labelNames: ['result'],
      registers,
    });
    catalog.addListener({
      refreshed: (report) => {
        refreshes.inc({ result: report.result });
        refreshDuration.observe({ result: report.result }, report.durationMs / 1000);
      },
      deduplicated: (what) => (what === 'refresh' ? refreshDedup.inc() : this.singleflightDedup.inc()),
      lookedUp: (_repository, _ms, failure) => lookups.inc({ result: failure ? failure.code : 'ok' }),
    });

    new Gauge({
      name: 'lifeboat_catalog_loaded',
      help: '1 once the first catalog refresh has finished (the readiness condition), else 0.',
      registers,
      collect() {
        this.set(catalog.status().loaded ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lifeboat_catalog_age_seconds',
      help: 'Age of the oldest repository view in the catalog; decisions turn unknown past the staleness bound.',
      registers,
      collect() {
        this.reset();
        const age = catalog.status().ageMs;
        if (age !== undefined) this.set(age / 1000);
      },
    });
    new Gauge({
      name: 'lifeboat_catalog_staleness_bound_seconds',
      help: 'Configured staleness bound: views older than this give unknown decisions.',
      registers,
      collect() {
        this.set(catalog.staleAfterMs / 1000);
      },
    });
    new Gauge({
      name: 'lifeboat_catalog_pvcs',
      help: 'PVCs known to the catalog.',
      registers,
      collect() {
        this.set(catalog.pvcs().length);
      },
    });
    const perRepository = (
      name: string,
      help: string,
      value: (h: ReturnType<Catalog['health']>[number]) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['repository'],
        registers,
        collect() {
          this.reset();
          for (const health of catalog.health()) {
            const v = value(health);
            if (v !== undefined) this.set({ repository: health.repository }, v);
          }
        },
      });
    perRepository('lifeboat_repository_healthy', '1 when the last read of the repository succeeded, else 0.', (h) =>
      h.healthy ? 1 : 0,
    );
    perRepository(
      'lifeboat_repository_consecutive_failures',
      'Failed reads of the repository since its last successful read.',
      (h) => h.consecutiveFailures,
    );
    perRepository(
      'lifeboat_repository_last_success_timestamp_seconds',
      'When the repository was last read successfully (Unix time).',
      (h) => (h.lastSuccessMs === undefined ? undefined : h.lastSuccessMs / 1000),
    );
    perRepository(
      'lifeboat_repository_snapshots',
      'Snapshots in the repository at its last good read.',
      (h) => h.snapshotCount,
    );
  }

  /** Counts one /exists answer: a decision, or (without one) a malformed request or internal error. */
  recordExists(backend: string, decision: Decision | undefined): void {
    this.requests.inc();
    if (!decision) {
      this.requestErrors.inc();
      return;
    }
    if (!decision.authoritative) this.requestErrors.inc();
    this.backupChecks.inc({ backend, decision: decision.decision });
    this.decisions.inc({ decision: decision.decision, cause: decision.cause });
  }

  /** Counts a decision made outside the HTTP API (admission, CLI) under the lifeboat_* family only. */
  recordDecision(decision: Decision): void {
    this.decisions.inc({ decision: decision.decision, cause: decision.cause });
  }
}
