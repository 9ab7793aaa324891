/**
 * `lifeboat catalog`: every PVC found in the repository — Kopia: each source that follows the identity template;
 * restic: each repository below the template's base — with its decision and snapshots, as a table (default; `wide`
 * adds the source and the snapshot size), JSON or YAML. Exit status 0 when everything could be read, 2 when some
 * repository (or the discovery) failed, 1 for bad input. Problems go to stderr in table mode and into the data
 * otherwise. The repository comes from flags, the environment or --config, as for `lifeboat check`.
 */
import type { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import type { RepositoryHealth } from '../catalog/health.ts';
import { type Decision, decide } from '../decision/decide.ts';
import { repositoryReport, repositoryReportLines } from '../status/repository-report.ts';
import { snapshotJson } from './check.ts';
import {
  addKubeOptions,
  configuredIdentity,
  type KubeFlags,
  optionalCluster,
  repositoryAccess,
} from './cluster-context.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatTable, outputOption, printData } from './output.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  parseDurationFlag,
  passwordRemedies,
  type RepositoryFlags,
} from './repository-options.ts';

interface CatalogFlags extends RepositoryFlags, KubeFlags {
  timeout: string;
  output: string;
  concurrency: string;
  namespace?: string;
  config?: string;
}

interface Row {
  namespace: string;
  pvc: string;
  source: string;
  decision: Decision;
}

function healthJson(h: RepositoryHealth) {
  return {
    repository: h.repository,
    healthy: h.healthy,
    ...(h.exists !== undefined ? { exists: h.exists } : {}),
    ...(h.repositoryId ? { repositoryId: h.repositoryId } : {}),
    ...(h.snapshotCount !== undefined ? { snapshots: h.snapshotCount } : {}),
    ...(h.lastError && !h.healthy ? { error: { code: h.lastError.code, message: h.lastError.message } } : {}),
  };
}

export async function runCatalog(flags: CatalogFlags, io: Io, env: Env): Promise<number> {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw usage(`--concurrency "${flags.concurrency}" must be a whole number of at least 1`);
  }
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  const cluster = optionalCluster(flags, env, io);
  let catalog: Catalog | undefined;
  try {
    const access = await repositoryAccess(flags, env, io, cluster);
    const source = buildSource(access.settings, access.env);
    // The config's expectedId / firstInstall apply as in `lifeboat check` and `lifeboat run`.
    catalog = new Catalog({
      source,
      refreshTimeoutMs: timeoutMs,
      concurrency,
      identity: configuredIdentity(cluster?.config.repository),
    });
    const report = await catalog.refresh();
    const nowMs = catalog.now();
    const remedies = passwordRemedies(access.settings);
    const rows: Row[] = catalog
      .pvcs()
      .filter((ref) => flags.namespace === undefined || ref.namespace === flags.namespace)
      .map((ref) => {
        const facts = (catalog as Catalog).facts(ref);
        return {
          namespace: ref.namespace,
          pvc: ref.pvc,
          source: facts.source,
          decision: decide({ facts, nowMs, staleAfterMs: (catalog as Catalog).staleAfterMs, remedies }),
        };
      });
    const health = catalog.health();
    const unmatched = catalog.unmatchedSources();
    const known = rows.map((r) => ({ namespace: r.namespace, pvc: r.pvc }));
    // A conflict here can only be with repository.expectedId of --config (a command records no identity).
    const repository = repositoryReport(catalog.repositoryFacts(), known, (id) => `set repository.expectedId: ${id}`);
    const data = {
      backend: source.backend,
      description: source.description,
      pvcs: rows.map((r) => ({
        namespace: r.namespace,
        pvc: r.pvc,
        source: r.source,
        decision: r.decision.decision,
        authoritative: r.decision.authoritative,
        cause: r.decision.cause,
        ...(r.decision.authoritative ? {} : { error: r.decision.message }),
        snapshots: r.decision.snapshots.map(snapshotJson),
        ...(r.decision.newest ? { newest: snapshotJson(r.decision.newest) } : {}),
      })),
      unmatchedSources: unmatched,
      unmatched: repository.unmatched,
      repositories: health.map(healthJson),
      ...(report.discoveryFailure
        ? { discoveryError: { code: report.discoveryFailure.code, message: report.discoveryFailure.message } }
        : {}),
    };
    printData(io, flags.output, data, (wide) => `${catalogTable(rows, wide)}\n`);
    if (flags.output === 'table' || flags.output === 'wide') {
      const where = flags.namespace === undefined ? '' : ` in namespace ${flags.namespace}`;
      if (rows.length === 0 && report.result === 'success') io.err(`no PVCs found${where} in ${source.description}\n`);
      if (report.discoveryFailure) {
        io.err(
          `listing the repositories failed: ${report.discoveryFailure.code}: ${report.discoveryFailure.message}\n`,
        );
      }
      for (const h of health) {
        if (!h.healthy && h.lastError) io.err(`${h.repository}: ${h.lastError.code}: ${h.lastError.message}\n`);
      }
      if (repository.repositories.some((r) => r.id)) {
        io.err('for a rebuilt cluster, copy the repository ID into repository.expectedId in the config\n');
      }
      if (unmatched.length > 0) {
        io.err(`${unmatched.length} source(s) do not follow the identity template (--identity changes the template)\n`);
      }
      for (const line of repositoryReportLines(repository)) io.err(`${line}\n`);
    }
    return report.result === 'success' ? EXIT.ok : EXIT.unknown;
  } finally {
    await catalog?.stop();
    catalog?.source.close();
    cluster?.kube?.close();
  }
}

function catalogTable(rows: readonly Row[], wide: boolean): string {
  const header = ['NAMESPACE', 'PVC', 'DECISION', 'SNAPSHOTS', 'NEWEST', 'CAUSE', ...(wide ? ['SIZE', 'SOURCE'] : [])];
  const lines = rows.map((r) => [
    r.namespace,
    r.pvc,
    r.decision.decision,
    String(r.decision.snapshots.length),
    r.decision.newest?.time ?? '-',
    r.decision.cause,
    ...(wide ? [r.decision.newest?.sizeBytes === undefined ? '-' : String(r.decision.newest.sizeBytes), r.source] : []),
  ]);
  return formatTable([header, ...lines]);
}

export function registerCatalogCommand(program: Command, io: Io, env: Env = process.env): void {
  addRepositoryOptions(
    addKubeOptions(
      program
        .command('catalog')
        .description(
          'list every PVC found in the repository with its snapshots and decision (exit status 0: all read, ' +
            '2: some repository could not be read, 1: bad input)',
        )
        .option(
          '--config <file>',
          'lifeboat config file (as `lifeboat run` uses it): repository backend, location, identity and credentials Secret',
        ),
    ),
  )
    .option('-n, --namespace <namespace>', 'only PVCs of this namespace')
    .addOption(outputOption(['table', 'wide', 'json', 'yaml']))
    .option('--timeout <duration>', 'bound on reading everything', '5m')
    .option('--concurrency <n>', 'restic repositories read at once', '4')
    .action(async (flags: CatalogFlags) => {
      const status = await runCatalog(flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
