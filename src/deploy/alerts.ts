/**
 * lifeboat's alerts, as data: the chart's optional PrometheusRule and docs/troubleshooting.md are built from this one
 * list. Every expression reads only metrics of the registry (metric-names.ts); alerts marked `planned` read metrics
 * that are designed but not exported yet and are left out of the rendered rules until they are (an alert over a
 * series that never exists would be a silent promise).
 *
 * Why these (docs/design.md#webhook-outage, #cleanup-that-silently-did-nothing, #the-wrong-artefact-shipped,
 * #credentials-that-crash-the-process, #authoritative-no-over-existing-data, #stale-restore): a broken lifeboat,
 * denials and unknown decisions must be seen within
 * minutes; a guard trip or a stale catalog needs a human; a backup that stopped or a restore point that fell behind
 * is the failure users notice last.
 */
import { JOB } from './metric-names.ts';

export type Severity = 'critical' | 'warning';

export interface AlertDefinition {
  alert: string;
  expr: string;
  /** Prometheus duration the condition must hold before the alert fires. */
  for: string;
  severity: Severity;
  summary: string;
  description: string;
  /** Reads metrics from the PLANNED list: documented, not rendered. */
  planned?: true;
}

export interface AlertGroup {
  name: string;
  alerts: AlertDefinition[];
}

const job = `job="${JOB}"`;
/**
 * "The counter went up within `window`", summed by `by`. A counter with labels is created by its first increment, so
 * its first series appears at 1, and increase() counts nothing in a series' first sample: the first denial (or unknown
 * decision, or break-glass admission) of a cause since the process started would never fire. A series that exists now
 * and did not a window ago is such a first increment — provided Prometheus was scraping lifeboat a window ago: a new or
 * restarted Prometheus has no history, and without that condition it would take every series for new. What remains: a
 * target unreachable for longer than Prometheus's lookback (5 minutes) while Prometheus kept running makes its series
 * look new for one window. A missed first denial is worse than that. (test/integration/alerts-promtool.test.ts holds
 * these cases.)
 */
const increasedWithin = (selector: string, window: string, by: string) =>
  `sum by (${by}) (increase(${selector}[${window}])) > 0 ` +
  `or (sum by (${by}) (${selector} unless ${selector} offset ${window}) > 0 ` +
  `and on () count(up{${job}} offset ${window}) > 0)`;
/** Twice the tier's interval: one late or missed run is tolerated, two are not. */
const tierTolerance = '2 * max by (tier) (lifeboat_tier_backup_interval_seconds)';

export const ALERT_GROUPS: readonly AlertGroup[] = [
  {
    name: 'lifeboat.availability',
    alerts: [
      {
        alert: 'LifeboatDown',
        expr: `absent(up{${job}} == 1)`,
        for: '5m',
        severity: 'critical',
        summary: 'No lifeboat replica is up',
        description:
          'Prometheus has not scraped a healthy lifeboat replica for 5 minutes. Nothing reconciles labelled PVCs, and ' +
          'with the webhook enabled (failurePolicy Fail) labelled PVCs cannot be created.',
      },
      {
        alert: 'LifeboatNoLeader',
        expr: `max(lifeboat_leader{${job}}) < 1`,
        for: '5m',
        severity: 'warning',
        summary: 'lifeboat replicas run but none holds the controller Lease',
        description:
          'No replica has reconciled for 5 minutes: new labelled PVCs get no backup objects and label changes are not acted on.',
      },
      {
        alert: 'LifeboatReconcileErrors',
        expr:
          `sum(rate(controller_runtime_reconcile_errors_total{${job},controller="pvc"}[15m])) ` +
          `/ sum(rate(controller_runtime_reconcile_total{${job},controller="pvc"}[15m])) > 0.2`,
        for: '15m',
        severity: 'warning',
        summary: 'More than 20% of PVC reconciliations fail',
        description:
          '{{ $value | humanizePercentage }} of PVC reconciliations failed over 15 minutes; see the lifeboat logs and the Events on the PVCs.',
      },
      {
        alert: 'LifeboatWebhookCertificateExpiring',
        expr: 'min(lifeboat_admission_certificate_expiry_timestamp_seconds) - time() < 14 * 86400',
        for: '1h',
        severity: 'warning',
        summary: "The webhook's serving certificate expires within 14 days",
        description:
          'The serving certificate expires in {{ $value | humanizeDuration }}. It is renewed at two thirds of its ' +
          'lifetime, so renewal is failing (self-signed mode: the Secret cannot be written; cert-manager: the Certificate is not Ready).',
      },
    ],
  },
  {
    name: 'lifeboat.repository-maintenance',
    alerts: [
      {
        alert: 'LifeboatKopiaMaintenanceFailing',
        expr:
          'max by (kopiamaintenance) (lifeboat_kopia_maintenance_failures) > 0 ' +
          'or max by (kopiamaintenance) (lifeboat_kopia_maintenance_ready) == 0 ' +
          'or max by (state) (lifeboat_kopia_maintenance_plan{state=~"waiting|unsupported"}) == 1',
        for: '1h',
        severity: 'warning',
        summary: 'Full maintenance of the kopia repository is failing or cannot be set up',
        description:
          'Maintenance runs fail ({{ $labels.kopiamaintenance }}), the VolSync fork cannot run the KopiaMaintenance ' +
          '(not Ready: e.g. its Secret is missing), or lifeboat cannot create it ({{ $labels.state }}). Without ' +
          'maintenance, expired snapshots are never garbage-collected and indexes pile up: the repository grows and ' +
          'every read slows down. After 5 failures the fork suspends the CronJob.',
      },
      {
        alert: 'LifeboatKopiaMaintenanceOverdue',
        expr:
          '(time() - (max by (kopiamaintenance) (lifeboat_kopia_maintenance_last_success_timestamp_seconds) ' +
          'or max by (kopiamaintenance) (lifeboat_kopia_maintenance_created_timestamp_seconds))) ' +
          '> max by (kopiamaintenance) (lifeboat_kopia_maintenance_overdue_after_seconds)',
        for: '1h',
        severity: 'warning',
        summary: 'No successful full maintenance of the kopia repository for {{ $value | humanizeDuration }}',
        description:
          'The last successful maintenance of {{ $labels.kopiamaintenance }} (or its creation, when none succeeded) is ' +
          'more than twice its schedule interval ago: runs are missed, suspended, or never finish.',
      },
    ],
  },
  {
    name: 'lifeboat.backups',
    alerts: [
      {
        alert: 'LifeboatBackupMissed',
        expr:
          '(time() - max by (namespace, pvc, tier) (lifeboat_pvc_last_backup_timestamp_seconds)) ' +
          `> on (tier) group_left () (${tierTolerance})`,
        for: '30m',
        severity: 'critical',
        summary: 'PVC {{ $labels.namespace }}/{{ $labels.pvc }} missed its {{ $labels.tier }} backups',
        description:
          'The newest complete backup of {{ $labels.namespace }}/{{ $labels.pvc }} is {{ $value | humanizeDuration }} old, ' +
          'more than twice the interval of tier {{ $labels.tier }}.',
      },
      {
        alert: 'LifeboatRestorePointStale',
        expr: 'sum by (state) (lifeboat_restore_points{state=~"behind|stuck"}) > 0',
        for: '1h',
        severity: 'warning',
        summary: 'Restore points are {{ $labels.state }}',
        description:
          '{{ $value }} restore points have been {{ $labels.state }} for an hour: a recreated PVC would restore data ' +
          'older than its newest backup (docs/design.md#stale-restore); the restore-point sync re-arms behind ones every pass.',
      },
      {
        alert: 'LifeboatRestoreNotVerified',
        expr: 'sum by (outcome) (increase(lifeboat_restores_total{outcome=~"mismatch|empty|unverified|refused"}[1h])) > 0',
        for: '0m',
        severity: 'critical',
        summary: 'A restore did not restore the snapshot admission chose ({{ $labels.outcome }})',
        description:
          'A restored PVC got another snapshot than the one admission pinned, nothing at all, or nothing lifeboat can ' +
          'prove ({{ $labels.outcome }}): the pinned snapshot was removed before the mover ran. A PVC still Pending is ' +
          'held (its restore point withheld); a Bound one may already serve old or empty data to its application. ' +
          'The Warning Event and the lifeboat.dev/restore-verdict annotation on the PVC name it.',
      },
      {
        alert: 'LifeboatRestoreDrillFailed',
        expr: 'max by (namespace, pvc) (lifeboat_restore_drill_failing) > 0',
        for: '0m',
        severity: 'warning',
        summary: 'The last restore drill of {{ $labels.namespace }}/{{ $labels.pvc }} failed',
        description:
          'Restoring the newest backup of {{ $labels.namespace }}/{{ $labels.pvc }} into a scratch volume did not give ' +
          'back what the repository says it holds. The RestoreDrillFailed Event on the PVC and the ' +
          'lifeboat.dev/restore-drill annotation on its persistent ReplicationDestination say why and what to do.',
      },
      {
        alert: 'LifeboatRestoreNotProven',
        // A PVC has one of the two series: its proof's time, or (never proven) when lifeboat began protecting it.
        expr:
          '(time() - max by (namespace, pvc) (lifeboat_restore_proven_timestamp_seconds or ' +
          'lifeboat_restore_unproven_since_timestamp_seconds)) ' +
          '> on () group_left () max(lifeboat_restore_proof_max_age_seconds)',
        for: '1h',
        severity: 'warning',
        summary: 'The backups of {{ $labels.namespace }}/{{ $labels.pvc }} were not proven restorable lately',
        description:
          'No restore drill of {{ $labels.namespace }}/{{ $labels.pvc }} has passed for ' +
          '{{ $value | humanizeDuration }} (since its last passed drill, or since lifeboat began protecting it if none ' +
          'ever passed), more than verify.maxAge: drills fail, do not run (verify.enabled, the caps) or lifeboat has no ' +
          'image to run them with. lifeboat verify {{ $labels.namespace }}/{{ $labels.pvc }} runs one now.',
      },
      {
        alert: 'LifeboatMassDeletionGuardTripped',
        expr: 'max(lifeboat_mass_deletion_guard_tripped) > 0',
        for: '0m',
        severity: 'critical',
        summary: 'The mass-deletion guard holds cleanups back',
        description:
          'More PVCs than the threshold would have lost their restore point or credentials within the window (labels ' +
          'removed by a GitOps prune gone wrong?). Those deletions are held (lifeboat_mass_deletion_guard_held) until ' +
          'an operator confirms the trip on the ConfigMap lifeboat-mass-deletion-guard.',
      },
      {
        alert: 'LifeboatCatalogStale',
        expr: '(lifeboat_catalog_age_seconds > lifeboat_catalog_staleness_bound_seconds) or (lifeboat_catalog_loaded == 0)',
        for: '10m',
        severity: 'critical',
        summary: 'The backup catalog is stale or not loaded',
        description:
          'Restore decisions are unknown while the catalog is older than its staleness bound or not loaded: labelled ' +
          'PVC creations are denied until it refreshes.',
      },
      {
        alert: 'LifeboatRepositoryUnhealthy',
        expr: 'max by (repository) (lifeboat_repository_healthy) == 0',
        for: '10m',
        severity: 'warning',
        summary: 'Repository {{ $labels.repository }} cannot be read',
        description:
          'The last reads of {{ $labels.repository }} failed; decisions for its PVCs are unknown until it can be read.',
      },
      {
        alert: 'LifeboatUnknownDecisions',
        expr: increasedWithin('lifeboat_decisions_total{decision="unknown"}', '5m', 'cause'),
        for: '0m',
        severity: 'critical',
        summary: 'lifeboat cannot tell whether backups exist ({{ $labels.cause }})',
        description:
          'Restore decisions were unknown in the last 5 minutes with cause {{ $labels.cause }}; such PVCs are not ' +
          'created until the cause is fixed (the PVC Plumber alert PVCPlumberUnknownDecisions, docs/design.md#credentials-that-crash-the-process).',
      },
    ],
  },
  {
    name: 'lifeboat.admission',
    alerts: [
      {
        alert: 'LifeboatPvcDenied',
        expr: increasedWithin('lifeboat_admission_denials_total', '10m', 'cause'),
        for: '0m',
        severity: 'warning',
        summary: 'lifeboat denied PVC creations ({{ $labels.cause }})',
        description:
          'PVC creations were denied in the last 10 minutes with cause {{ $labels.cause }}. The denial message on the ' +
          'creating side (kubectl, ArgoCD) names the PVC and the fix.',
      },
      {
        alert: 'LifeboatBreakGlassUsed',
        expr: increasedWithin('lifeboat_admission_break_glass_total', '10m', 'scope, cause'),
        for: '0m',
        severity: 'warning',
        summary: 'Break-glass let PVCs through that lifeboat would have denied ({{ $labels.scope }})',
        description:
          'PVCs were created without a restore decision because break-glass is on ({{ $labels.scope }}, cause ' +
          '{{ $labels.cause }}). They may have started empty over existing backups: check them, then turn break-glass off.',
      },
      {
        alert: 'LifeboatWebhooksMissing',
        expr: 'min(lifeboat_admission_webhooks_registered) == 0',
        for: '10m',
        severity: 'critical',
        summary: "lifeboat's webhook configurations are missing",
        description:
          'A lifeboat webhook configuration has been missing for 10 minutes (deleted by hand, or never installed). ' +
          'lifeboat does not re-create it, so labelled PVCs are created without a restore decision and may start ' +
          'empty over existing backups. Sync the Helm chart (or apply `lifeboat manifests`) once admission may run again.',
      },
      {
        alert: 'LifeboatBreakGlassOn',
        expr: 'max by (scope) (lifeboat_break_glass) > 0',
        for: '15m',
        severity: 'warning',
        summary: 'Break-glass is on ({{ $labels.scope }})',
        description:
          'Break-glass has been on for 15 minutes ({{ $labels.scope }}: {{ $value }}): labelled PVCs are admitted ' +
          'without the fail-closed check. Turn it off once lifeboat answers again.',
      },
    ],
  },
];

/** Every alert, in group order. */
/** The docs/troubleshooting.md heading anchor (GitHub's) of an alert's runbook section. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

/**
 * The `spec` of the PrometheusRule: exported alerts only, each with its severity and a pointer to its runbook.
 * The chart embeds exactly this (deploy/helm/lifeboat/files/alerts.yaml, kept equal by a test).
 */
export function prometheusRuleSpec(): { groups: unknown[] } {
  return {
    groups: ALERT_GROUPS.map((group) => ({
      name: group.name,
      rules: group.alerts
        .filter((a) => !a.planned)
        .map((a) => ({
          alert: a.alert,
          expr: a.expr,
          for: a.for,
          labels: { severity: a.severity },
          annotations: {
            summary: a.summary,
            description: a.description,
            runbook: `docs/troubleshooting.md#${runbookAnchor(a.alert)}`,
          },
        })),
    })).filter((g) => g.rules.length > 0),
  };
}
