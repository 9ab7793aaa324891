/**
 * Prometheus metrics of the admission webhook, on a registry the caller passes in (never prom-client's global one).
 * Label values are bounded: webhooks and results are fixed sets, causes are sanitised short codes, so a hostile
 * request cannot blow up cardinality.
 *
 * Alert on `lifeboat_admission_denials_total` and `lifeboat_admission_break_glass_total` increasing
 * (docs/design.md#webhook-outage, #credentials-that-crash-the-process:
 * denials and break-glass must be seen within minutes), and on the certificate's expiry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakGlassScope, OutcomeResult } from './outcome.ts';

export type WebhookName = 'mutate' | 'validate';

/** Outcomes of the HTTP exchange itself, beyond the handler's results. */
export type RequestResult = OutcomeResult | 'passed' | 'rejected' | 'invalid' | 'error';

const CAUSE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A cause as a metric label: short codes pass, anything else is `other`. */
export function causeLabel(cause: string): string {
  return CAUSE.test(cause) ? cause : 'other';
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  // Two servers on one registry (tests, or a restart in-process) share the series instead of failing to register.
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class AdmissionMetrics {
  private readonly duration: Histogram<'webhook' | 'result'>;
  private readonly decisions: Counter<'webhook' | 'decision' | 'cause'>;
  private readonly denials: Counter<'webhook' | 'cause'>;
  private readonly breakGlass: Counter<'webhook' | 'cause' | 'scope'>;
  private readonly invalid: Counter<'webhook' | 'result'>;
  private readonly certificateExpiry: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = metric(
      registry,
      'lifeboat_admission_duration_seconds',
      () =>
        new Histogram({
          name: 'lifeboat_admission_duration_seconds',
          help: 'Time from receiving an AdmissionReview to sending the answer, by webhook and result.',
          labelNames: ['webhook', 'result'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
          registers,
        }),
    );
    this.decisions = metric(
      registry,
      'lifeboat_admission_decisions_total',
      () =>
        new Counter({
          name: 'lifeboat_admission_decisions_total',
          help: 'Restore decisions admission acted on, by webhook, result (restore, fresh, unknown) and cause.',
          labelNames: ['webhook', 'decision', 'cause'],
          registers,
        }),
    );
    this.denials = metric(
      registry,
      'lifeboat_admission_denials_total',
      () =>
        new Counter({
          name: 'lifeboat_admission_denials_total',
          help: 'PVC creations denied by lifeboat, by cause. Any increase deserves a look.',
          labelNames: ['webhook', 'cause'],
          registers,
        }),
    );
    this.breakGlass = metric(
      registry,
      'lifeboat_admission_break_glass_total',
      () =>
        new Counter({
          name: 'lifeboat_admission_break_glass_total',
          help: 'PVC creations lifeboat would have denied but allowed because break-glass is on, by cause and scope.',
          labelNames: ['webhook', 'cause', 'scope'],
          registers,
        }),
    );
    this.invalid = metric(
      registry,
      'lifeboat_admission_invalid_requests_total',
      () =>
        new Counter({
          name: 'lifeboat_admission_invalid_requests_total',
          help: 'Requests that were not usable AdmissionReviews of a PVC CREATE (invalid, rejected, passed, error).',
          labelNames: ['webhook', 'result'],
          registers,
        }),
    );
    this.certificateExpiry = metric(
      registry,
      'lifeboat_admission_certificate_expiry_timestamp_seconds',
      () =>
        new Gauge({
          name: 'lifeboat_admission_certificate_expiry_timestamp_seconds',
          help: 'notAfter of the serving certificate in use (Unix time); alert well before it.',
          registers,
        }),
    );
  }

  observe(webhook: WebhookName, result: RequestResult, seconds: number): void {
    this.duration.observe({ webhook, result }, seconds);
    if (result === 'invalid' || result === 'rejected' || result === 'passed' || result === 'error') {
      this.invalid.inc({ webhook, result });
    }
  }

  decision(webhook: WebhookName, decision: string, cause: string): void {
    this.decisions.inc({ webhook, decision, cause: causeLabel(cause) });
  }

  denial(webhook: WebhookName, cause: string): void {
    this.denials.inc({ webhook, cause: causeLabel(cause) });
  }

  brokeGlass(webhook: WebhookName, cause: string, scope: BreakGlassScope): void {
    this.breakGlass.inc({ webhook, cause: causeLabel(cause), scope });
  }

  certificate(notAfter: Date): void {
    this.certificateExpiry.set(notAfter.getTime() / 1000);
  }
}

/**
 * 1 while the leader finds both webhook configurations in place, 0 while one is missing (deleted by hand, or never
 * installed). Registered by the leader's first pass and removed when it stops leading: a gauge without labels would
 * otherwise read 0 on every follower and trip the alert.
 */
export function webhookRegistrationGauge(registry: Registry): Gauge {
  return metric(
    registry,
    'lifeboat_admission_webhooks_registered',
    () =>
      new Gauge({
        name: 'lifeboat_admission_webhooks_registered',
        help: '1 while both webhook configurations exist (leader only), 0 while one is missing.',
        registers: [registry],
      }),
  );
}

export function removeWebhookRegistrationGauge(registry: Registry): void {
  registry.removeSingleMetric('lifeboat_admission_webhooks_registered');
}
