/**
 * `lifeboat serve-catalog`: the HTTP API alone (`/exists`, `/healthz`, `/readyz`, `/metrics`), a drop-in for
 * PVC Plumber for users who only want the checker. Settings come from flags, else from a lifeboat config file
 * (`repository` and `catalog` sections), else from the environment and defaults. It starts serving before the first
 * refresh ends (`/readyz` says when answers are meaningful), never exits on backend errors (they make answers
 * unknown, docs/design.md#credentials-that-crash-the-process), and shuts down gracefully on SIGTERM or SIGINT.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Catalog, DEFAULTS } from '../catalog/catalog.ts';
import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';
import { createCatalogServer } from '../http/server.ts';
import { usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  parseDurationFlag,
  type RepositoryFlags,
  type RepositorySettings,
  resolveRepository,
} from './repository-options.ts';

interface ServeFlags extends RepositoryFlags {
  listen: string;
  config?: string;
  refreshInterval?: string;
  staleness?: string;
  lookupTimeout?: string;
  concurrency?: string;
}

export interface ServeCatalogSettings {
  repository: RepositorySettings;
  host: string;
  port: number;
  refreshIntervalMs: number;
  staleAfterMs: number;
  lookupTimeoutMs: number;
  concurrency: number;
}

/** `0.0.0.0:8080`, `127.0.0.1:0`, `[::]:8080`, `:8080` (every interface). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw usage(`--listen "${text}" is not host:port: write it like 0.0.0.0:8080 or [::]:8080`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function resolveServeSettings(flags: ServeFlags, env: Env): ServeCatalogSettings {
  let fallback: Partial<RepositorySettings> = {};
  let configured: { refreshIntervalMs?: number; staleAfterMs?: number } = {};
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (error) {
      throw usage(`cannot read --config ${flags.config}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    try {
      const config = loadConfig(text, flags.config);
      fallback = {
        backend: config.repository.backend,
        identity: config.repository.identity,
        ...(config.repository.url ? { repository: config.repository.url } : {}),
      };
      configured = { refreshIntervalMs: config.catalog.refreshInterval, staleAfterMs: config.catalog.staleAfter };
    } catch (error) {
      if (error instanceof ConfigError) throw usage(error.message);
      throw error;
    }
  }
  const repository = resolveRepository(flags, env, fallback);
  const concurrency = flags.concurrency === undefined ? DEFAULTS.concurrency : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw usage(`--concurrency "${flags.concurrency}" must be a whole number of at least 1`);
  }
  const settings: ServeCatalogSettings = {
    repository,
    ...parseListen(flags.listen),
    refreshIntervalMs: flags.refreshInterval
      ? parseDurationFlag('--refresh-interval', flags.refreshInterval)
      : (configured.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs),
    staleAfterMs: flags.staleness
      ? parseDurationFlag('--staleness', flags.staleness)
      : (configured.staleAfterMs ?? DEFAULTS.staleAfterMs),
    lookupTimeoutMs: flags.lookupTimeout
      ? parseDurationFlag('--lookup-timeout', flags.lookupTimeout)
      : DEFAULTS.lookupTimeoutMs,
    concurrency,
  };
  if (settings.staleAfterMs <= settings.refreshIntervalMs) {
    throw usage(
      `--staleness (${settings.staleAfterMs} ms) must be longer than --refresh-interval (${settings.refreshIntervalMs} ms), ` +
        'or every answer turns unknown between two refreshes',
    );
  }
  return settings;
}

/** Serves until `signal` aborts, then drains requests and stops the catalog. */
export async function serveCatalog(
  settings: ServeCatalogSettings,
  env: Env,
  io: Io,
  signal: AbortSignal,
): Promise<void> {
  const log = (line: string) => io.err(`${new Date().toISOString()} serve-catalog: ${line}\n`);
  const source = buildSource(settings.repository, env);
  const catalog = new Catalog({
    source,
    refreshIntervalMs: settings.refreshIntervalMs,
    staleAfterMs: settings.staleAfterMs,
    lookupTimeoutMs: settings.lookupTimeoutMs,
    concurrency: settings.concurrency,
  });
  let lastResult = 'success';
  catalog.addListener({
    refreshed(report) {
      if (report.result !== 'success') {
        if (report.discoveryFailure)
          log(`listing repositories failed: ${report.discoveryFailure.code}: ${report.discoveryFailure.message}`);
        const failing = catalog.health().filter((h) => !h.healthy && h.lastError);
        for (const h of failing.slice(0, 5)) log(`${h.repository}: ${h.lastError?.code}: ${h.lastError?.message}`);
        if (failing.length > 5) log(`… and ${failing.length - 5} more failing repositories`);
      } else if (lastResult !== 'success') {
        log('refresh succeeded again: every repository was read');
      }
      lastResult = report.result;
    },
  });
  const server = createCatalogServer({ catalog, log });
  try {
    const address = await server.listen(settings.host, settings.port).catch((error: NodeJS.ErrnoException) => {
      // A taken or forbidden --listen address is the user's to change.
      throw usage(`cannot listen on --listen ${settings.host}:${settings.port}: ${error.code ?? error.message}`);
    });
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    log(`listening on http://${host}:${address.port} for ${source.description} (backend ${source.backend})`);
    catalog.start();
    if (!signal.aborted)
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    log('shutting down');
  } finally {
    await server.close();
    await catalog.stop();
    source.close();
  }
}

export function registerServeCatalogCommand(program: Command, io: Io, env: Env = process.env): void {
  addRepositoryOptions(
    program
      .command('serve-catalog')
      .description(
        'serve the PVC Plumber compatible HTTP API (/exists/{namespace}/{pvc}, /healthz, /readyz, /metrics) from ' +
          'the repository catalog alone; stops gracefully on SIGTERM',
      ),
  )
    .option('--listen <host:port>', 'address to serve on', '0.0.0.0:8080')
    .option('--config <file>', 'lifeboat config file: its repository and catalog sections supply the defaults')
    .option(
      '--refresh-interval <duration>',
      `pause between catalog refreshes (default ${DEFAULTS.refreshIntervalMs / 1000}s)`,
    )
    .option(
      '--staleness <duration>',
      `answers from older data become unknown (default ${DEFAULTS.staleAfterMs / 60_000}m)`,
    )
    .option(
      '--lookup-timeout <duration>',
      `bound on reading one restic PVC repository on demand (default ${DEFAULTS.lookupTimeoutMs / 1000}s)`,
    )
    .option('--concurrency <n>', `restic repositories read at once during a refresh (default ${DEFAULTS.concurrency})`)
    .action(async (flags: ServeFlags) => {
      const settings = resolveServeSettings(flags, env);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        await serveCatalog(settings, env, io, stop.signal);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
