/**
 * The admission webhook as `lifeboat run` runs it, in every replica: the serving certificate (lifeboat's own CA in a
 * Secret, or cert-manager's), the HTTPS server answering from the catalog-backed DecisionSource, and — in the leader
 * only — the Mutating/ValidatingWebhookConfigurations, kept current with the CA bundle.
 *
 * No replica depends on the leader to answer: a follower serves admission from its own catalog and caches. The
 * webhook configurations are registered only after this replica can serve (certificate ready, listening).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { Namespace } from '../intent/resources.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { InformerCache } from '../kube/informers.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import type { Runnable } from '../manager/manager.ts';
import { CatalogDecisions } from './catalog-decisions.ts';
import { WebhookCertificates } from './certificates.ts';
import { cachedNamespaces, type NamespaceStore, namespacesFrom } from './namespace-cache.ts';
import { WebhookRegistrar } from './registrar.ts';
import type { WebhookEndpoint, WebhookRegistrationOptions } from './registration.ts';
import { type AdmissionRequestLog, type AdmissionServer, createAdmissionServer } from './server.ts';

export interface AdmissionRuntimeOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  catalog: Catalog;
  /** lifeboat's ReplicationDestinations by `namespace/name` (ledger and restore requests). */
  destinations: { get(key: string): KubeObject | undefined };
  registry: Registry;
  /** The process's shared cache: the serving certificate's Secret is watched through it. */
  cache: InformerCache;
  /**
   * The shared cache's Namespaces when some component watches them (undefined otherwise): admission reads them there
   * instead of asking the API server per request; see namespace-cache.ts.
   */
  namespaces?: () => NamespaceStore | undefined;
  listen: { host: string; port: number };
  /**
   * How the API server reaches the webhook. Default: the configured Service in lifeboat's namespace. A URL serves
   * out-of-cluster runs and tests (`https://127.0.0.1:9443`).
   */
  endpoint?: WebhookEndpoint;
  /** Names the serving certificate must also cover (e.g. `127.0.0.1` when `endpoint` is a loopback URL). */
  extraIpAddresses?: string[];
  /** Extra routes on the webhook port (e.g. `/exists`), answered when admission's own routes do not match. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean;
  onRequest?: (entry: AdmissionRequestLog) => void;
  logger?: Logger;
  now?: () => number;
}

export class AdmissionRuntime {
  readonly opts: AdmissionRuntimeOptions;
  readonly decisions: CatalogDecisions;
  readonly certificates: WebhookCertificates;
  readonly log: Logger;
  readonly registrar: WebhookRegistrar;
  #server: AdmissionServer | undefined;
  #leading = false;

  constructor(opts: AdmissionRuntimeOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    const { config, kube } = opts;
    this.decisions = new CatalogDecisions({
      catalog: opts.catalog,
      config,
      destinations: opts.destinations,
      ...(opts.now ? { now: opts.now } : {}),
    });
    const service = `${config.admission.service.name}.${config.namespace}`;
    const common = {
      kube,
      namespace: config.namespace,
      secretName: config.admission.certificate.secretName,
      cache: opts.cache,
      logger: this.log,
    };
    this.certificates =
      config.admission.certificate.mode === 'cert-manager'
        ? new WebhookCertificates({ ...common, mode: 'cert-manager' })
        : new WebhookCertificates({
            ...common,
            mode: 'self-signed',
            dnsNames: [`${service}.svc`, `${service}.svc.cluster.local`, service, config.admission.service.name],
            ...(opts.extraIpAddresses ? { ipAddresses: opts.extraIpAddresses } : {}),
          });
    this.registrar = new WebhookRegistrar({
      kube,
      registry: opts.registry,
      logger: this.log,
      desired: () => this.registration(),
    });
  }

  get endpoint(): WebhookEndpoint {
    const { config } = this.opts;
    return (
      this.opts.endpoint ?? {
        service: {
          namespace: config.namespace,
          name: config.admission.service.name,
          port: config.admission.service.port,
        },
      }
    );
  }

  /** Certificate, then listening. Resolves once admission requests can be answered. */
  async start(): Promise<void> {
    const { config, kube } = this.opts;
    this.certificates.start();
    const material = await this.certificates.ready();
    const lookup = namespacesFrom(
      this.opts.namespaces ?? (() => undefined),
      cachedNamespaces(
        async (name) => (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name })) as Namespace | undefined,
      ),
    );
    this.#server = createAdmissionServer({
      config,
      decisions: this.decisions,
      namespaces: lookup,
      breakGlass: () => config.admission.breakGlass,
      tls: { certPem: material.certPem, keyPem: material.keyPem },
      registry: this.opts.registry,
      logger: this.log,
      ...(this.opts.fallback ? { fallback: this.opts.fallback } : {}),
      ...(this.opts.onRequest ? { onRequest: this.opts.onRequest } : {}),
    });
    const address = await this.#server.listen(this.opts.listen.host, this.opts.listen.port);
    this.log.info('serving admission webhooks', { address: `${address.address}:${address.port}` });
    this.certificates.onChange(async (m) => {
      this.#server?.setCertificate({ certPem: m.certPem, keyPem: m.keyPem });
      if (this.#leading) await this.register();
    });
  }

  /** The webhook configurations as they should be now, or undefined before the first certificate. */
  registration(): WebhookRegistrationOptions | undefined {
    const material = this.certificates.current();
    if (!material) return undefined;
    const { config } = this.opts;
    return {
      config,
      endpoint: this.endpoint,
      caBundlePem: material.caBundlePem,
      permissive: config.admission.failurePolicy === 'Ignore',
      mutateTimeoutSeconds: config.admission.timeoutSeconds,
      validateTimeoutSeconds: config.admission.timeoutSeconds,
    };
  }

  /** Leader only: brings the existing configurations up to date (new CA bundle, edited spec); see registrar.ts. */
  async register(): Promise<void> {
    await this.registrar.pass();
  }

  /**
   * The leader's part: keep the registration current (certificate changes re-register at once; a periodic pass repairs
   * a hand-edited configuration and reports a deleted one) until leadership ends.
   */
  async lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    this.registrar.begin();
    await this.register();
    const timer = setInterval(() => void this.register(), 60_000);
    timer.unref();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
    this.#leading = false;
    this.registrar.end();
  }

  /** `lead` as a leader-only component of the manager: it runs from the term's start until the term ends. */
  registrationComponent(): Runnable {
    let leading: Promise<void> | undefined;
    return {
      name: 'webhook registration',
      leaderOnly: true,
      start: async (signal) => {
        leading = this.lead(signal).catch((error: unknown) => {
          this.log.error('keeping the webhook registration current failed', { error: String(error) });
        });
      },
      stop: async () => {
        await leading;
      },
    };
  }

  /** Keeps answering, but ends each client connection after its response (manager `drain`). */
  drain(): void {
    this.#server?.drain();
  }

  async stop(): Promise<void> {
    this.#leading = false;
    await this.#server?.close();
    await this.certificates.stop();
  }
}
