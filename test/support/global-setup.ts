/**
 * node --test global setup: one real control plane for the whole run (each test file isolates itself by namespace).
 * Test files find it through LIFEBOAT_TEST_KUBECONFIG; the teardown stops it even when tests failed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ControlPlane, SHARED_KUBECONFIG_ENV, startControlPlane } from './controlplane.ts';
import { cacheDir } from './testenv.ts';

let plane: ControlPlane | undefined;

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  plane = await startControlPlane({ crds: 'kopia-fork' });
  process.env[SHARED_KUBECONFIG_ENV] = plane.kubeconfigPath;
  process.stderr.write(`[testenv] control plane ready at ${plane.server} in ${Date.now() - started} ms\n`);
}

export async function globalTeardown(): Promise<void> {
  await plane?.stop();
  // Every test file has ended by now: any process still running from the testenv cache is an orphan, a test bug.
  const bin = join(cacheDir(), 'bin');
  const orphans = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid)
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
      } catch {
        return '';
      }
    })
    .filter((line) => line.split(' ')[1]?.startsWith(bin));
  if (orphans.length > 0) {
    process.stderr.write(`[testenv] processes left running after the tests:\n${orphans.join('\n')}\n`);
    process.exitCode = 1;
  }
}
