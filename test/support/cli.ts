/**
 * Helpers for the CLI tests: run `lifeboat` in-process with a controlled environment and capture its output. The
 * repository variables of the test process are cleared for each run so a developer's own KOPIA_PASSWORD or AWS keys
 * can never leak into (or satisfy) a test.
 */
import { REPOSITORY_VARIABLES } from '../../src/catalog/environment.ts';
import { runCli } from '../../src/cli/program.ts';

export interface CliRun {
  status: number;
  out: string;
  err: string;
}

/** A CLI run in progress: its output so far, and its end. */
export interface CliProcess {
  output(): { out: string; err: string };
  done: Promise<CliRun>;
}

/**
 * Starts the CLI with exactly `env` as the repository variables (others of the process untouched) for the whole
 * run; a long-running command (serve-catalog) can be watched through `output()` while it runs.
 */
export function startWithEnv(env: Record<string, string>, ...argv: string[]): CliProcess {
  const saved = new Map(REPOSITORY_VARIABLES.map((k) => [k, process.env[k]]));
  for (const key of REPOSITORY_VARIABLES) delete process.env[key];
  Object.assign(process.env, env);
  let out = '';
  let err = '';
  const done = runCli(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  })
    .then((status) => ({ status, out, err }))
    .finally(() => {
      for (const key of REPOSITORY_VARIABLES) delete process.env[key];
      for (const [key, value] of saved) if (value !== undefined) process.env[key] = value;
    });
  return { output: () => ({ out, err }), done };
}

/** Runs the CLI to its end with exactly `env` as the repository variables. */
export async function runWithEnv(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  return await startWithEnv(env, ...argv).done;
}
