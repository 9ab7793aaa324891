/**
 * `lifeboat run`: the operator. Every replica serves health and metrics; the replica holding the Lease reconciles
 * PVCs into VolSync objects. Backend or API problems never crash it (lessons F13, F15): it logs, reports and retries.
 * A configuration the cluster cannot run (e.g. the kopia mover on upstream VolSync) stops it at once with the reason.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { ConfigurationError, Operator } from '../controller/operator.ts';
import { createOpsServer } from '../http/ops-server.ts';
import { KubeClient, loadKubeConfig } from '../kube/client.ts';
import { jsonLogger, type LogLevel } from '../kube/log.ts';
import { readConfigFile, usageError } from './config-file.ts';
import type { Io } from './program.ts';

interface RunFlags {
  config?: string;
  kubeconfig?: string;
  listen: string;
  logLevel: string;
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?)?:(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    usageError(`invalid --listen "${value}": use host:port, e.g. 0.0.0.0:8080 or :8080`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

export function registerRun(program: Command, io: Io): void {
  program
    .command('run')
    .description('run the operator: reconcile labelled PVCs into VolSync objects (leader-elected), serve metrics')
    .option('--config <file>', 'lifeboat config file (default: the built-in defaults)')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--listen <host:port>', 'health and metrics endpoint', '0.0.0.0:8080')
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .action(async (flags: RunFlags) => {
      const level = LEVELS.find((l) => l === flags.logLevel);
      if (!level) usageError(`unknown --log-level "${flags.logLevel}": use one of ${LEVELS.join(', ')}`);
      const config = readConfigFile(flags.config);
      const listen = parseListen(flags.listen);
      const logger = jsonLogger({ level, write: io.err, component: 'lifeboat' });
      const kube = new KubeClient(loadKubeConfig(flags.kubeconfig));
      const registry = new Registry();
      const identity = `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
      const operator = new Operator({ kube, config, identity, registry, logger });
      let running = true;
      const ops = createOpsServer({
        registry,
        notReady: () => (running ? undefined : 'shutting down'),
      });
      const address = await ops.listen(listen.host, listen.port);
      logger.info('serving health and metrics', { address: `${address.address}:${address.port}` });

      const stop = async (signal: string) => {
        if (!running) return;
        running = false;
        logger.info('shutting down', { signal });
        await operator.stop();
      };
      const onSignal = (signal: NodeJS.Signals) => void stop(signal);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        // A term ends when leadership is lost or the work failed: exit and let Kubernetes restart the pod, so that
        // nothing of the old term survives into the next (client-go's advice).
        const end = await operator.run();
        if (running) {
          logger.warn('leadership ended; exiting to restart cleanly', { end });
          process.exitCode = 1;
        }
      } catch (error) {
        if (error instanceof ConfigurationError) {
          io.err(`error: the configuration cannot run on this cluster:\n${error.message}\n`);
          process.exitCode = 2;
        } else {
          throw error;
        }
      } finally {
        running = false;
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await operator.stop();
        await ops.close();
        kube.close();
      }
    });
}
