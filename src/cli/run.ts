/**
 * `lifeboat run`: the operator. Every replica reads the repository catalog, serves the admission webhook (restore
 * or fresh or deny, from memory) and `/exists` + health + metrics; the replica holding the Lease also reconciles PVCs
 * into VolSync objects and keeps the webhook registration current. Backend or API problems never crash it
 * (docs/design.md#credentials-that-crash-the-process): they make the affected answers unknown, are logged and retried.
 * A configuration the cluster cannot run
 * (e.g. the kopia mover on upstream VolSync) stops it at once with the reason.
 *
 * This file only composes: the manager (manager/manager.ts) owns the shared informer cache, the order components
 * start and stop in, readiness, and the bounded graceful stop.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AdmissionRuntime } from '../admission/runtime.ts';
import { Catalog } from '../catalog/catalog.ts';
import { configuredSource } from '../catalog/configured-source.ts';
import type { Env } from '../catalog/environment.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { ConfigurationError, Operator } from '../controller/operator.ts';
import { repositoryIdentityStore } from '../controller/repository-identity-store.ts';
import { destinationInformer, namespaceInformer, secretInformer } from '../controller/watched.ts';
import { auditRoute } from '../http/audit.ts';
import { badRequest, existsAnswer, parseExistsPath } from '../http/exists.ts';
import { CatalogMetrics } from '../http/metrics.ts';
import { createOpsServer } from '../http/ops-server.ts';
import { registerCacheMetrics } from '../kube/cache-metrics.ts';
import { KubeClient, type KubeObject } from '../kube/client.ts';
import { InformerCache } from '../kube/informers.ts';
import { jsonLogger, type Logger, type LogLevel } from '../kube/log.ts';
import { Manager } from '../manager/manager.ts';
import { addKubeOptions, credentialsSecretRef, kubeConnection } from './cluster-context.ts';
import { readConfigFile } from './config-file.ts';
import { EXIT, usageError } from './exit-codes.ts';
import type { Io } from './io.ts';

interface RunFlags {
  config?: string;
  kubeconfig?: string;
  context?: string;
  listen: string;
  webhookListen: string;
  webhookUrl?: string;
  logLevel: string;
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?)?:(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    usageError(`invalid listen address "${value}": use host:port, e.g. 0.0.0.0:8080 or :8080`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

function decode(secret: KubeObject | undefined): Env | undefined {
  const data = (secret as (KubeObject & { data?: Record<string, string> }) | undefined)?.data;
  if (!secret) return undefined;
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** `/exists/{ns}/{pvc}` on the operator's port: PVC Plumber's contract, with the same ledger admission uses. */
function existsRoute(runtime: AdmissionRuntime | undefined, catalog: Catalog, metrics: CatalogMetrics) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/exists' && !pathname.startsWith('/exists/')) return false;
    const parsed = parseExistsPath(pathname);
    const answer =
      'error' in parsed
        ? badRequest(parsed.error)
        : await existsAnswer(catalog, parsed.ref, (ref) => runtime?.decisions.expected(ref.namespace, ref.pvc));
    metrics.recordExists(catalog.source.backend, answer.decision);
    const text = `${JSON.stringify(answer.body)}\n`;
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(text);
    return true;
  };
}

export function registerRun(program: Command, io: Io): void {
  addKubeOptions(
    program
      .command('run')
      .description(
        'run the operator: repository catalog and admission webhook in every replica, reconciliation in the leader',
      )
      .option('--config <file>', 'lifeboat config file (default: the built-in defaults)'),
  )
    .option('--listen <host:port>', 'health, metrics and /exists endpoint', '0.0.0.0:8080')
    .option('--webhook-listen <host:port>', 'admission webhook (HTTPS)', '0.0.0.0:9443')
    .option(
      '--webhook-url <url>',
      'register the webhook at this URL instead of the in-cluster Service (out-of-cluster runs, tests)',
    )
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .action(async (flags: RunFlags) => {
      const level = LEVELS.find((l) => l === flags.logLevel);
      if (!level) usageError(`unknown --log-level "${flags.logLevel}": use one of ${LEVELS.join(', ')}`);
      const config = readConfigFile(flags.config);
      const listen = parseListen(flags.listen);
      const webhookListen = parseListen(flags.webhookListen);
      const secretRef = credentialsSecretRef(config);
      if (config.admission.enabled && !secretRef) {
        usageError(
          'catalog.credentialsSecretRef is required in external-secret mode: name the Secret that holds the repository ' +
            'password (and S3 keys), or set admission.enabled: false',
        );
      }
      const logger = jsonLogger({ level, write: io.err, component: 'lifeboat' });
      await runOperator({ config, flags, listen, webhookListen, secretRef, logger, io });
    });
}

interface RunContext {
  config: LifeboatConfig;
  flags: RunFlags;
  listen: { host: string; port: number };
  webhookListen: { host: string; port: number };
  secretRef: { namespace: string; name: string } | undefined;
  logger: Logger;
  io: Io;
}

async function runOperator(ctx: RunContext): Promise<void> {
  const { config, flags, logger, io, secretRef } = ctx;
  const kube = new KubeClient(kubeConnection(flags));
  const registry = new Registry();
  // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event-loop lag, …: the resource requests are sized
  // from these.
  collectDefaultMetrics({ register: registry });
  const identity = `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;

  // Behind the chart's Service (no --webhook-url), a deleted pod keeps answering for 5 s while the endpoint change
  // reaches kube-proxy: the other replica takes over admission without a refused request in between.
  const manager = new Manager({
    cache: new InformerCache(kube, { logger }),
    logger,
    drainMs: flags.webhookUrl ? 0 : 5000,
  });
  registerCacheMetrics(registry, manager.cache);

  // Every replica: the credentials Secret, the catalog over it, and lifeboat's destinations (ledger, requests).
  const credentials = secretRef ? manager.cache.informer(secretInformer(secretRef)) : undefined;
  const catalog = new Catalog({
    source: configuredSource({
      config,
      secretData: () => decode(credentials?.list()[0]),
      secretName: secretRef ? `${secretRef.namespace}/${secretRef.name}` : '(none)',
    }),
    refreshIntervalMs: config.catalog.refreshInterval,
    staleAfterMs: config.catalog.staleAfter,
    // A first read of one per-PVC repository answers inside admission's 2 s decision budget, so storage that is
    // slow shows as the catalog's own `timeout` cause (a retry reads again), never as a silent wait.
    lookupTimeoutMs: 1_500,
    identity: {
      // Every replica reads the recorded repository identities; only the leader records new ones.
      store: repositoryIdentityStore({ kube, namespace: config.namespace, canWrite: () => operator.isLeader() }),
      ...(config.repository.expectedId ? { expectedId: config.repository.expectedId } : {}),
      firstInstall: config.repository.firstInstall,
    },
  });
  const catalogMetrics = new CatalogMetrics(catalog);
  const destinations = manager.cache.informer(destinationInformer);
  const runtime = config.admission.enabled
    ? new AdmissionRuntime({
        kube,
        config,
        catalog,
        destinations,
        registry,
        cache: manager.cache,
        // The leader's controller watches Namespaces; a follower has no such informer and asks the API server.
        namespaces: () => manager.cache.existing(namespaceInformer),
        listen: ctx.webhookListen,
        ...(flags.webhookUrl ? { endpoint: { url: flags.webhookUrl } } : {}),
        ...(flags.webhookUrl && /^https:\/\/127\.0\.0\.1[:/]/.test(flags.webhookUrl)
          ? { extraIpAddresses: ['127.0.0.1'] }
          : {}),
        logger,
      })
    : undefined;

  manager.add({
    name: 'catalog',
    // The first catalog read must see the credentials Secret (or know it is missing), not race its cache.
    start: async (signal) => {
      await credentials?.waitForSync({ signal });
      catalog.start();
    },
    stop: async () => {
      await catalog.stop();
      catalog.source.close();
    },
    notReady: () =>
      catalog.status().loaded ? undefined : 'the catalog has not finished its first read of the repository yet',
  });
  const audit = auditRoute(
    () => operator.ledger(),
    () =>
      'this replica is not the leader: ask the leader (its pod holds the Lease lifeboat-controller) or run `lifeboat status`',
  );
  const ops = createOpsServer({
    registries: [registry, catalogMetrics.registry],
    notReady: () => (running ? manager.notReady() : 'shutting down'),
    routes: async (req, res) => audit(req, res) || (await existsRoute(runtime, catalog, catalogMetrics)(req, res)),
  });
  manager.add({
    name: 'ops server',
    start: async () => {
      const address = await ops.listen(ctx.listen.host, ctx.listen.port);
      logger.info('serving health, metrics and /exists', { address: `${address.address}:${address.port}` });
    },
    stop: () => ops.close(),
    drain: () => ops.drain(),
  });
  if (runtime) {
    manager.add(
      {
        name: 'admission webhook',
        start: async (signal) => {
          await destinations.waitForSync({ signal });
          await runtime.start();
        },
        stop: () => runtime.stop(),
        drain: () => runtime.drain(),
      },
      runtime.registrationComponent(),
    );
  }
  // Its leader-only components (PVC controller, restore-point sync, repository maintenance) follow the registration.
  // The chart sets LIFEBOAT_IMAGE to the image this pod runs: the restore drills' verification Jobs run it too.
  const drillImage = process.env.LIFEBOAT_IMAGE || undefined;
  const operator = new Operator({
    kube,
    config,
    identity,
    registry,
    logger,
    catalog,
    manager,
    ...(drillImage ? { drillImage } : {}),
  });

  let running = true;
  const stop = async (signal: string) => {
    if (!running) return;
    running = false;
    logger.info('shutting down', { signal });
    // Ends the term (the manager stops the leader-only components), then everything else, in reverse order, all
    // within the manager's one stop budget.
    await Promise.all([operator.stop(), manager.stop()]);
  };
  const onSignal = (signal: NodeJS.Signals) => void stop(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await manager.start();
    // A term ends when leadership is lost or the work failed: exit and let Kubernetes restart the pod, so that
    // nothing of the old term survives into the next (client-go's advice).
    const end = running ? await operator.run() : undefined;
    if (running) {
      logger.warn('leadership ended; exiting to restart cleanly', { end });
      process.exitCode = EXIT.failed;
    }
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.err(`error: the configuration cannot run on this cluster:\n${error.message}\n`);
      process.exitCode = EXIT.failed;
    } else if (running) {
      throw error;
    }
    // Otherwise a start the shutdown aborted (a cache still syncing): not an error.
  } finally {
    running = false;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    const [, clean] = await Promise.all([operator.stop(), manager.stop()]);
    kube.close();
    if (!clean) {
      // Something did not stop within the grace period (it is named in the log above): exit rather than wait for
      // SIGKILL with the pod stuck in Terminating.
      logger.warn('graceful stop incomplete; exiting');
      process.exit(process.exitCode ?? EXIT.failed);
    }
  }
}
