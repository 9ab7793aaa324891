import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findConsumers, type NamespaceWorkloads, type PodObject, type WorkloadObject } from './workloads.ts';

const mounting = (pvc: string) => ({ volumes: [{ persistentVolumeClaim: { claimName: pvc } }] });

function workload(
  kind: string,
  name: string,
  spec: WorkloadObject['spec'] = {},
  owner?: { kind: string; name: string },
): WorkloadObject {
  return {
    apiVersion: kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec,
  };
}

function pod(name: string, pvc: string, owner?: { kind: string; name: string }, phase = 'Running'): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec: mounting(pvc),
    status: { phase },
  };
}

const none: NamespaceWorkloads = {
  deployments: [],
  statefulSets: [],
  daemonSets: [],
  replicaSets: [],
  jobs: [],
  cronJobs: [],
  pods: [],
};

describe('findConsumers', () => {
  const table: {
    name: string;
    pvc?: string;
    w: Partial<NamespaceWorkloads>;
    scalable: string[];
    refusals: RegExp[];
  }[] = [
    { name: 'nothing mounts it', w: {}, scalable: [], refusals: [] },
    {
      name: 'a Deployment (with its ReplicaSet pod) and a StatefulSet mounting it',
      w: {
        deployments: [
          workload('Deployment', 'web', { replicas: 2, template: { spec: mounting('data') } }),
          workload('Deployment', 'other', { template: { spec: mounting('x') } }),
        ],
        statefulSets: [workload('StatefulSet', 'db', { template: { spec: mounting('data') } })],
        replicaSets: [workload('ReplicaSet', 'web-7d9', {}, { kind: 'Deployment', name: 'web' })],
        pods: [
          pod('web-7d9-abc', 'data', { kind: 'ReplicaSet', name: 'web-7d9' }),
          pod('db-0', 'data', { kind: 'StatefulSet', name: 'db' }),
        ],
      },
      scalable: ['Deployment/web=2', 'StatefulSet/db=1'],
      refusals: [],
    },
    {
      name: 'a StatefulSet whose volumeClaimTemplates make the PVC (it recreates it when scaled up)',
      pvc: 'data-web-1',
      w: {
        statefulSets: [
          workload('StatefulSet', 'web', { replicas: 3, volumeClaimTemplates: [{ metadata: { name: 'data' } }] }),
        ],
      },
      scalable: ['StatefulSet/web=3 recreates'],
      refusals: [],
    },
    {
      name: 'the template name must match exactly (data-web-1 is not data-webx-1)',
      pvc: 'data-web-1',
      w: {
        statefulSets: [workload('StatefulSet', 'webx', { volumeClaimTemplates: [{ metadata: { name: 'data' } }] })],
      },
      scalable: [],
      refusals: [],
    },
    {
      name: 'a bare Pod is refused',
      w: { pods: [pod('debug', 'data')] },
      scalable: [],
      refusals: [/Pod debug mounts the PVC and has no owner \(a bare Pod\)/],
    },
    {
      name: 'a DaemonSet is refused (and its pods are not reported twice)',
      w: {
        daemonSets: [workload('DaemonSet', 'agent', { template: { spec: mounting('data') } })],
        pods: [pod('agent-x', 'data', { kind: 'DaemonSet', name: 'agent' })],
      },
      scalable: [],
      refusals: [/DaemonSet agent mounts the PVC and cannot be scaled to zero/],
    },
    {
      name: 'a CronJob is refused with how to suspend it; a finished Job pod is ignored',
      w: {
        cronJobs: [workload('CronJob', 'backup', { jobTemplate: { spec: { template: { spec: mounting('data') } } } })],
        pods: [pod('backup-1-x', 'data', { kind: 'Job', name: 'backup-1' }, 'Succeeded')],
      },
      scalable: [],
      refusals: [/CronJob backup mounts the PVC: suspend it/],
    },
    {
      name: 'a running Job pod is refused',
      w: { pods: [pod('migrate-x', 'data', { kind: 'Job', name: 'migrate' })] },
      scalable: [],
      refusals: [/Pod migrate-x of Job migrate mounts the PVC/],
    },
    {
      name: 'a ReplicaSet without a Deployment, and an unknown owner, are refused',
      w: {
        replicaSets: [workload('ReplicaSet', 'lonely')],
        pods: [
          pod('lonely-x', 'data', { kind: 'ReplicaSet', name: 'lonely' }),
          pod('argo-x', 'data', { kind: 'Rollout', name: 'shop' }),
        ],
      },
      scalable: [],
      refusals: [/ReplicaSet lonely without a Deployment/, /owned by Rollout shop, which lifeboat cannot scale/],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const got = findConsumers(c.pvc ?? 'data', { ...none, ...c.w });
      assert.deepEqual(
        got.scalable.map((s) => `${s.kind}/${s.name}=${s.replicas}${s.recreatesPvc ? ' recreates' : ''}`),
        c.scalable,
      );
      assert.equal(got.refusals.length, c.refusals.length, got.refusals.join('\n'));
      for (const [i, r] of c.refusals.entries()) assert.match(got.refusals[i] ?? '', r);
    });
  }
});
