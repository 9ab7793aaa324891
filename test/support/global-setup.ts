/**
 * node --test global setup: one real control plane for the whole run (each test file isolates itself by namespace).
 * Test files find it through LIFEBOAT_TEST_KUBECONFIG; the teardown stops it even when tests failed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type ControlPlane, SHARED_KUBECONFIG_ENV, startControlPlane } from './controlplane.ts';
import { type RealNode, runNeedsRealNode, serveRealNode, startRealNode } from './realnode.ts';

let plane: ControlPlane | undefined;
/** The run's real node as served to the test files: a file may have it rebuilt, so the teardown stops the current one. */
let served: { current(): RealNode; close(): Promise<void> } | undefined;
const RUN_MARKER = 'LIFEBOAT_TEST_RUN';
const runId = `${process.pid}-${Date.now()}`;

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  // Inherited by every test file and everything they start: the teardown finds this run's processes by it.
  process.env[RUN_MARKER] = runId;
  plane = await startControlPlane({ crds: 'kopia-fork' });
  process.env[SHARED_KUBECONFIG_ENV] = plane.kubeconfigPath;
  process.stderr.write(`[testenv] control plane ready at ${plane.server} in ${Date.now() - started} ms\n`);
  // The real node (one per machine, ~1 GiB) only for runs that include its tests: the whole suite or realnode-* files.
  if (runNeedsRealNode(process.argv)) {
    const node = await startRealNode();
    served = await serveRealNode(node);
    process.stderr.write(`[testenv] real node ready at ${node.server} in ${node.startMs} ms\n`);
  }
}

export async function globalTeardown(): Promise<void> {
  if (served) {
    await served.close();
    await served.current().stop();
  }
  await plane?.stop();
  // Every test file has ended by now: any process of this run still alive is an orphan, a test bug. Processes are
  // recognised by the run marker they inherited through the environment (so other runs on the machine don't count).
  const orphans = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${RUN_MARKER}=${runId}`);
      } catch {
        return false; // gone already, or not ours to read
      }
    })
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
      } catch {
        return pid;
      }
    });
  if (orphans.length > 0) {
    process.stderr.write(`[testenv] processes left running after the tests:\n${orphans.join('\n')}\n`);
    process.exitCode = 1;
  }
}
