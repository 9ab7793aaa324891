/**
 * The workloads that mount a PVC, and whether a restore can stop them: Deployments and StatefulSets are scaled to
 * zero (and back); anything else that mounts the volume — a DaemonSet, a Job or CronJob, a bare Pod, a Pod of an owner
 * lifeboat does not know — is refused with what to do, because deleting the PVC under it would either hang (the
 * kubernetes.io/pvc-protection finalizer waits for its pods) or let it write into the volume mid-restore.
 * `findConsumers` is pure; `listConsumers` reads the namespace.
 */
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { ScaledWorkload } from '../plan/restore-request.ts';

interface PodSpec {
  volumes?: { persistentVolumeClaim?: { claimName?: string } }[];
}

export interface WorkloadObject extends KubeObject {
  spec?: {
    replicas?: number;
    template?: { spec?: PodSpec };
    jobTemplate?: { spec?: { template?: { spec?: PodSpec } } };
    volumeClaimTemplates?: { metadata?: { name?: string } }[];
  };
  status?: { replicas?: number; observedGeneration?: number };
}

export interface PodObject extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string };
  metadata: KubeObject['metadata'] & { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
}

export interface NamespaceWorkloads {
  deployments: WorkloadObject[];
  statefulSets: WorkloadObject[];
  daemonSets: WorkloadObject[];
  replicaSets: WorkloadObject[];
  jobs: WorkloadObject[];
  cronJobs: WorkloadObject[];
  pods: PodObject[];
}

export interface Consumers {
  scalable: ScaledWorkload[];
  /** One sentence per consumer a restore cannot stop, with the fix. */
  refusals: string[];
}

function mounts(spec: PodSpec | undefined, pvc: string): boolean {
  return (spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc);
}

/** A Pod that has ended no longer holds its volumes (the pvc-protection finalizer ignores it too). */
function running(pod: PodObject): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** `<template>-<statefulset>-<ordinal>`: the claims a StatefulSet's volumeClaimTemplates create. */
function claimedByTemplate(sts: WorkloadObject, pvc: string): boolean {
  return (sts.spec?.volumeClaimTemplates ?? []).some((t) => {
    const prefix = `${t.metadata?.name}-${sts.metadata.name}-`;
    return pvc.startsWith(prefix) && /^\d+$/.test(pvc.slice(prefix.length));
  });
}

export function findConsumers(pvc: string, w: NamespaceWorkloads): Consumers {
  const scalable: ScaledWorkload[] = [];
  const refusals: string[] = [];
  for (const d of w.deployments) {
    if (mounts(d.spec?.template?.spec, pvc))
      scalable.push({ kind: 'Deployment', name: d.metadata.name, replicas: d.spec?.replicas ?? 1 });
  }
  for (const s of w.statefulSets) {
    const fromTemplate = claimedByTemplate(s, pvc);
    if (fromTemplate || mounts(s.spec?.template?.spec, pvc)) {
      scalable.push({
        kind: 'StatefulSet',
        name: s.metadata.name,
        replicas: s.spec?.replicas ?? 1,
        ...(fromTemplate ? { recreatesPvc: true } : {}),
      });
    }
  }
  for (const d of w.daemonSets) {
    if (mounts(d.spec?.template?.spec, pvc)) {
      refusals.push(
        `DaemonSet ${d.metadata.name} mounts the PVC and cannot be scaled to zero: remove the volume from it (or delete it) first`,
      );
    }
  }
  for (const c of w.cronJobs) {
    if (mounts(c.spec?.jobTemplate?.spec?.template?.spec, pvc)) {
      refusals.push(
        `CronJob ${c.metadata.name} mounts the PVC: suspend it (kubectl patch cronjob ${c.metadata.name} -p '{"spec":{"suspend":true}}') and wait for its Jobs to finish`,
      );
    }
  }
  const jobOwnedByCronJob = (j: WorkloadObject) =>
    (j.metadata as PodObject['metadata']).ownerReferences?.some((o) => o.kind === 'CronJob') === true;
  for (const j of w.jobs) {
    if (
      mounts(j.spec?.template?.spec, pvc) &&
      !jobOwnedByCronJob(j) &&
      (j.status as { active?: number } | undefined)?.active
    ) {
      refusals.push(`Job ${j.metadata.name} mounts the PVC and is running: wait for it to finish or delete it`);
    }
  }
  const scaled = new Set(scalable.map((s) => `${s.kind}/${s.name}`));
  for (const pod of w.pods) {
    if (!mounts(pod.spec, pvc) || !running(pod)) continue;
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
    const what = `Pod ${pod.metadata.name}`;
    if (!owner) {
      refusals.push(
        `${what} mounts the PVC and has no owner (a bare Pod), so nothing could scale it: delete it first, or run it under a Deployment`,
      );
      continue;
    }
    if (owner.kind === 'ReplicaSet') {
      const rs = w.replicaSets.find((r) => r.metadata.name === owner.name);
      const deployment = (rs?.metadata as PodObject['metadata'] | undefined)?.ownerReferences?.find(
        (o) => o.kind === 'Deployment',
      );
      if (deployment && scaled.has(`Deployment/${deployment.name}`)) continue;
      refusals.push(
        `${what} belongs to ReplicaSet ${owner.name}${deployment ? ` of Deployment ${deployment.name}, which does not mount the PVC in its template` : ' without a Deployment'}: scale it to zero yourself first`,
      );
      continue;
    }
    if (owner.kind === 'StatefulSet' && scaled.has(`StatefulSet/${owner.name}`)) continue;
    if (owner.kind === 'Job') {
      refusals.push(`${what} of Job ${owner.name} mounts the PVC: wait for the Job to finish or delete it`);
      continue;
    }
    if (owner.kind === 'DaemonSet') continue; // reported above, from its template
    refusals.push(`${what} is owned by ${owner.kind} ${owner.name}, which lifeboat cannot scale: stop it first`);
  }
  return { scalable, refusals };
}

export async function listConsumers(kube: KubeClient, namespace: string, pvc: string): Promise<Consumers> {
  const list = <T extends KubeObject>(apiVersion: string, kind: string) =>
    kube.list<T>(apiVersion, kind, { namespace });
  const [deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, pods] = await Promise.all([
    list<WorkloadObject>('apps/v1', 'Deployment'),
    list<WorkloadObject>('apps/v1', 'StatefulSet'),
    list<WorkloadObject>('apps/v1', 'DaemonSet'),
    list<WorkloadObject>('apps/v1', 'ReplicaSet'),
    list<WorkloadObject>('batch/v1', 'Job'),
    list<WorkloadObject>('batch/v1', 'CronJob'),
    list<PodObject>('v1', 'Pod'),
  ]);
  return findConsumers(pvc, { deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs, pods });
}

/** Pods that still mount the PVC (the volume is in use until they are gone). */
export async function podsUsing(kube: KubeClient, namespace: string, pvc: string): Promise<string[]> {
  const pods = await kube.list<PodObject>('v1', 'Pod', { namespace });
  return pods.filter((p) => mounts(p.spec, pvc) && running(p)).map((p) => p.metadata.name);
}
