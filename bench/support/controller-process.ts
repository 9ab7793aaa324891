/**
 * lifeboat's PVC controller in a process of its own, as the image runs it (bench/support/image-process.ts: the image's
 * V8 flags and ENV, lifeboat's code bundled as the image's is), for bench/controller.ts's convergence comparison. In the benchmark's own
 * process the controller would run with that process's JIT, which the image may not have (`--jitless`).
 *
 * Argument: a JSON ControllerRun. The PVCs exist already; it loads lifeboat, detects the cluster's capabilities, then
 * times the controller from a cold start (list+watch, plan, conflict check, apply, Events) until every PVC is
 * protected and the work queue is idle, prints `{"ms":N}` and exits.
 */
import { Registry } from 'prom-client';

export interface ControllerRun {
  kubeconfig: string;
  /** lifeboat's configuration (YAML). */
  config: string;
  pvcs: number;
  concurrency: number;
  /** Added to the clock, so that freshly created PVCs are past minPvcAge. */
  clockOffsetMs: number;
}

/** A controller that has not converged by then is reported as a failure, not waited for. */
const DEADLINE_MS = 10 * 60_000;

if (!process.argv[2]) throw new Error('usage: node bench/support/controller-process.ts <ControllerRun as JSON>');
const run = JSON.parse(process.argv[2]) as ControllerRun;
if (!run.kubeconfig || !(run.pvcs > 0)) {
  throw new Error(`a ControllerRun needs kubeconfig and pvcs > 0, got ${JSON.stringify(Object.keys(run))}`);
}
const { loadConfig } = await import('../../src/config/load.ts');
const { detectCapabilities } = await import('../../src/controller/capabilities.ts');
const { PvcController } = await import('../../src/controller/pvc-controller.ts');
const { KubeClient, loadKubeConfig } = await import('../../src/kube/client.ts');
const { EventRecorder } = await import('../../src/kube/events.ts');

const kube = new KubeClient(loadKubeConfig(run.kubeconfig));
const capabilities = await detectCapabilities(kube);
const registry = new Registry();
const events = new EventRecorder(kube, { reportingInstance: 'bench', registry });
const controller = new PvcController({
  kube,
  config: loadConfig(run.config),
  capabilities,
  events,
  registry,
  concurrency: run.concurrency,
  now: () => Date.now() + run.clockOffsetMs,
});
const started = performance.now();
await controller.start();
for (;;) {
  const protectedCount = [...controller.reports.values()].filter((r) => r.verdict === 'protected').length;
  if (protectedCount === run.pvcs && controller.queue.depth === 0 && controller.queue.active === 0) break;
  if (performance.now() - started > DEADLINE_MS) {
    throw new Error(`not converged in ${DEADLINE_MS / 60_000} min: ${protectedCount} of ${run.pvcs} PVCs protected`);
  }
  await new Promise((r) => setTimeout(r, 20));
}
const ms = performance.now() - started;
await controller.stop();
await events.close();
kube.close();
process.stdout.write(`${JSON.stringify({ ms })}\n`);
// Whatever handle is left (a keep-alive socket, a timer) must not keep the sample waiting.
process.exit(0);
