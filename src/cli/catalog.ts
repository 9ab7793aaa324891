/**
 * `lifeboat catalog`: every PVC found in the repository — Kopia: each source that follows the identity template;
 * restic: each repository below the template's base — with its decision and snapshots, as a table (default) or
 * JSON. Exit status 0 when everything could be read, 2 when some repository (or the discovery) failed, 1 for bad
 * input. Problems go to stderr in table mode and into the JSON otherwise.
 */
import type { Command } from 'commander';
import { Catalog } from '../catalog/catalog.ts';
import type { RepositoryHealth } from '../catalog/health.ts';
import { type Decision, decide } from '../decision/decide.ts';
import { repositoryReport, repositoryReportLines } from '../status/repository-report.ts';
import { EXIT_UNKNOWN, snapshotJson } from './check.ts';
import type { Io } from './program.ts';
import {
  addRepositoryOptions,
  buildSource,
  type Env,
  exitWith,
  parseDurationFlag,
  type RepositoryFlags,
  resolveRepository,
  usage,
} from './repository-options.ts';

interface CatalogFlags extends RepositoryFlags {
  timeout: string;
  output: string;
  concurrency: string;
}

interface Row {
  namespace: string;
  pvc: string;
  source: string;
  decision: Decision;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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
  if (flags.output !== 'table' && flags.output !== 'json') {
    throw usage(`unknown --output "${flags.output}": use table or json`);
  }
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw usage(`--concurrency "${flags.concurrency}" must be a whole number of at least 1`);
  }
  const settings = resolveRepository(flags, env);
  const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
  const source = buildSource(settings, env);
  const catalog = new Catalog({ source, refreshTimeoutMs: timeoutMs, concurrency });
  try {
    const report = await catalog.refresh();
    const nowMs = catalog.now();
    const rows: Row[] = catalog.pvcs().map((ref) => {
      const facts = catalog.facts(ref);
      return {
        namespace: ref.namespace,
        pvc: ref.pvc,
        source: facts.source,
        decision: decide({ facts, nowMs, staleAfterMs: catalog.staleAfterMs }),
      };
    });
    const health = catalog.health();
    const unmatched = catalog.unmatchedSources();
    const known = rows.map((r) => ({ namespace: r.namespace, pvc: r.pvc }));
    const repository = repositoryReport(
      {
        identity: catalog.identityStatus(),
        health,
        unmatched: catalog.unmatchedDetails(),
        shared: !source.perPvcRepositories,
      },
      known,
      (id) => `--expected-id ${id}`,
    );
    const unmatchedDetails = repository.unmatched;
    if (flags.output === 'json') {
      const out = {
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
        unmatched: unmatchedDetails,
        repositories: health.map(healthJson),
        ...(report.discoveryFailure
          ? { discoveryError: { code: report.discoveryFailure.code, message: report.discoveryFailure.message } }
          : {}),
      };
      io.out(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const header = ['NAMESPACE', 'PVC', 'DECISION', 'SNAPSHOTS', 'NEWEST', 'CAUSE'];
      const lines = rows.map((r) => [
        r.namespace,
        r.pvc,
        r.decision.decision,
        String(r.decision.snapshots.length),
        r.decision.newest?.time ?? '-',
        r.decision.cause,
      ]);
      io.out(`${table([header, ...lines])}\n`);
      if (rows.length === 0 && report.result === 'success') io.err(`no PVCs found in ${source.description}\n`);
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
    return report.result === 'success' ? 0 : EXIT_UNKNOWN;
  } finally {
    await catalog.stop();
    source.close();
  }
}

export function registerCatalogCommand(program: Command, io: Io, env: Env = process.env): void {
  addRepositoryOptions(
    program
      .command('catalog')
      .description(
        'list every PVC found in the repository with its snapshots and decision\n' +
          '(exit status 0: all read, 2: some repository could not be read, 1: bad input)',
      ),
  )
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--timeout <duration>', 'bound on reading everything', '5m')
    .option('--concurrency <n>', 'restic repositories read at once', '4')
    .action(async (flags: CatalogFlags) => {
      const status = await runCatalog(flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
