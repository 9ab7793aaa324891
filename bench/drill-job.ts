/**
 * The part of a restore drill that lifeboat adds beyond the restore itself, on the real node (test/support/realnode.ts):
 * the verification Job, exactly as the drill builds it (plan/drill.ts buildDrill: lifeboat's image, the volume mounted
 * read-only, the movers' uid), from its creation until its container has terminated (what the drill controller waits
 * for), on a 1 GiB volume of 10,000 files. Three Jobs of the same shape and image, one after another in rotating
 * order each round:
 *   - `node -e 0`: the Job's cost alone (scheduling, sandbox, volume mount, container start, exit);
 *   - `lifeboat version`: plus lifeboat's process start;
 *   - `lifeboat verify-volume`: the verification the drill runs (process start and the scan).
 * The volume holds real bytes written by a Pod from /dev/urandom (not sparse: its allocated size is reported), on the
 * node's CSI driver, filled once directly (not restored: the restore is not part of this number).
 *
 * The real node is one per machine: run this alone, under the machine's lock:
 *   flock /tmp/lifeboat-realnode.lock node bench/run.ts drill-job
 * It starts the node and stops it at the end (needs root, as the real-node tests do).
 */
import { loadConfig } from '../src/config/load.ts';
import { KubeClient, type KubeObject } from '../src/kube/client.ts';
import { buildDrill } from '../src/plan/drill.ts';
import { eventually } from '../test/support/eventually.ts';
import { startRealNode } from '../test/support/realnode.ts';
import { podManifest, runPod } from '../test/support/realnode-pods.ts';
import type { BenchResult } from './run.ts';
import { measured } from './support/report.ts';

const NAMESPACE = 'bench-drill';
const VOLUME = 'volume';
const DIRS = 100;
const PER_DIR = 100;
const FILE_BYTES = 107_374; // 10,000 of them: 1,073,740,000 bytes, 1 GiB less 1,824 bytes
const SAMPLES = 5;

// Real bytes: `split` cuts /dev/urandom into files of FILE_BYTES; then the count, the bytes and the allocated size.
const FILL = `set -euo pipefail
cd /data
for d in $(seq 0 $((${DIRS} - 1))); do
  mkdir "d$d"
  head -c $((${PER_DIR} * ${FILE_BYTES})) /dev/urandom | split -b ${FILE_BYTES} -a 3 -d - "d$d/f"
done
echo "$(find . -type f | wc -l) files, $(du -sb --apparent-size . | cut -f1) bytes, $(du -sk . | cut -f1) KiB allocated" > /dev/termination-log`;

type Pod = KubeObject & {
  status?: { containerStatuses?: { state?: { terminated?: { exitCode: number; message?: string } } }[] };
};

const VARIANTS = {
  'node -e 0': (c: Container) => ({ ...c, command: ['node', '-e', '0'], args: [] }),
  'lifeboat version': (c: Container) => ({ ...c, args: ['version'] }),
  'lifeboat verify-volume': (c: Container) => c,
} as const;
type Variant = keyof typeof VARIANTS;
type Container = Record<string, unknown> & { args: string[] };

export default async function bench(): Promise<BenchResult> {
  const node = await startRealNode();
  const kube = new KubeClient(node.kubeConfig, 'lifeboat-bench');
  try {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    // The API server refuses Pods in a namespace until the controller-manager has made its default ServiceAccount.
    await eventually(
      `ServiceAccount ${NAMESPACE}/default`,
      () => kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: NAMESPACE, name: 'default' }),
      60_000,
      250,
    );
    await kube.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: VOLUME, namespace: NAMESPACE },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
    } as KubeObject);
    const t0 = Date.now();
    const fill = await runPod(kube, podManifest('fill', NAMESPACE, VOLUME, node.toolsImage, FILL), 900_000);
    if (fill.exitCode !== 0) throw new Error(`the fill pod failed (${fill.exitCode}): ${fill.message}`);
    const fillMs = Date.now() - t0;

    const config = loadConfig('');
    const job = buildDrill({
      config,
      pvc: {
        metadata: { name: VOLUME, namespace: NAMESPACE },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
      },
      namespace: NAMESPACE,
      snapshot: {
        id: 'bench',
        time: new Date().toISOString(),
        timeMs: Date.now(),
        fileCount: DIRS * PER_DIR,
        sizeBytes: DIRS * PER_DIR * FILE_BYTES,
      },
      startedAtMs: Date.now(),
      repository: 'bench',
      image: node.lifeboatImage,
      privilegedMovers: false,
    }).job as unknown as KubeObject & {
      spec: { template: { spec: { containers: Container[]; volumes: Record<string, unknown>[] } } };
    };

    /** One Job of `variant`: from its creation until its Pod's container has terminated (ms), and its message. */
    const once = async (variant: Variant, round: number): Promise<{ ms: number; message: string }> => {
      const name = `bench-${variant.split(' ').at(-1)?.replace(/\W/g, '')}-${round}`;
      const pod = job.spec.template.spec;
      const body = {
        ...job,
        metadata: { name, namespace: NAMESPACE, labels: { bench: 'drill-job' } },
        spec: {
          ...job.spec,
          template: {
            ...job.spec.template,
            metadata: { labels: { bench: 'drill-job' } },
            spec: {
              ...pod,
              containers: pod.containers.map(VARIANTS[variant]),
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: VOLUME, readOnly: true } }],
            },
          },
        },
      };
      const started = performance.now();
      await kube.create(body as KubeObject);
      const done = await eventually(
        `Job ${name} finished`,
        async () => {
          const pods = await kube.list<Pod>('v1', 'Pod', { namespace: NAMESPACE, labelSelector: `job-name=${name}` });
          return pods[0]?.status?.containerStatuses?.[0]?.state?.terminated;
        },
        300_000,
        100,
      );
      const ms = performance.now() - started;
      if (done.exitCode !== 0) throw new Error(`Job ${name} exited ${done.exitCode}: ${done.message ?? ''}`);
      await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: NAMESPACE, name });
      await eventually(
        `Job ${name}'s Pod gone`,
        async () =>
          (await kube.list('v1', 'Pod', { namespace: NAMESPACE, labelSelector: `job-name=${name}` })).length === 0
            ? true
            : undefined,
        120_000,
        250,
      );
      return { ms, message: done.message ?? '' };
    };

    const names = Object.keys(VARIANTS) as Variant[];
    const samples = new Map<Variant, number[]>(names.map((v) => [v, []]));
    let scan = '';
    // Round 0 warms the node (image layers, the volume's metadata in the page cache) and is not counted.
    for (let round = 0; round <= SAMPLES; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length] as Variant);
      for (const variant of order) {
        const { ms, message } = await once(variant, round);
        if (variant === 'lifeboat verify-volume') scan = message;
        if (round > 0) samples.get(variant)?.push(ms);
      }
    }
    const of = (v: Variant) => samples.get(v) ?? [];
    const minus = (a: Variant, b: Variant) => of(a).map((x, i) => x - (of(b)[i] ?? 0));
    const method = `${SAMPLES} rounds after one warm-up round, the three Jobs one at a time in rotating order; a sample is the wall time from the Job's creation until its Pod's container has terminated (polled every 100 ms)`;
    return {
      name: 'restore drill: verification Job on the real node',
      setup: [
        `real node (kubelet, containerd, scheduler, Job controller, the project's CSI driver), lifeboat image ${node.lifeboatImage}`,
        `volume: ${fill.message.trim()} (filled from /dev/urandom in ${(fillMs / 1000).toFixed(1)} s)`,
        `the Job as plan/drill.ts builds it; verify-volume's result: ${scan.trim()}`,
      ],
      measurements: [
        ...names.map((v) => measured(`Job running ${v}, created to terminated`, 'ms', of(v), method)),
        measured(
          'drill overhead of the scan: verify-volume Job − node -e 0 Job',
          'ms',
          minus('lifeboat verify-volume', 'node -e 0'),
          'paired per round',
        ),
        measured(
          'of which the walk itself: verify-volume Job − lifeboat version Job',
          'ms',
          minus('lifeboat verify-volume', 'lifeboat version'),
          'paired per round',
        ),
      ],
      comparisons: [],
    };
  } finally {
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE }).catch(() => false);
    kube.close();
    await node.stop();
  }
}
