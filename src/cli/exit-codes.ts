/**
 * The exit-status contract of every `lifeboat` command, in one place so that scripts can gate on it and every command
 * (and `lifeboat --help`, and the README) states the same numbers. A command ends with a non-zero status by throwing
 * `exitWith(code)` (its output already said why) or `usage(message)` (printed as `error: …` with a pointer to the
 * command's --help).
 */
import { CommanderError } from 'commander';

export const EXIT = {
  /** Done; the answer is authoritative. */
  ok: 0,
  /** Usage or input error: an unknown flag, a bad argument, an unreadable or invalid file (config, kubeconfig,
   * manifests, values). Fix the command line or the file. */
  usage: 1,
  /** The repository could not give an authoritative answer for some PVC (`check`, `catalog`, `sync`): unknown. */
  unknown: 2,
  /** A protected PVC had no successful backup within its tier's period plus --grace (`status`). */
  stale: 3,
  /** The input was read, and what it declares would not be protected as written (`render --strict`). */
  findings: 4,
  /** The operation did not complete: the API server was unreachable or refused, a restore was refused or timed out,
   * a sync could not be armed, the configuration cannot run on this cluster. */
  failed: 5,
  /** Interrupted (Ctrl-C); run the same command again to continue where it stopped. */
  interrupted: 130,
} as const;

/** The contract as `lifeboat --help` prints it (and the README repeats). */
export const EXIT_CODES_HELP: readonly [number, string][] = [
  [EXIT.ok, 'success (check, catalog: the answer is authoritative)'],
  [EXIT.usage, 'usage or input error: unknown flag, bad argument, unreadable or invalid file'],
  [EXIT.unknown, 'unknown: the repository could not answer for some PVC (check, catalog, sync)'],
  [EXIT.stale, 'stale: a protected PVC has no recent successful backup (status)'],
  [EXIT.findings, 'findings: render --strict found a PVC that would not be protected as declared'],
  [
    EXIT.failed,
    'failed: API server unreachable, restore refused or timed out, sync not armed, drill failed, volume differs',
  ],
  [EXIT.interrupted, 'interrupted; run the same command again to continue'],
];

/** A usage or input error: printed as `error: …` with a pointer to the command's --help, exit status 1. */
export function usage(message: string): CommanderError {
  return new CommanderError(EXIT.usage, 'lifeboat.usage', message);
}

/** Throws a usage error (for expression positions and `never`-typed helpers). */
export function usageError(message: string): never {
  throw usage(message);
}

/**
 * Ends a command with `status` without printing anything more (its output already said why). Thrown rather than set
 * on process.exitCode so that in-process callers (tests) get the status from runCli and the process's own exit
 * status stays untouched.
 */
export function exitWith(status: number): CommanderError {
  return new CommanderError(status, 'lifeboat.exit', `exit status ${status}`);
}
