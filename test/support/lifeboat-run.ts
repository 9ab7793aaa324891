/**
 * `lifeboat run` as a real process on loopback, as tests and benchmarks start it: operator port, webhook port, and
 * the webhook registered at `https://127.0.0.1:<webhook port>` (the API server cannot reach a Service here).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.ts';
import { eventually } from './eventually.ts';
import { REPO_ROOT } from './testenv.ts';

export interface LifeboatRunOptions {
  config: string;
  kubeconfig: string;
  ports: { ops: number; webhook: number };
  /** Default the TypeScript source; the benchmarks run the bundle `dist/lifeboat.js` as the image does. */
  entry?: string;
  /** V8 flags in front of the entry (the image's, for measurements). */
  nodeFlags?: readonly string[];
  /** Variables added to this process's environment (the image's ENV, for measurements). */
  env?: Readonly<Record<string, string>>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  stdio?: StdioOptions;
  /**
   * Run as this user and group with no supplementary groups (as a pod's securityContext would), through `setpriv`,
   * which execs: the child's pid is lifeboat's own, so SIGTERM from the test still stops it, and `--pdeathsig KILL`
   * (applied after the user change, so it survives it) ends it when the test process dies. The node binary and every
   * file lifeboat opens (entry, config, kubeconfig) must then be reachable by that user: see `node`.
   */
  runAs?: { uid: number; gid: number };
  /** The node binary; default this process's. With `runAs`, one the other user may execute (see nodeForAnyUser). */
  node?: string;
}

export function spawnLifeboatRun(o: LifeboatRunOptions): ChildProcess {
  const node = o.node ?? process.execPath;
  const [command, prefix] = o.runAs
    ? [
        'setpriv',
        ['--pdeathsig', 'KILL', `--reuid=${o.runAs.uid}`, `--regid=${o.runAs.gid}`, '--clear-groups', '--', node],
      ]
    : [node, []];
  return spawn(
    command,
    [
      ...prefix,
      ...(o.nodeFlags ?? []),
      o.entry ?? join(REPO_ROOT, 'src/cli/main.ts'),
      'run',
      '--config',
      o.config,
      '--kubeconfig',
      o.kubeconfig,
      '--listen',
      `127.0.0.1:${o.ports.ops}`,
      '--webhook-listen',
      `127.0.0.1:${o.ports.webhook}`,
      '--webhook-url',
      `https://127.0.0.1:${o.ports.webhook}`,
      ...(o.logLevel ? ['--log-level', o.logLevel] : []),
    ],
    { stdio: o.stdio ?? ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env, POD_NAME: 'lifeboat-test-0' } },
  );
}

/**
 * `lifeboat run` with `configYaml` (written to `configPath`), its stderr collected into `log.text`; resolves once it
 * is ready and has registered its webhooks.
 */
export async function startLifeboatRun(o: {
  configPath: string;
  configYaml: string;
  kubeconfig: string;
  ports: { ops: number; webhook: number };
  kube: KubeClient;
  log: { text: string };
  runAs?: LifeboatRunOptions['runAs'];
  node?: string;
}): Promise<ChildProcess> {
  await writeFile(o.configPath, o.configYaml);
  const child = spawnLifeboatRun({
    config: o.configPath,
    kubeconfig: o.kubeconfig,
    ports: o.ports,
    ...(o.runAs ? { runAs: o.runAs } : {}),
    ...(o.node ? { node: o.node } : {}),
  });
  child.stderr?.on('data', (c: Buffer) => {
    o.log.text += c.toString();
  });
  await eventually('lifeboat ready', async () =>
    (await fetch(`http://127.0.0.1:${o.ports.ops}/readyz`)).ok ? true : undefined,
  ).catch((error: Error) => {
    // A process that could not start (a file the user may not read, a port taken) says why on stderr.
    throw new Error(`${error.message}\nlifeboat run (exit ${child.exitCode}) wrote:\n${o.log.text.slice(-4000)}`);
  });
  await eventually('webhooks registered', () =>
    o.kube.get({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      name: 'lifeboat',
    }),
  );
  return child;
}

/** Stops a `lifeboat run` started by spawnLifeboatRun (SIGTERM, a graceful stop) and waits until it has exited. */
export async function stopLifeboatRun(child: ChildProcess | undefined, graceMs = 30_000): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // A graceful stop that never ends must not hang the test file until the runner's timeout: say so and kill it.
  const timer = setTimeout(() => {
    process.stderr.write(`lifeboat run (pid ${child.pid}) did not stop within ${graceMs} ms of SIGTERM: killed\n`);
    child.kill('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Asserts that the leader's `/audit` (on `opsPort`) reports exactly one repository change awaiting confirmation, from
 * `pinned` to `observed`, with the command that confirms `observed`.
 */
export async function assertChangeAwaitsConfirmation(opsPort: number, pinned: string, observed: string) {
  const audit = (await (await fetch(`http://127.0.0.1:${opsPort}/audit`)).json()) as {
    repository?: { conflicts: { observed: string; pinned: string; confirm: string }[] };
  };
  assert.deepEqual(
    audit.repository?.conflicts.map((c) => [c.pinned, c.observed]),
    [[pinned, observed]],
  );
  assert.match(audit.repository?.conflicts[0]?.confirm ?? '', new RegExp(`confirm-repository=${observed}`));
}
