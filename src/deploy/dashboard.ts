/**
 * The Grafana dashboard (deploy/grafana/lifeboat.json), built from a compact panel table so every query is checked
 * against the metric registry like the alerts are (dashboard.test.ts): a panel reads exported metrics only, never a
 * planned one that would show "No data" forever.
 *
 * Import it in Grafana (Dashboards → New → Import) and pick the Prometheus data source that scrapes lifeboat.
 */
import { JOB } from './metric-names.ts';

export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat';
  unit: string;
  queries: PanelQuery[];
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const job = `job="${JOB}"`;
const q = (expr: string, legend = ''): PanelQuery => ({ expr, legend });

export const DASHBOARD_ROWS: readonly RowSpec[] = [
  {
    title: 'Operator',
    panels: [
      {
        title: 'Replicas up',
        description: 'lifeboat replicas Prometheus scrapes successfully (2 expected).',
        type: 'stat',
        unit: 'none',
        queries: [q(`sum(up{${job}})`)],
      },
      {
        title: 'Leader',
        description: '1 while a replica holds the Lease lifeboat-controller and reconciles.',
        type: 'stat',
        unit: 'none',
        queries: [q(`max(lifeboat_leader{${job}})`)],
      },
      {
        title: 'PVCs by verdict',
        description: 'What the controller concluded for each PVC it saw.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('max by (verdict) (lifeboat_pvc_verdicts)', '{{verdict}}')],
      },
      {
        title: 'Reconciliations',
        description: 'PVC reconciliations per second by result.',
        type: 'timeseries',
        unit: 'ops',
        queries: [
          q(`sum by (result) (rate(controller_runtime_reconcile_total{${job},controller="pvc"}[5m]))`, '{{result}}'),
        ],
      },
      {
        title: 'Reconcile time (p95)',
        description: '95th percentile of the time one PVC reconciliation takes.',
        type: 'timeseries',
        unit: 's',
        queries: [
          q(
            `histogram_quantile(0.95, sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket{${job},controller="pvc"}[5m])))`,
            'p95',
          ),
        ],
      },
      {
        title: 'Work queue depth',
        description: 'PVCs waiting to be reconciled.',
        type: 'timeseries',
        unit: 'none',
        queries: [q(`max by (name) (workqueue_depth{${job}})`, '{{name}}')],
      },
      {
        title: 'Objects written',
        description: 'Generated objects created or repaired after drift, per second.',
        type: 'timeseries',
        unit: 'ops',
        queries: [q('sum by (kind, reason) (rate(lifeboat_objects_applied_total[5m]))', '{{kind}} {{reason}}')],
      },
      {
        title: 'Cleanups (1h)',
        description: 'Generated objects deleted, or held back by the mass-deletion guard, in the last hour.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('sum by (kind, result) (increase(lifeboat_cleanups_total[1h]))', '{{kind}} {{result}}')],
      },
      {
        title: 'Mass-deletion guard',
        description: 'Tripped (1) and the number of deletions it holds until an operator confirms.',
        type: 'timeseries',
        unit: 'none',
        queries: [
          q('max(lifeboat_mass_deletion_guard_tripped)', 'tripped'),
          q('max(lifeboat_mass_deletion_guard_held)', 'held'),
        ],
      },
      {
        title: 'Kubernetes Events',
        description: 'Events lifeboat recorded on PVCs, by result (created, aggregated, rate_limited, failed).',
        type: 'timeseries',
        unit: 'ops',
        queries: [q('sum by (result) (rate(lifeboat_kube_events_total[5m]))', '{{result}}')],
      },
    ],
  },
  {
    title: 'Catalog and decisions',
    panels: [
      {
        title: 'Decisions',
        description: 'Restore decisions per second: restore, fresh, unknown.',
        type: 'timeseries',
        unit: 'ops',
        queries: [q('sum by (decision) (rate(lifeboat_decisions_total[5m]))', '{{decision}}')],
      },
      {
        title: 'Unknown decisions by cause (1h)',
        description: 'Why lifeboat could not tell; each cause has a section in docs/troubleshooting.md.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('sum by (cause) (increase(lifeboat_decisions_total{decision="unknown"}[1h]))', '{{cause}}')],
      },
      {
        title: 'Catalog age',
        description: 'Age of the oldest repository view; decisions turn unknown above the bound.',
        type: 'timeseries',
        unit: 's',
        queries: [
          q('max(lifeboat_catalog_age_seconds)', 'age'),
          q('max(lifeboat_catalog_staleness_bound_seconds)', 'bound'),
        ],
      },
      {
        title: 'Repository health',
        description: '1 when the last read of the repository succeeded.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('min by (repository) (lifeboat_repository_healthy)', '{{repository}}')],
      },
      {
        title: 'Snapshots per repository',
        description: 'Snapshots found at the last good read.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('max by (repository) (lifeboat_repository_snapshots)', '{{repository}}')],
      },
      {
        title: 'Catalog refresh time (p95)',
        description: 'How long a full read of the repositories takes.',
        type: 'timeseries',
        unit: 's',
        queries: [
          q(
            'histogram_quantile(0.95, sum by (le) (rate(lifeboat_catalog_refresh_duration_seconds_bucket[15m])))',
            'p95',
          ),
        ],
      },
    ],
  },
  {
    title: 'Restore drills',
    panels: [
      {
        title: 'Restore proven, age',
        description:
          "Since each PVC's backups were last proven restorable by a drill that passed (verify.maxAge is the line).",
        type: 'timeseries',
        unit: 's',
        queries: [
          q('time() - max by (namespace, pvc) (lifeboat_restore_proven_timestamp_seconds)', '{{namespace}}/{{pvc}}'),
          q('max(lifeboat_restore_proof_max_age_seconds)', 'verify.maxAge'),
        ],
      },
      {
        title: 'Drills by outcome (24h)',
        description: 'Finished restore drills; anything but passed names its cause in the PVC Event.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('sum by (outcome) (increase(lifeboat_restore_drills_total[24h]))', '{{outcome}}')],
      },
      {
        title: 'Drills failing',
        description: 'PVCs whose last restore drill failed.',
        type: 'stat',
        unit: 'none',
        queries: [q('sum(lifeboat_restore_drill_failing)', 'failing')],
      },
    ],
  },
  {
    title: 'Admission',
    panels: [
      {
        title: 'Admission decisions',
        description: 'Decisions the webhooks acted on, per second.',
        type: 'timeseries',
        unit: 'ops',
        queries: [
          q('sum by (webhook, decision) (rate(lifeboat_admission_decisions_total[5m]))', '{{webhook}} {{decision}}'),
        ],
      },
      {
        title: 'Denials (1h)',
        description: 'PVC creations denied, by cause.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('sum by (cause) (increase(lifeboat_admission_denials_total[1h]))', '{{cause}}')],
      },
      {
        title: 'Break-glass in force',
        description: 'Global switch (1 = on) and the number of namespaces labelled lifeboat.dev/break-glass=true.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('max by (scope) (lifeboat_break_glass)', '{{scope}}')],
      },
      {
        title: 'Break-glass admissions (1h)',
        description: 'PVCs let through without a decision because break-glass was on.',
        type: 'timeseries',
        unit: 'none',
        queries: [q('sum by (scope) (increase(lifeboat_admission_break_glass_total[1h]))', '{{scope}}')],
      },
      {
        title: 'Admission latency (p99)',
        description: 'Time to answer an AdmissionReview; the webhooks time out after 5 s.',
        type: 'timeseries',
        unit: 's',
        queries: [
          q(
            'histogram_quantile(0.99, sum by (le, webhook) (rate(lifeboat_admission_duration_seconds_bucket[5m])))',
            '{{webhook}}',
          ),
        ],
      },
      {
        title: 'Serving certificate expires in',
        description: 'Time left on the webhook serving certificate (renewed at two thirds of its lifetime).',
        type: 'stat',
        unit: 's',
        queries: [q('min(lifeboat_admission_certificate_expiry_timestamp_seconds) - time()')],
      },
    ],
  },
];

const WIDTH = 24;
const PANEL_WIDTH = 8;
const PANEL_HEIGHT = 8;

/** The dashboard in Grafana's JSON model (schemaVersion 39), with a data source variable instead of a fixed uid. */
export function grafanaDashboard(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, resolved by Grafana.
  const datasource = { type: 'prometheus', uid: '${datasource}' };
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of DASHBOARD_ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: WIDTH, x: 0, y },
      panels: [],
    });
    y += 1;
    for (const [i, panel] of row.panels.entries()) {
      const x = (i * PANEL_WIDTH) % WIDTH;
      if (i > 0 && x === 0) y += PANEL_HEIGHT;
      panels.push({
        id: id++,
        type: panel.type,
        title: panel.title,
        description: panel.description,
        datasource,
        gridPos: { h: PANEL_HEIGHT, w: PANEL_WIDTH, x, y },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options:
          panel.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list' } },
        targets: panel.queries.map((query, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource,
          expr: query.expr,
          legendFormat: query.legend,
        })),
      });
    }
    y += PANEL_HEIGHT;
  }
  return {
    title: 'lifeboat',
    uid: 'lifeboat',
    description:
      'lifeboat: PVC backup intent, restore decisions and admission (metrics and alerts: docs/monitoring.md).',
    tags: ['lifeboat', 'volsync', 'backup'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}
