/**
 * Real Pods on the real node for the data-path tests: one writes known files and their checksum manifest into a
 * PVC, another checks the manifest against the bytes of a (restored) PVC. Both report through their termination
 * message (no log streaming needed); both run the tests' tools image as the movers' uid.
 */
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { eventually } from './eventually.ts';

export interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  containerStatuses?: {
    state?: {
      terminated?: { exitCode: number; message?: string; reason?: string };
      waiting?: { reason?: string; message?: string };
    };
  }[];
}

type Pod = KubeObject & { status?: PodStatus };

/** The uid/gid the tests' Pods and lifeboat's movers share (lifeboat's default moverSecurityContext). */
export const DATA_UID = 568;

// Files of several sizes, a nested directory and a file name with a space; then the manifest of them all.
const WRITE = `set -euo pipefail
cd /data
mkdir -p nested/deeper
for i in 1 2 3; do head -c $((i * 300000 + 17)) /dev/urandom > "file-$i.bin"; done
printf 'seed %s\\n' "$SEED" > "nested/deeper/with space.txt"
head -c 1048576 /dev/urandom > nested/big.bin
find . -type f ! -name MANIFEST -print0 | sort -z | xargs -0 sha256sum > MANIFEST
cat MANIFEST > /dev/termination-log`;

// Every file the manifest lists has its bytes, and nothing else is there.
const CHECK = `set -euo pipefail
cd /data
test -f MANIFEST || { echo "no MANIFEST: the volume is empty or not restored" > /dev/termination-log; exit 3; }
sha256sum --quiet -c MANIFEST > /tmp/check 2>&1 || { cat /tmp/check > /dev/termination-log; exit 4; }
find . -type f ! -name MANIFEST -print0 | sort -z | xargs -0 sha256sum > /tmp/now
sort /tmp/now > /tmp/a; sort MANIFEST > /tmp/b
# (no cmp/diff in the image: diffutils is not one of its packages)
[ -z "$(comm -3 /tmp/a /tmp/b)" ] || { { echo "files differ from the manifest's list (only restored, then only written):"
  comm -3 /tmp/a /tmp/b | head -20; } > /dev/termination-log; exit 5; }
cat MANIFEST > /dev/termination-log`;

export function podManifest(name: string, namespace: string, pvc: string, image: string, script: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsUser: DATA_UID, runAsGroup: DATA_UID, fsGroup: DATA_UID },
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'Never',
          command: ['bash', '-c', script],
          env: [{ name: 'SEED', value: name }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: pvc } }],
    },
  } as Pod;
}

/** Runs a Pod to completion and returns its termination message; fails with the Pod's story when it fails. */
export async function runPod(
  kube: KubeClient,
  pod: Pod,
  timeoutMs = 180_000,
): Promise<{ exitCode: number; message: string }> {
  const ref = { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace as string, name: pod.metadata.name };
  await kube.delete(ref);
  await eventually(`old pod ${ref.name} gone`, async () => ((await kube.get(ref)) ? undefined : true), 60_000, 250);
  await kube.apply(pod, { force: true });
  const done = await eventually(
    `pod ${ref.namespace}/${ref.name} finished`,
    async () => {
      const live = await kube.get<Pod>(ref);
      const waiting = live?.status?.containerStatuses?.[0]?.state?.waiting;
      // A Pod that cannot start does not fail by itself (the kubelet retries): say why at once.
      if (waiting?.reason && /ErrImage|CreateContainerError|CreateContainerConfigError/.test(waiting.reason)) {
        throw new Error(`pod ${ref.name} cannot start: ${waiting.reason} ${waiting.message ?? ''}`);
      }
      const terminated = live?.status?.containerStatuses?.[0]?.state?.terminated;
      return terminated ? terminated : undefined;
    },
    timeoutMs,
    500,
  ).catch(async (error: Error) => {
    const live = await kube.get<Pod>(ref);
    throw new Error(`${error.message}; pod status: ${JSON.stringify(live?.status ?? 'gone')}`);
  });
  await kube.delete(ref);
  return { exitCode: done.exitCode, message: done.message ?? '' };
}

/** Writes the known files into `pvc`; returns their manifest (sha256 and path per line). */
export async function writeKnownFiles(
  kube: KubeClient,
  namespace: string,
  pvc: string,
  image: string,
): Promise<string> {
  const result = await runPod(kube, podManifest(`write-${pvc}`, namespace, pvc, image, WRITE));
  if (result.exitCode !== 0) throw new Error(`writer pod failed (${result.exitCode}): ${result.message}`);
  return result.message;
}

/** Checks `pvc` against its manifest; returns the exit code (0: every byte as written) and the manifest it found. */
export async function checkKnownFiles(
  kube: KubeClient,
  namespace: string,
  pvc: string,
  image: string,
): Promise<{ exitCode: number; message: string }> {
  return await runPod(kube, podManifest(`check-${pvc}`, namespace, pvc, image, CHECK));
}

/**
 * An application that mounts `pvc`: a Deployment of one replica that only sleeps, so that the real Deployment and
 * ReplicaSet controllers, scheduler and kubelet scale it down and up when `lifeboat restore` asks.
 */
export function consumerDeployment(name: string, namespace: string, pvc: string, image: string): KubeObject {
  const labels = { app: name };
  const pod = podManifest(name, namespace, pvc, image, 'trap "exit 0" TERM; while true; do sleep 1; done');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { ...(pod.spec as object), restartPolicy: 'Always' } },
    },
  } as KubeObject;
}

export { KubeClient };
