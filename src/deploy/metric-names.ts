/**
 * Every metric name the alerts and the dashboard may use, in one registry: name, type, labels and help.
 *
 * Three lists, because an alert is only worth shipping when the series it reads exists:
 * - `EXPORTED`: served today. `exportedBy` names the processes whose /metrics carry it, so the registry test
 *   (test/integration/artefact.test.ts) scrapes each of them and proves the entry is real.
 * - `PLANNED`: designed but not served by any lifeboat process yet (not written, or written and not wired into
 *   `lifeboat run`). Only alerts marked `planned: true` may read them, and those alerts stay out of the rendered
 *   PrometheusRule until the metric moves to `EXPORTED`.
 * - `EXTERNAL`: series lifeboat does not register but Prometheus itself produces for every scrape target (`up`).
 *
 * Help texts here describe the series for readers of alerts and dashboards; the code's own help strings are what a
 * scrape shows.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A process whose /metrics serves a metric: the operator, or the stand-alone catalog API. */
export type Exporter = 'run' | 'serve-catalog';

export interface MetricName {
  name: string;
  type: MetricType;
  labels: readonly string[];
  help: string;
}

export interface ExportedMetric extends MetricName {
  exportedBy: readonly Exporter[];
}

type Entry = (name: string, type: MetricType, labels: readonly string[], help: string) => ExportedMetric;
const servedBy =
  (...exportedBy: Exporter[]): Entry =>
  (name, type, labels, help) => ({ name, type, labels, help, exportedBy });
/** The operator's own metrics, its admission webhook's. */
const run = servedBy('run');
/** The catalog and /exists metrics: the operator serves them, and so does `lifeboat serve-catalog`. */
const catalog = servedBy('run', 'serve-catalog');
const admission = run;

export const EXPORTED: readonly ExportedMetric[] = [
  // The operator (src/controller/metrics.ts, operator.ts, src/kube/events.ts, src/kube/workqueue-metrics.ts).
  run('lifeboat_leader', 'gauge', [], '1 while this replica holds the controller Lease and reconciles'),
  run('controller_runtime_reconcile_total', 'counter', ['controller', 'result'], 'Reconciliations by result'),
  run('controller_runtime_reconcile_errors_total', 'counter', ['controller'], 'Reconciliations that failed'),
  run('controller_runtime_reconcile_time_seconds', 'histogram', ['controller'], 'Time per reconciliation'),
  run('lifeboat_objects_applied_total', 'counter', ['kind', 'reason'], 'Generated objects created or repaired'),
  run('lifeboat_cleanups_total', 'counter', ['kind', 'result'], 'Generated objects deleted, or held by the guard'),
  run('lifeboat_mass_deletion_guard_tripped', 'gauge', [], '1 while the mass-deletion guard holds cleanups'),
  run('lifeboat_mass_deletion_guard_held', 'gauge', [], 'Deletions held back by the mass-deletion guard'),
  run('lifeboat_pvc_verdicts', 'gauge', ['verdict'], 'PVCs by verdict'),
  run('lifeboat_pvc_conflicts', 'gauge', [], 'PVCs whose generated object name is taken by a foreign object'),
  run(
    'lifeboat_pvc_database_file_copies',
    'gauge',
    [],
    "Database operators' claims backed up at file level because their backup label asks for it",
  ),
  run(
    'lifeboat_break_glass',
    'gauge',
    ['scope'],
    'Break-glass in force: scope="global" is 1 when admission.breakGlass is set; scope="namespace" counts labelled namespaces',
  ),
  run('lifeboat_kube_events_total', 'counter', ['result'], 'Kubernetes Events recorded, by result'),
  run('lifeboat_cache_objects', 'gauge', ['informer'], 'Objects the shared cache holds, by informer'),
  run(
    'lifeboat_cache_lists_total',
    'counter',
    ['informer'],
    'Complete lists by informer: the first, then one per relist after the watch expired',
  ),
  run(
    'lifeboat_cache_failures_total',
    'counter',
    ['informer'],
    'Lists and watches that failed and were started again (410 Gone included), by informer',
  ),
  run('workqueue_depth', 'gauge', ['name'], 'Items waiting in the work queue'),
  run('workqueue_adds_total', 'counter', ['name'], 'Items added to the work queue'),
  run('workqueue_retries_total', 'counter', ['name'], 'Items re-queued after a failure'),
  run('workqueue_queue_duration_seconds', 'histogram', ['name'], 'Time an item waits before being processed'),
  run('workqueue_work_duration_seconds', 'histogram', ['name'], 'Time processing one item takes'),

  // The catalog and its HTTP API (src/http/metrics.ts).
  catalog('pvc_plumber_requests_total', 'counter', [], 'Backup existence checks received (PVC Plumber name)'),
  catalog('pvc_plumber_requests_errors_total', 'counter', [], 'Existence checks without an authoritative answer'),
  catalog('pvc_plumber_backup_check_total', 'counter', ['backend', 'decision'], 'Existence check results'),
  catalog('pvcplumber_exists_singleflight_dedup_total', 'counter', [], 'Checks that joined a lookup in flight'),
  catalog('lifeboat_decisions_total', 'counter', ['decision', 'cause'], 'Restore decisions by result and cause'),
  catalog('lifeboat_catalog_refreshes_total', 'counter', ['result'], 'Finished catalog refreshes by result'),
  catalog('lifeboat_catalog_refresh_duration_seconds', 'histogram', ['result'], 'Duration of catalog refreshes'),
  catalog('lifeboat_catalog_refresh_deduplicated_total', 'counter', [], 'Refresh requests that joined a refresh'),
  catalog('lifeboat_catalog_lookups_total', 'counter', ['result'], 'On-demand reads of one PVC repository'),
  catalog('lifeboat_catalog_loaded', 'gauge', [], '1 once the first catalog refresh has finished'),
  catalog('lifeboat_catalog_age_seconds', 'gauge', [], 'Age of the oldest repository view in the catalog'),
  catalog('lifeboat_catalog_staleness_bound_seconds', 'gauge', [], 'Catalog age past which decisions are unknown'),
  catalog('lifeboat_catalog_pvcs', 'gauge', [], 'PVCs known to the catalog'),
  catalog('lifeboat_repository_healthy', 'gauge', ['repository'], '1 when the last read of the repository worked'),
  catalog('lifeboat_repository_consecutive_failures', 'gauge', ['repository'], 'Failed reads since the last good'),
  catalog('lifeboat_repository_last_success_timestamp_seconds', 'gauge', ['repository'], 'Last good read (Unix)'),
  catalog('lifeboat_repository_snapshots', 'gauge', ['repository'], 'Snapshots in the repository at its last read'),

  // The admission webhook (src/admission/metrics.ts).
  admission('lifeboat_admission_duration_seconds', 'histogram', ['webhook', 'result'], 'Time to answer a review'),
  admission('lifeboat_admission_decisions_total', 'counter', ['webhook', 'decision', 'cause'], 'Decisions acted on'),
  admission('lifeboat_admission_denials_total', 'counter', ['webhook', 'cause'], 'PVC creations denied, by cause'),
  admission(
    'lifeboat_admission_break_glass_total',
    'counter',
    ['webhook', 'cause', 'scope'],
    'PVC creations allowed only because break-glass is on',
  ),
  admission('lifeboat_admission_invalid_requests_total', 'counter', ['webhook', 'result'], 'Unusable requests'),
  admission('lifeboat_admission_certificate_expiry_timestamp_seconds', 'gauge', [], 'Serving certificate notAfter'),
  admission('lifeboat_admission_webhooks_registered', 'gauge', [], '1 while both webhook configurations exist'),
  // Backup freshness (src/controller/metrics.ts) and restore points (src/controller/restore-point-metrics.ts).
  run(
    'lifeboat_pvc_last_backup_timestamp_seconds',
    'gauge',
    ['namespace', 'pvc', 'tier'],
    'Time of the newest complete backup of the PVC found in the repository (Unix time)',
  ),
  run(
    'lifeboat_tier_backup_interval_seconds',
    'gauge',
    ['tier'],
    'Longest gap between two scheduled backups of the tier',
  ),
  run('lifeboat_restore_points', 'gauge', ['state'], 'Persistent restore points by state'),
  run(
    'lifeboat_restore_point_age_seconds',
    'gauge',
    ['namespace', 'pvc'],
    'Age of the snapshot the persistent RD holds',
  ),
  // The kopia repository's maintenance (src/controller/maintenance-metrics.ts), from the live KopiaMaintenance.
  run(
    'lifeboat_kopia_maintenance_plan',
    'gauge',
    ['state'],
    "1 for lifeboat's maintenance plan of the kopia repository: maintained, off, waiting or unsupported",
  ),
  run(
    'lifeboat_kopia_maintenance_last_success_timestamp_seconds',
    'gauge',
    ['kopiamaintenance'],
    'End of the last successful full maintenance (Unix time); absent until one succeeded',
  ),
  run(
    'lifeboat_kopia_maintenance_created_timestamp_seconds',
    'gauge',
    ['kopiamaintenance'],
    'Creation of the KopiaMaintenance (Unix time), the reference while no maintenance has succeeded',
  ),
  run(
    'lifeboat_kopia_maintenance_failures',
    'gauge',
    ['kopiamaintenance'],
    'Consecutive failed maintenance runs the VolSync fork counts',
  ),
  run(
    'lifeboat_kopia_maintenance_ready',
    'gauge',
    ['kopiamaintenance'],
    "1 when the fork's controller reports the KopiaMaintenance Ready, else 0",
  ),
  run(
    'lifeboat_kopia_maintenance_overdue_after_seconds',
    'gauge',
    ['kopiamaintenance'],
    'Twice the longest gap of the maintenance schedule: no success for longer is overdue',
  ),
  // Restore evidence (src/controller/restore-evidence.ts).
  run(
    'lifeboat_restores_total',
    'counter',
    ['outcome'],
    'Restores by evidence: verified, mismatch, empty, unverified, refused; failed mover attempts',
  ),
  // Restore drills (src/controller/drill-controller.ts, drill-metrics.ts).
  run(
    'lifeboat_restore_drills_total',
    'counter',
    ['outcome'],
    'Finished restore drills by outcome: passed, mover-failed, wrong-snapshot, unverified, counts-differ, sentinel-differs, verifier-failed, timed-out',
  ),
  run(
    'lifeboat_restore_drill_cleanups_total',
    'counter',
    [],
    'Restore drills deleted without a verdict (created only in part when lifeboat stopped, or unreadable)',
  ),
  run('lifeboat_restore_drills_running', 'gauge', [], 'Restore drills in flight'),
  run(
    'lifeboat_restore_proven_timestamp_seconds',
    'gauge',
    ['namespace', 'pvc'],
    "When the PVC's backups were last proven restorable by a drill that passed (PVCs with a proof only)",
  ),
  run(
    'lifeboat_restore_unproven_since_timestamp_seconds',
    'gauge',
    ['namespace', 'pvc'],
    'When lifeboat began protecting a PVC no restore drill has proven yet (never-proven PVCs only, scheduled drills on)',
  ),
  run(
    'lifeboat_restore_drill_failing',
    'gauge',
    ['namespace', 'pvc'],
    "1 when the PVC's last restore drill failed, 0 when it passed (PVCs with a drill only)",
  ),
  run('lifeboat_restore_proof_max_age_seconds', 'gauge', [], 'verify.maxAge: a proof older than this is overdue'),
];

/** Not served by any lifeboat process yet: alerts reading these carry `planned: true` and are not rendered. */
export const PLANNED: readonly MetricName[] = [];

/** The job label the ServiceMonitor gives lifeboat's targets (its `jobLabel` reads `app.kubernetes.io/name`). */
export const JOB = 'lifeboat';

/** The metrics table of docs/monitoring.md (kept equal by a test). */
export function metricsMarkdownTable(): string {
  const labels = (m: MetricName) => (m.labels.length > 0 ? m.labels.map((l) => `\`${l}\``).join(', ') : '–');
  const rows = [
    ...EXPORTED.map((m) => `| \`${m.name}\` | ${m.type} | ${labels(m)} | ${m.exportedBy.join(', ')} | ${m.help} |`),
    ...PLANNED.map((m) => `| \`${m.name}\` | ${m.type} | ${labels(m)} | planned | ${m.help} |`),
  ];
  return ['| metric | type | labels | served by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
