/**
 * `lifeboat restore <namespace>/<pvc> [--as-of <time> | --previous <n> | --snapshot <id>] [--dry-run] [--yes]
 * [--recreate]`: restore a PVC to a chosen snapshot, with a progress line per step (src/restore/runner.ts).
 *
 * Resumable: an interrupted run (Ctrl-C, a lost connection) is continued by running the command again; Ctrl-C
 * releases the lock at once, so the next run need not wait. Exit status 0: restored (or the dry run was shown);
 * 5: refused (the message says why and what to do) or timed out; 1: bad input; 130: interrupted.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { RestoreLocked } from '../restore/request-store.ts';
import { runRestore } from '../restore/runner.ts';
import { parseSelection } from '../restore/select.ts';
import { RestoreRefused } from '../restore/steps.ts';
import { Interrupted, WaitTimeout } from '../restore/wait.ts';
import { addClusterOptions, type ClusterFlags, openCatalog, openCluster } from './cluster-context.ts';
import { EXIT, exitWith, usage } from './exit-codes.ts';
import type { Io } from './io.ts';
import { type Env, parseDurationFlag, parsePvcArgument } from './repository-options.ts';

interface RestoreFlags extends ClusterFlags {
  asOf?: string;
  previous?: string;
  snapshot?: string;
  dryRun?: boolean;
  yes?: boolean;
  recreate?: boolean;
  waitTimeout: string;
  poll: string;
}

/** Asks on the terminal; without one (a script, CI) the answer is no, and the message says to pass --yes. */
async function askOnTerminal(io: Io): Promise<boolean> {
  if (!process.stdin.isTTY) {
    io.err('refusing to delete and restore the PVC without confirmation: pass --yes (or run in a terminal)\n');
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test(
      (await rl.question('Proceed? This deletes the PVC and recreates it from the snapshot. [y/N] ')).trim(),
    );
  } finally {
    rl.close();
  }
}

export async function runRestoreCommand(
  target: string,
  flags: RestoreFlags,
  io: Io,
  env: Env,
  signal?: AbortSignal,
): Promise<number> {
  const ref = parsePvcArgument(target);
  const selection = parseSelection(flags);
  if (typeof selection === 'string') throw usage(selection);
  const pollMs = parseDurationFlag('--poll', flags.poll);
  const waitTimeoutMs = parseDurationFlag('--wait-timeout', flags.waitTimeout);
  const ctx = openCluster(flags, 'lifeboat-cli', env);
  try {
    const { catalog, close } = await openCatalog(ctx, flags, env, io);
    try {
      await runRestore({
        kube: ctx.kube,
        config: ctx.config,
        catalog,
        events: ctx.events,
        namespace: ref.namespace,
        pvc: ref.pvc,
        selection,
        selectionGiven: flags.asOf !== undefined || flags.previous !== undefined || flags.snapshot !== undefined,
        recreate: flags.recreate === true,
        dryRun: flags.dryRun === true,
        ...(flags.yes || flags.dryRun ? {} : { confirm: () => askOnTerminal(io) }),
        progress: (line) => io.out(`${line}\n`),
        ...(signal ? { signal } : {}),
        holderId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        pollMs,
        waitTimeoutMs,
      });
      return 0;
    } finally {
      await close();
    }
  } catch (error) {
    if (error instanceof Interrupted) {
      io.err(`interrupted: run the same command again to continue the restore where it stopped\n`);
      return EXIT.interrupted;
    }
    if (error instanceof RestoreRefused || error instanceof RestoreLocked || error instanceof WaitTimeout) {
      io.err(`error: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    await ctx.close();
  }
}

export function registerRestoreCommand(program: Command, io: Io, env: Env = process.env): void {
  addClusterOptions(
    program
      .command('restore')
      .argument('<namespace/pvc>', 'the PVC to restore, e.g. karakeep/data-pvc')
      .description(
        'restore a PVC to a snapshot: stop its workloads, delete it, let it come back from the restore point, start ' +
          'them again; resumable (run it again after an interruption). Exit status 0: done, 5: refused or timed out, ' +
          '130: interrupted',
      ),
  )
    .option('--as-of <time>', 'the newest snapshot at or before this RFC 3339 time')
    .option('--previous <n>', 'the n-th snapshot before the newest (0 = the newest)')
    .option('--snapshot <id>', 'this snapshot (a unique prefix of its id is enough)')
    .option('--dry-run', 'show what would happen, change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--recreate', 'recreate the PVC from its current spec instead of waiting for GitOps to')
    .option(
      '--wait-timeout <duration>',
      'give up each wait (pods stopping, PVC deleted, PVC restored) after this long',
      '30m',
    )
    .option('--poll <duration>', 'how often to look while waiting', '2s')
    .action(async (target: string, flags: RestoreFlags) => {
      const stop = new AbortController();
      // The first Ctrl-C stops at the next safe point and releases the lock; a second one ends the process.
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const status = await runRestoreCommand(target, flags, io, env, stop.signal);
        if (status !== 0) throw exitWith(status);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
