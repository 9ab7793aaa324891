/**
 * `lifeboat restore <ns>/<pvc>`: the five manual steps of a point-in-time restore with VolSync (scale down, pin the
 * snapshot,
 * delete and recreate the PVC, wait for the populator, scale up) as one resumable procedure.
 *
 *   check (PVC protected, restore point exists, snapshot chosen from the catalog, workloads scalable)
 *   [1] record the request on the persistent RD (the lock; admission restores its snapshot from now on)
 *   [2] scale the workloads that mount the PVC to zero      (replicas remembered in the request)
 *   [3] delete the PVC and wait until it is gone
 *   [4] wait for it to come back (GitOps, a StatefulSet's templates, or --recreate) restored and Bound
 *   [5] scale the workloads back
 *   clear the request
 *
 * The request's `step` is written after each step, so an interrupted run (Ctrl-C, a crash, a lost connection) is
 * continued by running the same command again. Preconditions that fail refuse with what to do; nothing is changed
 * before the request (the lock) is recorded.
 */
import type { PvcFacts } from '../catalog/view.ts';
import {
  BACKUP_HISTORY_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  RESTORE_REQUEST_ANNOTATION,
} from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { decide } from '../decision/decide.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace } from '../intent/resources.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { parseHistory } from '../plan/history.ts';
import { generatedNames } from '../plan/names.ts';
import { VOLSYNC_API_VERSION } from '../plan/objects.ts';
import { heldByOther, RESTORE_STEPS, type RestoreRequest, type RestoreStep, reached } from '../plan/restore-request.ts';
import type { PvcRef } from '../repository/source.ts';
import { type ClaimObject, capturePvc } from './capture.ts';
import { RequestStore, RestoreLocked } from './request-store.ts';
import { describeSelection, type Selection, selectSnapshot } from './select.ts';
import { deletePvc, describe, RestoreRefused, restorePvc, type StepContext, scaleDown, scaleUp } from './steps.ts';
import { Interrupted } from './wait.ts';
import { listConsumers } from './workloads.ts';

export interface RestoreCatalog {
  lookup(ref: PvcRef): Promise<PvcFacts>;
  readonly staleAfterMs: number;
}

export interface RestoreOptions {
  kube: KubeClient;
  config: LifeboatConfig;
  catalog: RestoreCatalog;
  events?: EventRecorder;
  namespace: string;
  pvc: string;
  selection: Selection;
  /** Whether the user chose the snapshot (a resumed restore must then be for that very snapshot). */
  selectionGiven: boolean;
  recreate: boolean;
  dryRun: boolean;
  /** Asks before the first destructive step; omitted with --yes. Resolves false to stop. */
  confirm?: (plan: readonly string[]) => Promise<boolean>;
  progress: (line: string) => void;
  signal?: AbortSignal;
  /** This run's identity in the lock. */
  holderId: string;
  pollMs?: number;
  waitTimeoutMs?: number;
  heartbeatMs?: number;
  now?: () => number;
}

export type RestoreOutcome = { kind: 'done'; request: RestoreRequest } | { kind: 'dry-run'; plan: string[] };

const STEP_TITLES: Record<Exclude<RestoreStep, 'requested'>, string> = {
  'scaled-down': 'scale the workloads that mount the PVC to zero',
  'pvc-deleted': 'delete the PVC',
  'pvc-restored': 'wait for the PVC to come back restored and Bound',
  'scaled-up': 'scale the workloads back',
};
const STEP_FUNCTIONS = {
  'scaled-down': scaleDown,
  'pvc-deleted': deletePvc,
  'pvc-restored': restorePvc,
  'scaled-up': scaleUp,
};

export async function runRestore(opts: RestoreOptions): Promise<RestoreOutcome> {
  const { kube, config, namespace, pvc } = opts;
  const now = opts.now ?? Date.now;
  const where = `${namespace}/${pvc}`;
  const destination = generatedNames(pvc, config.naming).replicationDestination;
  const store = new RequestStore(kube, namespace, destination, opts.holderId, now);

  const { rd, request: existing } = await store.read();
  if (!rd || rd.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
    throw new RestoreRefused(
      `${where} has no lifeboat restore point (ReplicationDestination ${namespace}/${destination}): label the PVC with a backup tier ` +
        'in an opted-in namespace, and check that the lifeboat operator runs',
    );
  }
  const claim = (await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: pvc })) as
    | (KubeObject & ClaimObject)
    | undefined;

  if (existing && heldByOther(existing, opts.holderId, now())) {
    throw new RestoreLocked(
      `another lifeboat restore of ${where} is running (holder ${existing.holder?.id}, at step "${existing.step}"); ` +
        'wait for it to finish, or stop it and re-run this command to continue it',
    );
  }
  let request: RestoreRequest;
  let plan: string[];
  if (existing) {
    ({ request, plan } = await resumePlan(opts, existing, rd, where));
  } else {
    ({ request, plan } = await freshPlan(opts, rd, claim, where, now));
  }
  for (const line of plan) opts.progress(line);
  if (opts.dryRun) return { kind: 'dry-run', plan };
  if (opts.confirm && !(await opts.confirm(plan))) throw new RestoreRefused('not confirmed: nothing was changed');

  const lost = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal;
  const held = await store.acquire(request, (found) => {
    if (!existing)
      return `another lifeboat restore of ${where} started meanwhile (snapshot ${found.snapshotId}, step ${found.step})`;
    return found.snapshotId === existing.snapshotId
      ? undefined
      : `the restore request of ${where} changed meanwhile (snapshot ${found.snapshotId})`;
  });
  request = held.request;
  store.startHeartbeat(opts.heartbeatMs ?? 10_000, (why) => lost.abort(new RestoreLocked(why)));

  const event = async (type: 'Normal' | 'Warning', reason: string, note: string) => {
    if (!opts.events) return;
    const current = await kube
      .get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: pvc })
      .catch(() => undefined);
    const rdSubject: EventSubject = {
      apiVersion: VOLSYNC_API_VERSION,
      kind: 'ReplicationDestination',
      metadata: { name: destination, namespace, ...(rd.metadata.uid ? { uid: rd.metadata.uid } : {}) },
    };
    const subject = current && !current.metadata.deletionTimestamp ? (current as EventSubject) : rdSubject;
    opts.events.record(subject, {
      type,
      reason,
      action: 'Restore',
      note,
      ...(subject === rdSubject ? {} : { related: rdSubject }),
    });
  };
  const ctx: StepContext = {
    kube,
    namespace,
    pvc,
    destination,
    recreate: opts.recreate,
    naming: config.naming,
    wait: { signal, pollMs: opts.pollMs ?? 2_000, timeoutMs: opts.waitTimeoutMs ?? 30 * 60_000 },
    progress: opts.progress,
    event,
  };
  try {
    if (held.resumed) {
      opts.progress(`resuming after step "${request.step}" (recorded ${request.requestedAt})`);
      await event(
        'Normal',
        'RestoreResumed',
        `restore to snapshot ${request.snapshotId}: resumed after step ${request.step}`,
      );
    } else {
      opts.progress(`[1/5] recorded the restore request on ReplicationDestination ${namespace}/${destination}`);
      await event(
        'Normal',
        'RestoreRequested',
        `restore to snapshot ${request.snapshotId} from ${request.snapshotTime} requested; PVCs created under this name now restore it`,
      );
    }
    const steps = RESTORE_STEPS.slice(1) as Exclude<RestoreStep, 'requested'>[];
    for (const [i, step] of steps.entries()) {
      if (reached(request.step, step)) continue;
      throwIfAborted(signal);
      opts.progress(`[${i + 2}/5] ${STEP_TITLES[step]}`);
      await STEP_FUNCTIONS[step](ctx, request);
      throwIfAborted(signal);
      request = await store.update((r) => ({ ...r, step }));
    }
    await store.clear();
    await event(
      'Normal',
      'RestoreCompleted',
      `restore complete: the PVC holds snapshot ${request.snapshotId} from ${request.snapshotTime}`,
    );
    opts.progress(
      `done: ${where} was restored from snapshot ${request.snapshotId} (${request.snapshotTime}); the request is cleared`,
    );
    return { kind: 'done', request };
  } catch (error) {
    if (error instanceof RestoreRefused || error instanceof RestoreLocked) {
      await event('Warning', 'RestoreStopped', `restore stopped at step ${request.step}: ${error.message}`);
    }
    throw signal.aborted && signal.reason instanceof RestoreLocked ? signal.reason : error;
  } finally {
    store.stopHeartbeat();
    // Whatever stopped the run, the next `lifeboat restore` may continue at once (unless the request is done).
    await store.release();
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof RestoreLocked ? signal.reason : new Interrupted('interrupted');
}

async function chooseSnapshot(opts: RestoreOptions, rd: KubeObject, where: string) {
  const facts = await opts.catalog.lookup({ namespace: opts.namespace, pvc: opts.pvc });
  const history = parseHistory(rd.metadata.annotations?.[BACKUP_HISTORY_ANNOTATION]);
  const decision = decide({
    facts,
    nowMs: (opts.now ?? Date.now)(),
    staleAfterMs: opts.catalog.staleAfterMs,
    ...(history ? { expected: { hadSnapshots: true } } : {}),
  });
  const chosen = selectSnapshot(decision, opts.selection, where);
  if ('refusal' in chosen) throw new RestoreRefused(chosen.refusal);
  return chosen.snapshot;
}

async function freshPlan(
  opts: RestoreOptions,
  rd: KubeObject,
  claim: (KubeObject & ClaimObject) | undefined,
  where: string,
  now: () => number,
): Promise<{ request: RestoreRequest; plan: string[] }> {
  const { kube, config, namespace, pvc } = opts;
  if (claim) {
    if (claim.metadata.deletionTimestamp)
      throw new RestoreRefused(`PVC ${where} is being deleted; wait until it is gone, then restore`);
    const ns = (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace })) as
      | (KubeObject & Namespace)
      | undefined;
    const intent = classifyPvc({ metadata: { ...claim.metadata, namespace } }, ns, config).intent;
    if (intent.kind !== 'protected') {
      const why =
        intent.kind === 'exempt'
          ? `exempt: ${intent.reason}`
          : 'message' in intent
            ? `${intent.kind}: ${intent.message}`
            : 'unlabelled: no backup label';
      throw new RestoreRefused(`PVC ${where} is not protected by lifeboat (${why}), so lifeboat will not restore it`);
    }
  } else if (opts.recreate) {
    throw new RestoreRefused(
      `PVC ${where} does not exist, so there is nothing to capture for --recreate: let GitOps create it instead`,
    );
  }
  const snapshot = await chooseSnapshot(opts, rd, where);
  const consumers = await listConsumers(kube, namespace, pvc);
  if (consumers.refusals.length > 0) {
    throw new RestoreRefused(
      `cannot stop everything that uses PVC ${where}:\n  - ${consumers.refusals.join('\n  - ')}`,
    );
  }
  const request: RestoreRequest = {
    snapshotId: snapshot.id,
    snapshotTime: snapshot.time,
    requestedAt: new Date(now()).toISOString(),
    step: 'requested',
    replicas: consumers.scalable,
    ...(claim?.metadata.uid ? { pvcUid: claim.metadata.uid } : {}),
    ...(claim ? { capturedSpec: capturePvc(claim) } : {}),
  };
  const workloads = consumers.scalable.length ? describe(consumers.scalable) : 'none';
  const back = claim
    ? opts.recreate
      ? 'recreate it from its current spec (admission adds the restore point)'
      : consumers.scalable.some((w) => w.recreatesPvc)
        ? 'scale the StatefulSet up so its volumeClaimTemplates recreate it (admission adds the restore point)'
        : 'wait for GitOps (or you) to recreate it (admission adds the restore point)'
    : 'wait for the PVC to be created (admission adds the restore point)';
  const plan = [
    `restore ${where} to snapshot ${snapshot.id} from ${snapshot.time} (${describeSelection(opts.selection)})`,
    `  workloads to stop: ${workloads}`,
    `  then: ${claim ? `delete PVC ${where}, ` : ''}${back}, wait until it is Bound, scale the workloads back`,
  ];
  return { request, plan };
}

async function resumePlan(
  opts: RestoreOptions,
  existing: RestoreRequest,
  rd: KubeObject,
  where: string,
): Promise<{ request: RestoreRequest; plan: string[] }> {
  if (opts.selectionGiven) {
    const chosen = await chooseSnapshot(opts, rd, where);
    if (chosen.id !== existing.snapshotId) {
      throw new RestoreRefused(
        `a restore of ${where} to snapshot ${existing.snapshotId} (${existing.snapshotTime}) is in progress since ` +
          `${existing.requestedAt}, at step "${existing.step}"; ${describeSelection(opts.selection)} is ${chosen.id}. ` +
          `Run lifeboat restore ${where} without --as-of/--previous/--snapshot to continue it, or cancel it with ` +
          `kubectl -n ${opts.namespace} annotate replicationdestination ${rd.metadata.name} ${RESTORE_REQUEST_ANNOTATION}- ` +
          `(then scale ${existing.replicas.length ? describe(existing.replicas) : 'nothing'} back yourself)`,
      );
    }
  }
  if (opts.recreate && !existing.capturedSpec) {
    throw new RestoreRefused(
      '--recreate needs the PVC spec captured when the restore started, and there was no PVC then',
    );
  }
  const remaining = (RESTORE_STEPS.slice(1) as Exclude<RestoreStep, 'requested'>[]).filter(
    (s) => !reached(existing.step, s),
  );
  const plan = [
    `continue the restore of ${where} to snapshot ${existing.snapshotId} from ${existing.snapshotTime} (requested ${existing.requestedAt})`,
    `  workloads: ${existing.replicas.length ? describe(existing.replicas) : 'none'}`,
    `  remaining: ${remaining.map((s) => STEP_TITLES[s]).join('; ') || 'clear the request'}`,
  ];
  return { request: existing, plan };
}
