/**
 * `lifeboat sync [<namespace>/<pvc> | --all]`: the restore-point sync of the operator (restore-point-sync.ts), run
 * now from a workstation. It re-arms only restore points that are behind the repository's newest snapshot (or stuck),
 * under the same caps; `--force` re-arms current ones too; `--wait` keeps passing until every sync it can see has
 * completed. Exit status 0: done; 5: an arm failed or a sync did not finish within --wait-timeout; 2: the catalog
 * could not tell for some PVC (nothing was armed for it); 1 for bad input.
 */
import type { Command } from 'commander';
import { RestorePointSync, type SyncOutcome } from '../controller/restore-point-sync.ts';
import { sleep } from '../kube/backoff.ts';
import { addClusterOptions, type ClusterFlags, openCatalog, openCluster } from './cluster-context.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatData, outputOption } from './output.ts';
import { type Env, parseDurationFlag, parsePvcArgument } from './repository-options.ts';

interface SyncFlags extends ClusterFlags {
  all?: boolean;
  force?: boolean;
  wait?: boolean;
  waitTimeout: string;
  poll: string;
  concurrency?: string;
  perRepository?: string;
  output: string;
  namespace?: string;
}

/** The flag's whole number ≥ 1, or `fallback` when the flag is not given. */
function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usage(`${flag} "${text}" must be a whole number of at least 1`);
  return n;
}

function line(o: SyncOutcome): string {
  return `${o.key}  ${o.action}  ${o.message}\n`;
}

export async function runSync(target: string | undefined, flags: SyncFlags, io: Io, env: Env): Promise<number> {
  if ((target === undefined) === !flags.all) throw usage('name one PVC as <namespace>/<pvc>, or pass --all');
  if (flags.namespace !== undefined && !flags.all) {
    throw usage('-n/--namespace narrows --all: name the PVC as <namespace>/<pvc> instead');
  }
  const scope = flags.namespace === undefined ? {} : { namespace: flags.namespace };
  const ref = target === undefined ? undefined : parsePvcArgument(target);
  const only = ref ? new Set([`${ref.namespace}/${ref.pvc}`]) : undefined;
  const waitTimeoutMs = parseDurationFlag('--wait-timeout', flags.waitTimeout);
  const pollMs = parseDurationFlag('--poll', flags.poll);
  const ctx = openCluster(flags, 'lifeboat-cli', env);
  try {
    const { catalog, close } = await openCatalog(ctx, flags, env, io);
    try {
      const sync = new RestorePointSync({
        kube: ctx.kube,
        config: ctx.config,
        catalog,
        events: ctx.events,
        // The flags override the configuration's caps, which the operator's own loop uses.
        concurrency: positiveInt('--concurrency', flags.concurrency, ctx.config.restore.sync.concurrency),
        perRepository: positiveInt('--per-repository', flags.perRepository, ctx.config.restore.sync.perRepository),
        syncTimeoutMs: ctx.config.restore.sync.timeout,
        staggerMs: pollMs,
      });
      const deadline = Date.now() + waitTimeoutMs;
      let report = await sync.runPass({ ...(only ? { only } : {}), ...scope, force: flags.force === true });
      const seen = new Map(report.outcomes.map((o) => [o.key, o]));
      if (flags.output === 'table') for (const o of report.outcomes) io.out(line(o));
      if (only && report.outcomes.length === 0) {
        io.err(`no restore point (persistent ReplicationDestination) found for ${target}: is the PVC protected?\n`);
        return EXIT.failed;
      }
      while (flags.wait && report.pending && Date.now() < deadline) {
        await sleep(pollMs);
        // The catalog is re-read so that a backup landing meanwhile counts; never forced again (that would re-arm a
        // restore point that just completed).
        await catalog.refresh();
        report = await sync.runPass({ ...(only ? { only } : {}), ...scope });
        for (const o of report.outcomes) {
          const before = seen.get(o.key);
          if (flags.output === 'table' && (before?.action !== o.action || before.message !== o.message))
            io.out(line(o));
          seen.set(o.key, o);
        }
      }
      const final = [...seen.values()];
      if (flags.output === 'json' || flags.output === 'yaml') {
        io.out(formatData(flags.output, { outcomes: final, pending: report.pending }));
      }
      if (flags.wait && report.pending) io.err(`still pending after ${flags.waitTimeout}\n`);
      if (final.some((o) => o.action === 'failed')) return EXIT.failed;
      if (final.some((o) => o.action === 'unknown')) return EXIT.unknown;
      return flags.wait && report.pending ? EXIT.failed : EXIT.ok;
    } finally {
      await close();
    }
  } finally {
    await ctx.close();
  }
}

export function registerSyncCommand(program: Command, io: Io, env: Env = process.env): void {
  addClusterOptions(
    program
      .command('sync')
      .argument('[namespace/pvc]', 'the PVC whose restore point to sync, e.g. karakeep/data-pvc')
      .description(
        're-arm restore points (persistent ReplicationDestinations) that are behind the newest snapshot, now ' +
          '(exit status 0: done, 5: a sync could not be armed or did not finish, 2: the catalog could not tell)',
      ),
  )
    .option('--all', 'every restore point in the cluster')
    .option('-n, --namespace <namespace>', 'with --all: only the restore points of this namespace')
    .option('--force', 're-arm even restore points that already hold the newest snapshot (never one in flight)')
    .option('--wait', 'keep going until every sync has completed (or --wait-timeout)')
    .option('--wait-timeout <duration>', 'give up waiting after this long', '1h')
    .option('--poll <duration>', 'between passes while waiting, and between two arms', '10s')
    .option('--concurrency <n>', 'syncs in flight at once in the cluster (default: restore.sync.concurrency, 2)')
    .option('--per-repository <n>', 'syncs in flight at once per repository (default: restore.sync.perRepository, 1)')
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (target: string | undefined, flags: SyncFlags) => {
      const status = await runSync(target, flags, io, env);
      if (status !== 0) throw exitWith(status);
    });
}
