import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { registerCatalogCommand } from './catalog.ts';
import { registerCheckCommand } from './check.ts';
import { registerManifests } from './manifests.ts';
import { registerRender } from './render.ts';
import { registerRestoreCommand } from './restore.ts';
import { registerRun } from './run.ts';
import { registerServeCatalogCommand } from './serve-catalog.ts';
import { registerStatusCommand } from './status.ts';
import { registerSyncCommand } from './sync.ts';

/** Where a command writes; tests pass buffers, `main.ts` passes the process streams. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Builds the `lifeboat` command tree. Each command lives in its own file under `cli/` and registers itself here,
 * so `lifeboat --help` is the one index of what the tool does.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('lifeboat')
    .description(
      'Zero-touch backup and restore for Kubernetes PVCs: one label, VolSync objects generated and kept true, ' +
        'restore decisions read from the Kopia or restic repository itself, fail-closed when the truth is unknown.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run `lifeboat --help` for usage)')
    .exitOverride();

  program
    .command('version')
    .description('print the version of lifeboat and of the Node.js runtime')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((opts: { output: string }) => {
      const info = { lifeboat: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      if (opts.output === 'json') io.out(`${JSON.stringify(info)}\n`);
      else if (opts.output === 'text') io.out(`lifeboat ${info.lifeboat} (node ${info.node}, ${info.platform})\n`);
      else throw new CommanderError(2, 'lifeboat.usage', `unknown --output "${opts.output}": use text or json`);
    });

  registerCheckCommand(program, io);
  registerCatalogCommand(program, io);
  registerServeCatalogCommand(program, io);
  registerSyncCommand(program, io);
  registerStatusCommand(program, io);
  registerRestoreCommand(program, io);

  registerRender(program, io);
  registerRun(program, io);
  registerManifests(program, io);

  return program;
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can drive it in-process. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end through exitOverride with status 0; usage errors were already printed.
      if (error.exitCode !== 0 && error.code === 'lifeboat.usage') io.err(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
