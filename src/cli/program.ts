import { Command, CommanderError, type Command as CommandType } from 'commander';
import { VERSION } from '../version.ts';
import { registerCatalogCommand } from './catalog.ts';
import { registerCheckCommand } from './check.ts';
import { registerCompletion } from './completion.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import type { Io } from './io.ts';
import { registerManifests } from './manifests.ts';
import { formatData, helpWidth, outputOption, wrapHelp } from './output.ts';
import { registerRender } from './render.ts';
import { registerRestoreCommand } from './restore.ts';
import { registerRun } from './run.ts';
import { registerServeCatalogCommand } from './serve-catalog.ts';
import { registerStatusCommand } from './status.ts';
import { registerSyncCommand } from './sync.ts';
import { registerVerifyCommand } from './verify.ts';
import { registerVerifyVolumeCommand } from './verify-volume.ts';

/** Points a usage error at the --help of the command that failed (the program's own for a top-level error). */
function helpHint(command: CommandType): string {
  const path: string[] = [];
  for (let c: CommandType | null = command; c; c = c.parent) path.unshift(c.name());
  return `(run \`${path.join(' ')} --help\` for usage)`;
}

function exitCodesHelp(): string {
  return wrapHelp(
    [
      '',
      'Exit status (every command):',
      ...EXIT_CODES_HELP.map(([code, text]) => `  ${String(code).padEnd(3)}  ${text}`),
    ].join('\n'),
  );
}

/**
 * Builds the `lifeboat` command tree. Each command lives in its own file under `cli/` and registers itself here,
 * so `lifeboat --help` is the one index of what the tool does.
 */
export function buildProgram(io: Io, name = 'lifeboat'): Command {
  const program = new Command(name)
    .description(
      'Zero-touch backup and restore for Kubernetes PVCs: one label, VolSync objects generated and kept true, ' +
        'restore decisions read from the Kopia or restic repository itself, fail-closed when the truth is unknown.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      getOutHelpWidth: () => helpWidth(),
      getErrHelpWidth: () => helpWidth(),
    })
    .exitOverride();
  program.showHelpAfterError(helpHint(program));
  program.addHelpText('after', () => exitCodesHelp());

  program
    .command('version')
    .description('print the version of lifeboat and of the Node.js runtime')
    .addOption(outputOption(['text', 'json', 'yaml'], 'text'))
    .action((opts: { output: string }) => {
      const info = { lifeboat: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      if (opts.output === 'json' || opts.output === 'yaml') io.out(formatData(opts.output, info));
      else io.out(`lifeboat ${info.lifeboat} (node ${info.node}, ${info.platform})\n`);
    });

  registerCheckCommand(program, io);
  registerCatalogCommand(program, io);
  registerServeCatalogCommand(program, io);
  registerSyncCommand(program, io);
  registerStatusCommand(program, io);
  registerRestoreCommand(program, io);
  registerVerifyCommand(program, io);
  registerVerifyVolumeCommand(program, io);

  registerRender(program, io);
  registerRun(program, io);
  registerManifests(program, io);
  registerCompletion(program, io);

  // Commander's own usage errors (unknown option, missing argument) point at the failing command's --help.
  for (const command of program.commands) command.showHelpAfterError(helpHint(command));
  return program;
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can drive it in-process. */
export async function runCli(argv: string[], io: Io, name = 'lifeboat'): Promise<number> {
  const program = buildProgram(io, name);
  // Like kubectl and helm: `lifeboat` alone is a request for help, not an error.
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.ok;
  }
  let active: CommandType = program;
  program.hook('preAction', (_program, command) => {
    active = command;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'lifeboat.usage') io.err(`error: ${error.message}\n${helpHint(active)}\n`);
      // Help and --version end with status 0; commander printed its own usage errors, which are input errors.
      if (error.exitCode === 0 || error.code.startsWith('lifeboat.')) return error.exitCode;
      return EXIT.usage;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
