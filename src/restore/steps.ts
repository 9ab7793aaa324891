/**
 * The side-effecting steps of `lifeboat restore`, each idempotent: run again after an interruption, it finds what is
 * already done and finishes the rest (a workload already at zero is not scaled again, a PVC already gone is not
 * deleted again, a PVC already back is not created again). The runner (runner.ts) records each completed step.
 */
import type { NamingConfig } from '../config/types.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { formatKubeError, isAlreadyExists, isNotFound } from '../kube/errors.ts';
import type { RestoreRequest, ScaledWorkload } from '../plan/restore-request.ts';
import { type ClaimObject, claimRestoreState, recreatedPvc } from './capture.ts';
import { RESTORE_FIELD_MANAGER } from './request-store.ts';
import { type WaitOptions, waitFor } from './wait.ts';
import { podsUsing, type WorkloadObject } from './workloads.ts';

/** A precondition failed: nothing (more) is done, and the message says what to do. */
export class RestoreRefused extends Error {
  override readonly name = 'RestoreRefused';
}

export interface StepContext {
  kube: KubeClient;
  namespace: string;
  pvc: string;
  /** The persistent ReplicationDestination carrying the request. */
  destination: string;
  recreate: boolean;
  /** Names of the generated objects (the restore point's name derives from them). */
  naming: NamingConfig;
  wait: WaitOptions;
  progress: (line: string) => void;
  /** An Event about the restore, on the PVC while it exists (else on the RD). */
  event: (type: 'Normal' | 'Warning', reason: string, note: string) => Promise<void>;
}

const APPS = 'apps/v1';

async function getClaim(ctx: StepContext): Promise<ClaimObject | undefined> {
  return (await ctx.kube.get({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: ctx.namespace,
    name: ctx.pvc,
  })) as ClaimObject | undefined;
}

async function scale(ctx: StepContext, w: ScaledWorkload, replicas: number): Promise<void> {
  const path = await ctx.kube.resources.objectPath(APPS, w.kind, w.name, ctx.namespace);
  try {
    await ctx.kube.http.request('PATCH', path, {
      query: { fieldManager: RESTORE_FIELD_MANAGER },
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas } },
    });
  } catch (error) {
    if (isNotFound(error))
      throw new RestoreRefused(`${w.kind} ${w.name} no longer exists, so it cannot be scaled to ${replicas}`);
    throw error;
  }
}

/** Step `scaled-down`: every recorded workload at zero replicas, and no Pod using the PVC any more. */
export async function scaleDown(ctx: StepContext, request: RestoreRequest): Promise<void> {
  for (const w of request.replicas) {
    const live = (await ctx.kube.get({ apiVersion: APPS, kind: w.kind, namespace: ctx.namespace, name: w.name })) as
      | WorkloadObject
      | undefined;
    if (!live) {
      ctx.progress(`  ${w.kind} ${w.name} is gone; nothing to scale down`);
      continue;
    }
    if (live.spec?.replicas !== 0) {
      ctx.progress(
        `  scaling ${w.kind} ${w.name} from ${live.spec?.replicas ?? 1} to 0 (will return to ${w.replicas})`,
      );
      await scale(ctx, w, 0);
    }
    await waitFor(
      `${w.kind} ${w.name} to stop its pods`,
      async () => {
        const now = (await ctx.kube.get({ apiVersion: APPS, kind: w.kind, namespace: ctx.namespace, name: w.name })) as
          | WorkloadObject
          | undefined;
        if (!now) return { done: true, value: undefined };
        if (now.spec?.replicas !== 0) {
          throw new RestoreRefused(
            `${w.kind} ${w.name} was scaled back to ${now.spec?.replicas} by someone else while the restore waited ` +
              '(a GitOps self-heal?): pause automated sync for it, then re-run this command to continue',
          );
        }
        const generation = (now.metadata as { generation?: number }).generation ?? 0;
        const observed = now.status?.observedGeneration ?? 0;
        const running = now.status?.replicas ?? 0;
        return running === 0 && observed >= generation
          ? { done: true, value: undefined }
          : { done: false, state: `${running} replica(s) still running` };
      },
      { ...ctx.wait, remind: (state) => ctx.progress(`  still waiting for ${w.kind} ${w.name}: ${state}`) },
    );
  }
  await waitFor(
    `the pods using PVC ${ctx.pvc} to end`,
    async () => {
      const pods = await podsUsing(ctx.kube, ctx.namespace, ctx.pvc);
      return pods.length === 0
        ? { done: true, value: undefined }
        : { done: false, state: `still used by ${pods.join(', ')}` };
    },
    { ...ctx.wait, remind: (state) => ctx.progress(`  ${state}`) },
  );
  const down = request.replicas.length > 0 ? `${describe(request.replicas)} scaled to 0` : 'no workload mounts the PVC';
  await ctx.event('Normal', 'RestoreScaledDown', `restore: ${down}`);
}

/** Step `pvc-deleted`: the PVC being replaced is gone (a successor of the same name may already exist). */
export async function deletePvc(ctx: StepContext, request: RestoreRequest): Promise<void> {
  const uid = request.pvcUid;
  if (!uid) {
    ctx.progress(`  PVC ${ctx.namespace}/${ctx.pvc} did not exist when the restore started; nothing to delete`);
    return;
  }
  const claim = await getClaim(ctx);
  if (claim?.metadata.uid === uid && !claim.metadata.deletionTimestamp) {
    await ctx.event(
      'Normal',
      'RestoreDeletingPvc',
      `restore: deleting the PVC so it can be recreated from snapshot ${request.snapshotId}`,
    );
    ctx.progress(`  deleting PVC ${ctx.namespace}/${ctx.pvc}`);
    await ctx.kube.delete(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ctx.namespace, name: ctx.pvc },
      { uid },
    );
  }
  await waitFor(
    `PVC ${ctx.namespace}/${ctx.pvc} to be deleted`,
    async () => {
      const now = await getClaim(ctx);
      if (now?.metadata.uid !== uid) return { done: true, value: undefined };
      const finalizers = (now.metadata as { finalizers?: string[] }).finalizers ?? [];
      return {
        done: false,
        state: finalizers.length ? `held by finalizer(s) ${finalizers.join(', ')}` : 'terminating',
      };
    },
    { ...ctx.wait, remind: (state) => ctx.progress(`  PVC not gone yet: ${state}`) },
  );
}

/**
 * Step `pvc-restored`: the PVC exists again, from a lifeboat restore point for the requested snapshot, and is Bound.
 * It comes back from GitOps, from a StatefulSet's volumeClaimTemplates when the StatefulSet scales up, or from
 * `--recreate`; admission points it at the restore point. A claim that came back without it is refused: its
 * `dataSourceRef` can never change, so it would never hold the requested data.
 */
export async function restorePvc(ctx: StepContext, request: RestoreRequest): Promise<void> {
  const old = request.pvcUid;
  const successor = async () => {
    const claim = await getClaim(ctx);
    return claim && claim.metadata.uid !== old && !claim.metadata.deletionTimestamp ? claim : undefined;
  };
  if (!(await successor())) {
    const recreators = request.replicas.filter((w) => w.recreatesPvc);
    if (ctx.recreate) {
      if (!request.capturedSpec)
        throw new RestoreRefused('--recreate needs the PVC spec captured before deletion, and there was no PVC');
      ctx.progress(`  recreating PVC ${ctx.namespace}/${ctx.pvc} from its captured spec`);
      const path = await ctx.kube.resources.collectionPath('v1', 'PersistentVolumeClaim', ctx.namespace);
      try {
        await ctx.kube.http.request('POST', path, {
          query: { fieldManager: RESTORE_FIELD_MANAGER },
          body: recreatedPvc(ctx.namespace, ctx.pvc, request.capturedSpec),
        });
      } catch (error) {
        if (!isAlreadyExists(error))
          throw new RestoreRefused(`creating PVC ${ctx.namespace}/${ctx.pvc} failed: ${formatKubeError(error)}`);
      }
    } else if (recreators.length > 0) {
      ctx.progress(`  scaling up ${describe(recreators)}: its volumeClaimTemplates recreate the PVC`);
      for (const w of recreators) await scale(ctx, w, w.replicas);
    } else {
      ctx.progress(
        `  waiting for PVC ${ctx.namespace}/${ctx.pvc} to be recreated (by GitOps or by hand; --recreate creates it itself)`,
      );
    }
  }
  await waitFor(
    `PVC ${ctx.namespace}/${ctx.pvc} to come back restored from snapshot ${request.snapshotId}`,
    async () => {
      const claim = await successor();
      if (!claim) return { done: false, state: 'the PVC does not exist yet' };
      const state = claimRestoreState(claim, request.snapshotId, ctx.naming);
      if (state.kind === 'wrong') {
        throw new RestoreRefused(
          `PVC ${ctx.namespace}/${ctx.pvc} came back, but ${state.why}, so it will never hold the requested data ` +
            '(dataSourceRef cannot change). Is lifeboat admission running, or is the namespace in break-glass? Delete the ' +
            `PVC (kubectl -n ${ctx.namespace} delete pvc ${ctx.pvc}) and re-run this command to continue.`,
        );
      }
      return state.kind === 'restored'
        ? { done: true, value: undefined }
        : { done: false, state: `the PVC is ${state.phase}: the volume populator fills it from the restore point` };
    },
    { ...ctx.wait, remind: (state) => ctx.progress(`  ${state}`) },
  );
  await ctx.event(
    'Normal',
    'RestorePvcRestored',
    `restore: the PVC is Bound, populated from snapshot ${request.snapshotId} (${request.snapshotTime})`,
  );
}

/** Step `scaled-up`: every recorded workload back at its replicas. */
export async function scaleUp(ctx: StepContext, request: RestoreRequest): Promise<void> {
  for (const w of request.replicas) {
    const live = (await ctx.kube.get({ apiVersion: APPS, kind: w.kind, namespace: ctx.namespace, name: w.name })) as
      | (KubeObject & WorkloadObject)
      | undefined;
    if (!live) {
      ctx.progress(`  ${w.kind} ${w.name} is gone; not scaled back`);
      continue;
    }
    if (live.spec?.replicas !== w.replicas) {
      ctx.progress(`  scaling ${w.kind} ${w.name} back to ${w.replicas}`);
      await scale(ctx, w, w.replicas);
    }
  }
  const up = request.replicas.length > 0 ? `${describe(request.replicas)} scaled back` : 'no workload to scale back';
  await ctx.event('Normal', 'RestoreScaledUp', `restore: ${up}`);
}

export function describe(workloads: readonly ScaledWorkload[]): string {
  return workloads.map((w) => `${w.kind} ${w.name} (${w.replicas})`).join(', ');
}
