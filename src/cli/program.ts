import { Command, CommanderError, type Command as CommandType } from 'commander';
import { VERSION } from '../version.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import type { Io } from './io.ts';
import { formatData, helpWidth, outputOption, wrapHelp } from './output.ts';

type Register = (program: Command, io: Io) => void;

/**
 * Every command after `version`, in `lifeboat --help` order, with the module that registers it. A command's module
 * is loaded only when that command runs (or for help and completion, which list them all): `lifeboat run` does not
 * load the CLI's other commands, and `lifeboat version` loads none of them.
 */
export const COMMANDS: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['check', async () => (await import('./check.ts')).registerCheckCommand],
  ['catalog', async () => (await import('./catalog.ts')).registerCatalogCommand],
  ['serve-catalog', async () => (await import('./serve-catalog.ts')).registerServeCatalogCommand],
  ['sync', async () => (await import('./sync.ts')).registerSyncCommand],
  ['status', async () => (await import('./status.ts')).registerStatusCommand],
  ['restore', async () => (await import('./restore.ts')).registerRestoreCommand],
  ['verify', async () => (await import('./verify.ts')).registerVerifyCommand],
  ['verify-volume', async () => (await import('./verify-volume.ts')).registerVerifyVolumeCommand],
  ['render', async () => (await import('./render.ts')).registerRender],
  ['run', async () => (await import('./run.ts')).registerRun],
  ['manifests', async () => (await import('./manifests.ts')).registerManifests],
  ['completion', async () => (await import('./completion.ts')).registerCompletion],
];

/** The registrations `argv` needs: only its command's when it names one (completion lists them all), else all. */
async function registrations(argv: readonly string[]): Promise<Register[]> {
  const named = COMMANDS.find(([name]) => name === argv[0]);
  if (argv[0] === 'version' || (named && named[0] !== 'completion')) return named ? [await named[1]()] : [];
  return await Promise.all(COMMANDS.map(([, load]) => load()));
}

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
export function buildProgram(io: Io, name = 'lifeboat', commands: readonly Register[] = []): Command {
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

  for (const register of commands) register(program, io);

  // Commander's own usage errors (unknown option, missing argument) point at the failing command's --help.
  for (const command of program.commands) command.showHelpAfterError(helpHint(command));
  return program;
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can drive it in-process. */
export async function runCli(argv: string[], io: Io, name = 'lifeboat'): Promise<number> {
  const program = buildProgram(io, name, await registrations(argv));
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
