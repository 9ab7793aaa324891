/**
 * lifeboat's alerts evaluated by Prometheus's own rule engine: `promtool test rules` loads the rule file the chart
 * ships (deploy/helm/lifeboat/files/alerts.yaml: the PrometheusRule's spec, already in Prometheus's `groups:` format)
 * and runs the cases below, for every alert at least one where it fires and one where it stays quiet. The input series
 * are shaped as lifeboat's /metrics serves them (names and labels from the registry, src/deploy/metric-names.ts) plus
 * the target labels the ServiceMonitor adds; its honorLabels keeps lifeboat's own `namespace` on per-PVC series.
 *
 * The expected annotations are the rule's own templates with the case's labels and rendered `$value` filled in, so a
 * case also checks what the alert says. promtool starts every case at Unix time 0: timestamps are seconds after it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { lookupMetric, TARGET_LABELS } from '../support/metric-lookup.ts';
import { binary, REPO_ROOT } from '../support/testenv.ts';

const run = promisify(execFile);
const RULES = join(REPO_ROOT, 'deploy', 'helm', 'lifeboat', 'files', 'alerts.yaml');

type Labels = Record<string, string>;

/** The labels of the scrape target (one lifeboat replica), as the ServiceMonitor sets them. */
const TARGET: Labels = {
  job: 'lifeboat',
  instance: '192.0.2.10:8080',
  namespace: 'lifeboat-system',
  service: 'lifeboat',
  pod: 'lifeboat-6f7c9d8b5-x2x4q',
  container: 'lifeboat',
  endpoint: 'metrics',
};
/** A second replica. */
const TARGET2: Labels = { ...TARGET, instance: '192.0.2.11:8080', pod: 'lifeboat-6f7c9d8b5-k8m2p' };

interface Series {
  metric: string;
  /** The metric's own labels (the registry's); the target's are added. */
  labels?: Labels;
  /** promtool's expanding notation: `0+1x10` counts up, `_` is no sample (the series does not exist yet). */
  values: string;
  target?: Labels;
}

interface Firing {
  /** The alert's labels besides `alertname` and `severity`. */
  labels: Labels;
  /** What `{{ $value ... }}` renders to in the annotations (humanizeDuration, humanizePercentage or plain). */
  value?: string;
}

interface Case {
  alert: string;
  name: string;
  /**
   * A case over days: samples every 5 minutes and the rules evaluated every 15 (promtool evaluates every step from
   * time 0, so a minute's steps over 15 days take most of a minute). Otherwise both every minute.
   */
  days?: true;
  series: Series[];
  at: string;
  /** The alerts firing at `at`; empty: the alert must not fire (pending is not firing). */
  fires: Firing[];
}

const s = (metric: string, labels: Labels, values: string, target: Labels = TARGET): Series => ({
  metric,
  labels,
  values,
  target,
});
const shop = { namespace: 'shop', pvc: 'data' };
const RESTORE_OUTCOMES = ['verified', 'mismatch', 'empty', 'unverified', 'refused', 'failed'];
const RESTORE_POINT_STATES = ['current', 'behind', 'syncing', 'stuck', 'no-backup', 'unknown'];
const PLANS = ['maintained', 'off', 'waiting', 'unsupported'];
const km = { kopiamaintenance: 'lifeboat-repository-maintenance' };
const plan = (state: string, samples: string) =>
  PLANS.map((p) => s('lifeboat_kopia_maintenance_plan', { state: p }, p === state ? `1x${samples}` : `0x${samples}`));
const DAY = 86_400;

const CASES: Case[] = [
  {
    alert: 'LifeboatDown',
    name: 'the only replica is down for 10 minutes',
    series: [s('up', {}, '0x15')],
    at: '10m',
    fires: [{ labels: {} }],
  },
  {
    alert: 'LifeboatDown',
    name: 'one of two replicas is up',
    series: [s('up', {}, '0x15'), s('up', {}, '1x15', TARGET2)],
    at: '10m',
    fires: [],
  },
  {
    alert: 'LifeboatDown',
    name: 'down for 4 minutes is pending, not firing (for: 5m)',
    series: [s('up', {}, '0x15')],
    at: '4m',
    fires: [],
  },
  {
    alert: 'LifeboatNoLeader',
    name: 'two replicas, neither leads',
    series: [s('lifeboat_leader', {}, '0x15'), s('lifeboat_leader', {}, '0x15', TARGET2)],
    at: '10m',
    fires: [{ labels: {} }],
  },
  {
    alert: 'LifeboatNoLeader',
    name: 'one of two replicas leads',
    series: [s('lifeboat_leader', {}, '0x15'), s('lifeboat_leader', {}, '1x15', TARGET2)],
    at: '10m',
    fires: [],
  },
  {
    alert: 'LifeboatReconcileErrors',
    name: '40% of PVC reconciliations fail',
    series: [
      s('controller_runtime_reconcile_total', { controller: 'pvc', result: 'success' }, '0+6x60'),
      s('controller_runtime_reconcile_total', { controller: 'pvc', result: 'error' }, '0+4x60'),
      s('controller_runtime_reconcile_errors_total', { controller: 'pvc' }, '0+4x60'),
    ],
    at: '40m',
    fires: [{ labels: {}, value: '40%' }],
  },
  {
    alert: 'LifeboatReconcileErrors',
    name: '10% of PVC reconciliations fail',
    series: [
      s('controller_runtime_reconcile_total', { controller: 'pvc', result: 'success' }, '0+9x60'),
      s('controller_runtime_reconcile_total', { controller: 'pvc', result: 'error' }, '0+1x60'),
      s('controller_runtime_reconcile_errors_total', { controller: 'pvc' }, '0+1x60'),
    ],
    at: '40m',
    fires: [],
  },
  {
    alert: 'LifeboatWebhookCertificateExpiring',
    name: 'the certificate expires at day 13',
    series: [s('lifeboat_admission_certificate_expiry_timestamp_seconds', {}, `${13 * DAY}x150`)],
    at: '2h',
    fires: [{ labels: {}, value: '12d 22h 0m 0s' }],
  },
  {
    alert: 'LifeboatWebhookCertificateExpiring',
    name: 'the certificate expires at day 15',
    series: [s('lifeboat_admission_certificate_expiry_timestamp_seconds', {}, `${15 * DAY}x150`)],
    at: '2h',
    fires: [],
  },
  {
    alert: 'LifeboatKopiaMaintenanceFailing',
    name: 'maintenance runs have failed for 2 hours',
    series: [
      s('lifeboat_kopia_maintenance_failures', km, '2x150'),
      s('lifeboat_kopia_maintenance_ready', km, '1x150'),
      ...plan('maintained', '150'),
    ],
    at: '2h',
    fires: [{ labels: km }],
  },
  {
    alert: 'LifeboatKopiaMaintenanceFailing',
    name: 'lifeboat has been waiting to create the KopiaMaintenance for 2 hours',
    series: plan('waiting', '150'),
    at: '2h',
    fires: [{ labels: { state: 'waiting' } }],
  },
  {
    alert: 'LifeboatKopiaMaintenanceFailing',
    name: 'one failure that a run cleared after 30 minutes',
    series: [
      s('lifeboat_kopia_maintenance_failures', km, '1x30 0x120'),
      s('lifeboat_kopia_maintenance_ready', km, '1x150'),
      ...plan('maintained', '150'),
    ],
    at: '2h',
    fires: [],
  },
  {
    alert: 'LifeboatKopiaMaintenanceOverdue',
    name: 'the last success is 50 hours old, overdue after 48',
    days: true,
    series: [
      s('lifeboat_kopia_maintenance_last_success_timestamp_seconds', km, '0x700'),
      s('lifeboat_kopia_maintenance_created_timestamp_seconds', km, '0x700'),
      s('lifeboat_kopia_maintenance_overdue_after_seconds', km, `${2 * DAY}x700`),
    ],
    at: '50h',
    fires: [{ labels: km, value: '2d 2h 0m 0s' }],
  },
  {
    alert: 'LifeboatKopiaMaintenanceOverdue',
    name: 'none succeeded, created 50 hours ago',
    days: true,
    series: [
      s('lifeboat_kopia_maintenance_created_timestamp_seconds', km, '0x700'),
      s('lifeboat_kopia_maintenance_overdue_after_seconds', km, `${2 * DAY}x700`),
    ],
    at: '50h',
    fires: [{ labels: km, value: '2d 2h 0m 0s' }],
  },
  {
    alert: 'LifeboatKopiaMaintenanceOverdue',
    name: 'a maintenance succeeded at hour 24',
    days: true,
    series: [
      s('lifeboat_kopia_maintenance_last_success_timestamp_seconds', km, `0x287 ${DAY}x500`),
      s('lifeboat_kopia_maintenance_created_timestamp_seconds', km, '0x700'),
      s('lifeboat_kopia_maintenance_overdue_after_seconds', km, `${2 * DAY}x700`),
    ],
    at: '50h',
    fires: [],
  },
  {
    alert: 'LifeboatBackupMissed',
    name: 'an hourly PVC without a backup for 3 hours; a daily one of the same age is fine',
    series: [
      s('lifeboat_pvc_last_backup_timestamp_seconds', { ...shop, tier: 'hourly' }, '0x200'),
      s('lifeboat_pvc_last_backup_timestamp_seconds', { namespace: 'shop', pvc: 'db', tier: 'daily' }, '0x200'),
      s('lifeboat_tier_backup_interval_seconds', { tier: 'hourly' }, '3600x200'),
      s('lifeboat_tier_backup_interval_seconds', { tier: 'daily' }, `${DAY}x200`),
    ],
    at: '3h',
    fires: [{ labels: { ...shop, tier: 'hourly' }, value: '3h 0m 0s' }],
  },
  {
    alert: 'LifeboatBackupMissed',
    name: 'an hourly PVC backed up every hour',
    series: [
      s('lifeboat_pvc_last_backup_timestamp_seconds', { ...shop, tier: 'hourly' }, '0x59 3600x59 7200x59 10800x20'),
      s('lifeboat_tier_backup_interval_seconds', { tier: 'hourly' }, '3600x200'),
    ],
    at: '3h',
    fires: [],
  },
  {
    alert: 'LifeboatRestorePointStale',
    name: 'two restore points behind for 2 hours',
    series: RESTORE_POINT_STATES.map((state) =>
      s('lifeboat_restore_points', { state }, state === 'behind' ? '2x150' : state === 'current' ? '5x150' : '0x150'),
    ),
    at: '2h',
    fires: [{ labels: { state: 'behind' }, value: '2' }],
  },
  {
    alert: 'LifeboatRestorePointStale',
    name: 'every restore point current',
    series: RESTORE_POINT_STATES.map((state) =>
      s('lifeboat_restore_points', { state }, state === 'current' ? '7x150' : '0x150'),
    ),
    at: '2h',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotVerified',
    name: 'a restore got another snapshot 10 minutes ago',
    series: RESTORE_OUTCOMES.map((outcome) =>
      s('lifeboat_restores_total', { outcome }, outcome === 'mismatch' ? '0x30 1x30' : '0x60'),
    ),
    at: '40m',
    fires: [{ labels: { outcome: 'mismatch' } }],
  },
  {
    alert: 'LifeboatRestoreNotVerified',
    name: 'only verified restores',
    series: RESTORE_OUTCOMES.map((outcome) =>
      s('lifeboat_restores_total', { outcome }, outcome === 'verified' ? '0+1x60' : '0x60'),
    ),
    at: '40m',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotVerified',
    name: 'a mismatch more than an hour ago',
    series: RESTORE_OUTCOMES.map((outcome) =>
      s('lifeboat_restores_total', { outcome }, outcome === 'mismatch' ? '0x10 1x200' : '0x210'),
    ),
    at: '3h',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreDrillFailed',
    name: 'the last drill failed',
    series: [s('lifeboat_restore_drill_failing', shop, '1x30')],
    at: '10m',
    fires: [{ labels: shop }],
  },
  {
    alert: 'LifeboatRestoreDrillFailed',
    name: 'a drill passed after a failed one',
    series: [s('lifeboat_restore_drill_failing', shop, '1x10 0x20')],
    at: '20m',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'the proof is 15 days old, verify.maxAge 14 days',
    days: true,
    series: [
      s('lifeboat_restore_proven_timestamp_seconds', shop, '0x4400'),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '15d',
    fires: [{ labels: shop, value: '15d 0h 0m 0s' }],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'the proof is 13 days old',
    days: true,
    series: [
      s('lifeboat_restore_proven_timestamp_seconds', shop, '0x4400'),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '13d',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'a drill passed at day 10, so the proof is 5 days old at day 15',
    days: true,
    series: [
      s('lifeboat_restore_proven_timestamp_seconds', shop, `0x2879 ${10 * DAY}x1500`),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '15d',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'never proven, protected for 15 days (no proof series: when lifeboat began protecting it)',
    days: true,
    series: [
      s('lifeboat_restore_unproven_since_timestamp_seconds', shop, '0x4400'),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '15d',
    fires: [{ labels: shop, value: '15d 0h 0m 0s' }],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'never proven, protected for 13 days',
    days: true,
    series: [
      s('lifeboat_restore_unproven_since_timestamp_seconds', shop, '0x4400'),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '13d',
    fires: [],
  },
  {
    alert: 'LifeboatRestoreNotProven',
    name: 'unproven from day 0 until a drill passed at day 10: the proof, 5 days old at day 15, counts',
    days: true,
    series: [
      s('lifeboat_restore_unproven_since_timestamp_seconds', shop, '0x2879'),
      s('lifeboat_restore_proven_timestamp_seconds', shop, `_x2880 ${10 * DAY}x1500`),
      s('lifeboat_restore_proof_max_age_seconds', {}, `${14 * DAY}x4400`),
    ],
    at: '15d',
    fires: [],
  },
  {
    alert: 'LifeboatMassDeletionGuardTripped',
    name: 'the guard tripped',
    series: [s('lifeboat_mass_deletion_guard_tripped', {}, '0x2 1x10')],
    at: '5m',
    fires: [{ labels: {} }],
  },
  {
    alert: 'LifeboatMassDeletionGuardTripped',
    name: 'the guard is calm',
    series: [s('lifeboat_mass_deletion_guard_tripped', {}, '0x10')],
    at: '5m',
    fires: [],
  },
  {
    alert: 'LifeboatCatalogStale',
    name: 'the catalog is 700 s old, its bound 600 s',
    series: [
      s('lifeboat_catalog_age_seconds', {}, '700x30'),
      s('lifeboat_catalog_staleness_bound_seconds', {}, '600x30'),
      s('lifeboat_catalog_loaded', {}, '1x30'),
    ],
    at: '20m',
    fires: [{ labels: TARGET }],
  },
  {
    alert: 'LifeboatCatalogStale',
    name: 'the catalog never loaded (its age has no series yet)',
    series: [s('lifeboat_catalog_staleness_bound_seconds', {}, '600x30'), s('lifeboat_catalog_loaded', {}, '0x30')],
    at: '20m',
    fires: [{ labels: TARGET }],
  },
  {
    alert: 'LifeboatCatalogStale',
    name: 'the catalog is 300 s old, its bound 600 s',
    series: [
      s('lifeboat_catalog_age_seconds', {}, '300x30'),
      s('lifeboat_catalog_staleness_bound_seconds', {}, '600x30'),
      s('lifeboat_catalog_loaded', {}, '1x30'),
    ],
    at: '20m',
    fires: [],
  },
  {
    alert: 'LifeboatRepositoryUnhealthy',
    name: 'the repository cannot be read for 20 minutes',
    series: [s('lifeboat_repository_healthy', { repository: 'shared' }, '0x30')],
    at: '20m',
    fires: [{ labels: { repository: 'shared' } }],
  },
  {
    alert: 'LifeboatRepositoryUnhealthy',
    name: 'a read failed for 5 minutes, then worked',
    series: [s('lifeboat_repository_healthy', { repository: 'shared' }, '0x5 1x25')],
    at: '20m',
    fires: [],
  },
  {
    alert: 'LifeboatUnknownDecisions',
    name: 'another unknown decision of a cause seen before',
    series: [s('lifeboat_decisions_total', { decision: 'unknown', cause: 'wrong-password' }, '2x10 3x20')],
    at: '12m',
    fires: [{ labels: { cause: 'wrong-password' } }],
  },
  {
    alert: 'LifeboatUnknownDecisions',
    name: 'the first unknown decision of a cause (the counter series starts at 1)',
    series: [
      s('up', {}, '1x30'),
      s('lifeboat_decisions_total', { decision: 'unknown', cause: 'wrong-password' }, '_x10 1x20'),
    ],
    at: '12m',
    fires: [{ labels: { cause: 'wrong-password' } }],
  },
  {
    alert: 'LifeboatUnknownDecisions',
    name: 'a new Prometheus (no history) finds old counts: not taken for a first one',
    series: [
      s('up', {}, '_x10 1x20'),
      s('lifeboat_decisions_total', { decision: 'unknown', cause: 'wrong-password' }, '_x10 3x20'),
    ],
    at: '12m',
    fires: [],
  },
  {
    alert: 'LifeboatUnknownDecisions',
    name: 'restore decisions only; the last unknown one 15 minutes ago',
    series: [
      s('lifeboat_decisions_total', { decision: 'unknown', cause: 'wrong-password' }, '2x5 3x25'),
      s('lifeboat_decisions_total', { decision: 'restore', cause: 'snapshot-found' }, '0+1x30'),
    ],
    at: '20m',
    fires: [],
  },
  {
    alert: 'LifeboatPvcDenied',
    name: 'another denial of a cause seen before',
    series: [s('lifeboat_admission_denials_total', { webhook: 'validate', cause: 'decision-error' }, '1x10 2x20')],
    at: '12m',
    fires: [{ labels: { cause: 'decision-error' } }],
  },
  {
    alert: 'LifeboatPvcDenied',
    name: 'the first denial of a cause (the counter series starts at 1)',
    series: [
      s('up', {}, '1x30'),
      s('lifeboat_admission_denials_total', { webhook: 'validate', cause: 'decision-error' }, '_x10 1x20'),
    ],
    at: '12m',
    fires: [{ labels: { cause: 'decision-error' } }],
  },
  {
    alert: 'LifeboatPvcDenied',
    name: 'a new Prometheus (no history) finds old counts: not taken for a first one',
    series: [
      s('up', {}, '_x10 1x20'),
      s('lifeboat_admission_denials_total', { webhook: 'validate', cause: 'decision-error' }, '_x10 5x20'),
    ],
    at: '12m',
    fires: [],
  },
  {
    alert: 'LifeboatPvcDenied',
    name: 'the last denial 20 minutes ago',
    series: [s('lifeboat_admission_denials_total', { webhook: 'validate', cause: 'decision-error' }, '1x10 2x30')],
    at: '30m',
    fires: [],
  },
  {
    alert: 'LifeboatBreakGlassUsed',
    name: 'break-glass let another PVC through',
    series: [
      s(
        'lifeboat_admission_break_glass_total',
        { webhook: 'validate', cause: 'decision-error', scope: 'global' },
        '1x10 2x20',
      ),
    ],
    at: '12m',
    fires: [{ labels: { scope: 'global', cause: 'decision-error' } }],
  },
  {
    alert: 'LifeboatBreakGlassUsed',
    name: 'break-glass let the first PVC of a cause through (the counter series starts at 1)',
    series: [
      s('up', {}, '1x30'),
      s(
        'lifeboat_admission_break_glass_total',
        { webhook: 'validate', cause: 'decision-error', scope: 'global' },
        '_x10 1x20',
      ),
    ],
    at: '12m',
    fires: [{ labels: { scope: 'global', cause: 'decision-error' } }],
  },
  {
    alert: 'LifeboatBreakGlassUsed',
    name: 'a new Prometheus (no history) finds old counts: not taken for a first one',
    series: [
      s('up', {}, '_x10 1x20'),
      s(
        'lifeboat_admission_break_glass_total',
        { webhook: 'validate', cause: 'decision-error', scope: 'global' },
        '_x10 2x20',
      ),
    ],
    at: '12m',
    fires: [],
  },
  {
    alert: 'LifeboatBreakGlassUsed',
    name: 'the last PVC let through 20 minutes ago',
    series: [
      s(
        'lifeboat_admission_break_glass_total',
        { webhook: 'validate', cause: 'decision-error', scope: 'global' },
        '1x10 2x30',
      ),
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'LifeboatWebhooksMissing',
    name: 'a webhook configuration missing for 15 minutes',
    series: [s('lifeboat_admission_webhooks_registered', {}, '0x20')],
    at: '15m',
    fires: [{ labels: {} }],
  },
  {
    alert: 'LifeboatWebhooksMissing',
    name: 'missing for 5 minutes, then re-applied',
    series: [s('lifeboat_admission_webhooks_registered', {}, '0x5 1x15')],
    at: '15m',
    fires: [],
  },
  {
    alert: 'LifeboatBreakGlassOn',
    name: 'global break-glass on for 20 minutes',
    series: [
      s('lifeboat_break_glass', { scope: 'global' }, '1x30'),
      s('lifeboat_break_glass', { scope: 'namespace' }, '0x30'),
    ],
    at: '20m',
    fires: [{ labels: { scope: 'global' }, value: '1' }],
  },
  {
    alert: 'LifeboatBreakGlassOn',
    name: 'break-glass off',
    series: [
      s('lifeboat_break_glass', { scope: 'global' }, '0x30'),
      s('lifeboat_break_glass', { scope: 'namespace' }, '0x30'),
    ],
    at: '20m',
    fires: [],
  },
];

interface Rule {
  alert: string;
  labels: Labels;
  annotations: Labels;
}

function seriesText(series: Series): string {
  const labels = { ...(series.target ?? TARGET), ...series.labels };
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return `${series.metric}{${body}}`;
}

/** The series must be one lifeboat serves (or Prometheus adds), with exactly its registry labels. */
function shapeProblem(series: Series): string | undefined {
  const found = lookupMetric(series.metric);
  if (!found) return `${series.metric} is not in the metric registry`;
  const own = Object.keys(series.labels ?? {}).sort();
  const expected = [...found.metric.labels, ...found.extraLabels].sort();
  if (own.join() !== expected.join()) return `${series.metric} has labels ${own} where lifeboat serves ${expected}`;
  if (Object.keys(series.target ?? TARGET).some((l) => !TARGET_LABELS.includes(l))) return 'unknown target label';
  return undefined;
}

/** The rule's annotation template with the alert's labels and rendered value filled in. */
function fill(template: string, labels: Labels, value: string | undefined, where: string): string {
  return template.replace(/\{\{\s*(\$labels\.(\w+)|\$value[^}]*)\s*\}\}/g, (_m, _all, label: string | undefined) => {
    if (label !== undefined) return labels[label] ?? '';
    if (value === undefined) throw new Error(`${where}: the annotations render $value: give the case a value`);
    return value;
  });
}

/** promtool's rule test file for the cases: one evaluation interval per file. */
function promtoolFile(rules: Map<string, Rule>, cases: Case[], evaluationInterval: string): unknown {
  return {
    rule_files: [RULES],
    evaluation_interval: evaluationInterval,
    tests: cases.map((c) => {
      const rule = rules.get(c.alert);
      if (!rule) throw new Error(`case "${c.name}" is for ${c.alert}, which the rendered rules do not have`);
      const where = `${c.alert}: ${c.name}`;
      return {
        name: where,
        interval: c.days ? '5m' : '1m',
        input_series: c.series.map((series) => ({ series: seriesText(series), values: series.values })),
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: c.alert,
            exp_alerts: c.fires.map((f) => ({
              exp_labels: { ...f.labels, ...rule.labels },
              exp_annotations: Object.fromEntries(
                Object.entries(rule.annotations).map(([k, v]) => [k, fill(v, f.labels, f.value, where)]),
              ),
            })),
          },
        ],
      };
    }),
  };
}

describe('alerts evaluated by promtool test rules', () => {
  let dir: string;
  let rules: Map<string, Rule>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-alerts-'));
    const file = parse(await readFile(RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
    rules = new Map(file.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every rendered alert has a case where it fires and one where it does not', () => {
    const lacking: string[] = [];
    for (const alert of rules.keys()) {
      const cases = CASES.filter((c) => c.alert === alert);
      if (!cases.some((c) => c.fires.length > 0)) lacking.push(`${alert} has no case where it fires`);
      if (!cases.some((c) => c.fires.length === 0)) lacking.push(`${alert} has no case where it stays quiet`);
    }
    for (const c of CASES) if (!rules.has(c.alert)) lacking.push(`"${c.name}" is for ${c.alert}: no such alert`);
    assert.deepEqual(lacking, [], 'add the cases to CASES in test/integration/alerts-promtool.test.ts');
  });

  it('every input series is shaped as lifeboat serves it', () => {
    const problems = CASES.flatMap((c) => c.series.map(shapeProblem).filter((p) => p !== undefined));
    assert.deepEqual(problems, []);
  });

  it('promtool finds every case as expected', async () => {
    const files = [
      ['minutes', CASES.filter((c) => !c.days), '1m'],
      ['days', CASES.filter((c) => c.days), '15m'],
    ] as const;
    for (const [name, cases, every] of files) {
      // JSON is YAML: promtool reads it as its rule test file.
      await writeFile(join(dir, `${name}.test.yaml`), JSON.stringify(promtoolFile(rules, [...cases], every), null, 1));
    }
    const args = ['test', 'rules', ...files.map(([name]) => join(dir, `${name}.test.yaml`))];
    const result = await run(binary('promtool'), args, { maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => ({ ok: true, out: r.stdout + r.stderr }),
      (e: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        out: `${e.stdout ?? ''}${e.stderr ?? e.message}`,
      }),
    );
    assert.ok(
      result.ok,
      `promtool test rules failed (each failure names its case as "<alert>: <case>"):\n${result.out}`,
    );
    assert.equal(result.out.match(/SUCCESS/g)?.length, files.length, result.out);
  });
});
