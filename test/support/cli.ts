/**
 * Helpers for the CLI tests: run `lifeboat` in-process with a controlled environment and capture its output. The
 * repository variables of the test process are cleared for each run so a developer's own KOPIA_PASSWORD or AWS keys
 * can never leak into (or satisfy) a test.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPOSITORY_VARIABLES } from '../../src/catalog/environment.ts';
import { runCli } from '../../src/cli/program.ts';
import { REPO_ROOT } from './testenv.ts';

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

/**
 * `lifeboat` as a real process (the TypeScript entry point, as `node` runs it here): its exit status and its stdout
 * and stderr kept apart. `env` replaces the repository variables and KUBECONFIG/HOME of the test process, so neither
 * a developer's credentials nor their kubeconfig can leak into a test.
 */
export function spawnCli(
  argv: readonly string[],
  opts: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of [...REPOSITORY_VARIABLES, 'KUBECONFIG', 'COLUMNS', 'KUBERNETES_SERVICE_HOST']) delete env[key];
  Object.assign(env, opts.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), ...argv], {
      env,
      cwd: opts.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      err += t;
    });
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status: status ?? -1, out, err }));
    child.stdin.end(opts.input ?? '');
  });
}
