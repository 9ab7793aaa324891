/**
 * `lifeboat status`: the protection ledger of the cluster — one row per labelled, exempt or unlabelled-in-an-opted-in-
 * namespace PVC, plus restore points whose PVC is gone — with the planner's verdict, the repository's newest snapshot,
 * the last backup, the restore point and whether it is ready. A table by default, `--output json` for scripts.
 *
 * Exit status: 0; 3 when a protected PVC (among those shown) had no successful backup within its tier's schedule
 * period plus `--grace`, so a script can gate on it; 1 for bad input or an unreachable API server.
 */
import type { Command } from 'commander';
import { detectCapabilities } from '../controller/capabilities.ts';
import { collectLedgerInput } from '../status/collect.ts';
import { filterLedger, parseVerdicts } from '../status/filter.ts';
import { buildLedger } from '../status/ledger.ts';
import { ledgerTable } from '../status/table.ts';
import type { LedgerVerdict } from '../status/types.ts';
import { addClusterOptions, type ClusterFlags, openCatalog, openCluster } from './cluster-context.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatTable, outputOption, printData } from './output.ts';
import { type Env, parseDurationFlag } from './repository-options.ts';

interface StatusFlags extends ClusterFlags {
  namespace?: string;
  verdict?: string;
  output: string;
  grace: string;
  catalog: boolean;
}

export async function runStatus(flags: StatusFlags, io: Io, env: Env): Promise<number> {
  let verdicts: LedgerVerdict[] | undefined;
  try {
    verdicts = flags.verdict === undefined ? undefined : parseVerdicts(flags.verdict);
  } catch (error) {
    throw usage((error as Error).message);
  }
  const graceMs = parseDurationFlag('--grace', flags.grace);
  const ctx = openCluster(flags, 'lifeboat-cli', env);
  let catalog: Awaited<ReturnType<typeof openCatalog>> | undefined;
  try {
    if (flags.catalog) {
      try {
        catalog = await openCatalog(ctx, flags, env, io);
      } catch (error) {
        // The ledger is still worth having without the repository (e.g. no credentials on this workstation).
        io.err(`note: snapshots are not shown: ${(error as Error).message}\n`);
      }
    }
    const input = await collectLedgerInput(ctx.kube, ctx.config, {
      graceMs,
      capabilities: detectCapabilities,
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(catalog ? { catalog: catalog.catalog } : {}),
    });
    const ledger = filterLedger(buildLedger(input), {
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(verdicts ? { verdicts } : {}),
    });
    printData(io, flags.output, ledger, () => {
      const { rows, footer } = ledgerTable(ledger);
      return `${formatTable(rows)}\n${footer}\n`;
    });
    return ledger.summary.stale > 0 ? EXIT.stale : EXIT.ok;
  } finally {
    await catalog?.close();
    await ctx.close();
  }
}

export function registerStatusCommand(program: Command, io: Io, env: Env = process.env): void {
  addClusterOptions(
    program
      .command('status')
      .description(
        'the protection ledger: every PVC lifeboat cares about, its verdict, newest snapshot, last backup and ' +
          'restore point (exit status 0; 3: a protected PVC is stale beyond its tier; 1: bad input; 5: API error)',
      ),
  )
    .option('-n, --namespace <namespace>', 'only this namespace')
    .option(
      '--verdict <list>',
      'only these verdicts (comma-separated): protected, waiting, exempt, conflict, needs-attention, restore-point-only',
    )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .option('--grace <duration>', 'tolerance past the schedule period before a protected PVC counts as stale', '1h')
    .option('--no-catalog', 'do not read the repository (no snapshot facts)')
    .action(async (flags: StatusFlags) => {
      const status = await runStatus(flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
