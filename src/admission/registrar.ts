/**
 * The leader's upkeep of the two webhook configurations.
 *
 * The Helm chart (or `lifeboat manifests`) creates them; the leader keeps their `caBundle` and spec current with
 * server-side apply. Deleting both configurations by hand is the documented last resort when admission blocks the
 * cluster (docs/design.md#webhook-outage), so a configuration that disappears while lifeboat runs is never
 * re-created by lifeboat: an administrator's emergency deletion stays in effect until the chart is synced again. The
 * gap is not silent, though: the gauge `lifeboat_admission_webhooks_registered` drops to 0 and the alert
 * `LifeboatWebhooksMissing` fires, because without the configurations nothing stops a labelled PVC from starting
 * empty.
 *
 * Only the first pass of a leadership term may create them, for runs without the chart (a development cluster with
 * an administrator's kubeconfig). With the chart's RBAC (no `create` on webhook configurations) that first pass reports
 * the missing configurations instead.
 */
import type { Registry } from 'prom-client';
import type { KubeClient } from '../kube/client.ts';
import { describeKubeError } from '../kube/errors.ts';
import type { Logger } from '../kube/log.ts';
import { removeWebhookRegistrationGauge, webhookRegistrationGauge } from './metrics.ts';
import { applyWebhookConfigurations, type WebhookRegistrationOptions, webhookConfigurations } from './registration.ts';

export type RegistrationState = 'registered' | 'missing' | 'failed';

export interface WebhookRegistrarOptions {
  kube: KubeClient;
  registry: Registry;
  logger: Logger;
  /** The configurations as they should be now (current CA bundle), or undefined while no certificate exists yet. */
  desired: () => WebhookRegistrationOptions | undefined;
}

export class WebhookRegistrar {
  readonly #opts: WebhookRegistrarOptions;
  #mayCreate = true;
  #state: RegistrationState | undefined;

  constructor(opts: WebhookRegistrarOptions) {
    this.#opts = opts;
  }

  /** A new leadership term: its first pass may create missing configurations again. */
  begin(): void {
    this.#mayCreate = true;
  }

  /** One pass: repair what exists, create only on the first pass of a term, report what is missing. */
  async pass(): Promise<RegistrationState> {
    const options = this.#opts.desired();
    if (!options) return this.#report('failed', 'no serving certificate yet');
    const { kube } = this.#opts;
    try {
      const wanted = webhookConfigurations(options);
      const missing: string[] = [];
      for (const object of [wanted.mutating, wanted.validating]) {
        const live = await kube.get({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name });
        if (!live) missing.push(`${object.kind}/${object.metadata.name}`);
      }
      if (missing.length > 0 && !this.#mayCreate) {
        return this.#report(
          'missing',
          `${missing.join(' and ')} ${missing.length > 1 ? 'were' : 'was'} deleted; lifeboat does not re-create ` +
            'webhook configurations (an emergency deletion stays in effect), so labelled PVCs are created without ' +
            'a restore decision. Sync the Helm chart (or apply `lifeboat manifests`) to restore admission.',
        );
      }
      try {
        await applyWebhookConfigurations(kube, wanted);
      } catch (error) {
        if (missing.length > 0 && describeKubeError(error).status === 403) {
          this.#mayCreate = false;
          return this.#report(
            'missing',
            `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist and lifeboat may not create ` +
              'webhook configurations (its RBAC grants get and patch only). Install them with the Helm chart or ' +
              '`lifeboat manifests`; lifeboat then keeps their caBundle current.',
          );
        }
        throw error;
      }
      this.#mayCreate = false;
      return this.#report('registered');
    } catch (error) {
      return this.#report('failed', `webhook registration failed; retrying: ${describeKubeError(error).message}`);
    }
  }

  /** Leadership ended: this replica no longer speaks for the configurations. */
  end(): void {
    this.#state = undefined;
    removeWebhookRegistrationGauge(this.#opts.registry);
  }

  #report(state: RegistrationState, message?: string): RegistrationState {
    // A failed pass says nothing about the configurations: the gauge keeps its last known value.
    if (state !== 'failed') webhookRegistrationGauge(this.#opts.registry).set(state === 'registered' ? 1 : 0);
    const changed = state !== this.#state;
    this.#state = state;
    const log = this.#opts.logger;
    if (state === 'failed') log.warn(message ?? 'webhook registration failed');
    else if (changed && state === 'missing') log.warn(message ?? 'webhook configurations missing');
    else if (changed) log.info('webhook configurations registered');
    return state;
  }
}
