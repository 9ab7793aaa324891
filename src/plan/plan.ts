import { BACKUP_HISTORY_ANNOTATION } from '../config/keys.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { nativeBackupMessage } from '../intent/database.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { IntentResult } from '../intent/types.ts';
import { type ClusterCapabilities, capabilityProblems } from './capability.ts';
import { planCredentials, type SourceSecretFact } from './credentials.ts';
import { type BackupHistory, formatHistory } from './history.ts';
import { generatedNames } from './names.ts';
import { type GeneratedObject, type ObjectRef, refOf, type VolSyncTrigger } from './objects.ts';
import {
  isPendingRestoreSource,
  liveManualToken,
  type ObservedObject,
  ownedObjects,
  sortForDeletion,
} from './observed.ts';
import { buildDestination, buildSource, type ReplicationInput } from './replication.ts';
import { buildRestorePoint, requestedRestorePoint } from './restore-point.ts';
import { renderTrigger } from './schedule.ts';
import { sourceGate } from './source-gate.ts';
import { describeProtection, normal, type PlanEvent, type Verdict, waiting, warning } from './verdict.ts';

/** Facts from outside the pure core: the clock, the cluster, and what exists. */
export interface PlanFacts {
  /** Milliseconds since the epoch. */
  now: number;
  cluster: ClusterCapabilities;
  /** The copy-mode source Secret; ignored in external-secret mode. */
  sourceSecret: SourceSecretFact;
  /** Objects observed in the PVC's namespace; only lifeboat's own objects for this PVC are considered. */
  observed: readonly ObservedObject[];
  /**
   * The PVC's expected-history ledger, already merged with the catalog's latest authoritative read (history.ts). It
   * is written on the persistent destination; the controller always passes the live value when nothing is new, so an
   * apply never drops it.
   */
  history?: BackupHistory;
  /**
   * Why the PVC's requested restore point must not exist (restore evidence: its pinned snapshot is gone, or the
   * restore used another snapshot or none). The restore point is neither created nor spared; the PVC stays Pending.
   */
  withholdRestorePoint?: string;
}

export interface PlanInput {
  /** The PVC, with `metadata.namespace` set. */
  pvc: PersistentVolumeClaim;
  /** `classifyPvc(pvc, namespace, config)`. */
  intent: IntentResult;
  config: LifeboatConfig;
  facts: PlanFacts;
}

export interface Plan {
  verdict: Verdict;
  /** Desired objects, complete, in apply order (credentials, restore point, backup). Empty: apply nothing. */
  apply: GeneratedObject[];
  /** Owned objects to delete, in deletion order. Never anything lifeboat did not generate for this PVC. */
  delete: ObjectRef[];
  /** Further Events for the PVC (near-miss keys). */
  warnings: PlanEvent[];
  /** Remarks for a human reading a render, e.g. where copied credentials will come from. */
  notes: string[];
}

/**
 * Desired objects and the verdict for one PVC. Deletes only on an explicit request (label removed, or exempt with a
 * reason); invalid, not-opted-in, excluded and unsupported states keep whatever exists.
 */
export function planPvc(input: PlanInput): Plan {
  const { pvc, intent, facts } = input;
  const namespace = pvc.metadata.namespace;
  if (namespace === undefined) throw new Error(`PVC ${pvc.metadata.name} has no metadata.namespace`);
  const owned = ownedObjects(facts.observed, namespace, pvc.metadata.name);
  const ctx: Context = {
    ...input,
    namespace,
    owned,
    warnings: intent.warnings.map((w) => ({ type: 'Warning', ...w })),
  };

  const i = intent.intent;
  switch (i.kind) {
    case 'excluded':
      return keep(ctx, { kind: 'excluded', event: normal('SystemNamespace', i.message) });
    case 'invalid':
      return keep(ctx, { kind: 'invalid', event: warning(i.reason, `${i.message} ${KEPT}`) });
    case 'not-opted-in':
      return keep(ctx, {
        kind: 'not-opted-in',
        tier: i.tier,
        event: warning('NamespaceNotOptedIn', `${i.message} ${KEPT}`),
      });
    case 'unlabelled':
      return remove(ctx, owned, {
        kind: 'unlabelled',
        event: normal('BackupNotRequested', 'no backup label: not protected'),
      });
    case 'database':
      return remove(ctx, owned, {
        kind: 'database',
        operator: i.database.operator,
        event: normal('NativeBackupExpected', nativeBackupMessage(i.database)),
      });
    case 'exempt':
      return remove(ctx, owned, {
        kind: 'exempt',
        exemptReason: i.reason,
        event: normal('BackupExempt', `exempt: ${i.reason}`),
      });
    case 'protected':
      return planProtected(ctx, i.tier);
  }
}

/** What every step of planning one PVC needs. */
interface Context extends PlanInput {
  namespace: string;
  /** lifeboat's observed objects for this PVC. */
  owned: ObservedObject[];
  warnings: PlanEvent[];
}

const KEPT = '(existing backup objects are kept)';

function planProtected(ctx: Context, tier: string): Plan {
  const { pvc, config, facts, namespace, owned } = ctx;
  const tierConfig = config.tiers[tier];
  if (!tierConfig) throw new Error(`tier ${tier} is not configured`);
  const problems = capabilityProblems(config, facts.cluster);
  if (problems.length > 0) {
    return keep(ctx, {
      kind: 'unsupported',
      event: warning('UnsupportedConfiguration', `${problems.join('; ')} ${KEPT}`),
    });
  }
  const capacity = pvc.spec?.resources?.requests?.storage;
  if (!capacity) {
    const message = `spec.resources.requests.storage is missing, so no restore volume can be sized ${KEPT}`;
    return keep(ctx, { kind: 'invalid', event: warning('InvalidPvcSpec', message) });
  }

  const names = generatedNames(pvc.metadata.name, config.naming);
  const credentials = planCredentials({
    config,
    namespace,
    pvc: pvc.metadata.name,
    secretName: names.secret,
    source: facts.sourceSecret,
  });
  if (credentials.kind === 'waiting') {
    return keep(ctx, waiting(tier, 'credentials', warning('WaitingForCredentials', `${credentials.message} ${KEPT}`)));
  }

  const live = (kind: string, name: string) => owned.find((o) => o.kind === kind && o.metadata.name === name);
  const replication: ReplicationInput = { config, pvc, namespace, names };
  const liveDestination = live('ReplicationDestination', names.replicationDestination);
  const volume = { capacity, accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'] };
  const destination = buildDestination(
    replication,
    liveManualToken(liveDestination) ?? config.restore.initialTrigger,
    volume,
  );
  if (facts.history) {
    destination.metadata.annotations = {
      ...destination.metadata.annotations,
      [BACKUP_HISTORY_ANNOTATION]: formatHistory(facts.history),
    };
  }
  // A PVC admission pointed at a restore point, still waiting to be populated: that destination must exist.
  const point =
    pvc.status?.phase === 'Bound' || facts.withholdRestorePoint !== undefined
      ? undefined
      : requestedRestorePoint(pvc, config.naming);

  const liveSource = live('ReplicationSource', names.replicationSource);
  const wait = sourceGate(pvc, tier, liveSource, config.minPvcAge, facts.now);
  const rendered = renderTrigger(tierConfig.trigger, namespace, pvc.metadata.name);
  // A manual token in the live source was written by "back up now"; resetting it would re-trigger or lose it.
  const liveToken = 'manual' in rendered ? liveManualToken(liveSource) : undefined;
  const trigger: VolSyncTrigger = liveToken !== undefined ? { manual: liveToken } : rendered;

  const apply: GeneratedObject[] = [credentials.object, destination];
  if (point) apply.push(buildRestorePoint(replication, point, volume));
  if (!wait) apply.push(buildSource(replication, tier, trigger));
  const desired = new Set(apply.map((o) => `${o.kind}/${o.metadata.name}`));
  return {
    verdict: wait ?? {
      kind: 'protected',
      tier,
      trigger,
      event: normal('BackupConfigured', describeProtection(tier, trigger, tierConfig.retain)),
    },
    apply,
    delete: deletions(
      ctx,
      owned.filter((o) => !desired.has(`${o.kind}/${o.metadata.name}`)),
    ),
    warnings: ctx.warnings,
    notes: credentials.notes,
  };
}

function keep(ctx: Context, verdict: Verdict): Plan {
  return { verdict, apply: [], delete: [], warnings: ctx.warnings, notes: [] };
}

function remove(ctx: Context, objects: readonly ObservedObject[], verdict: Verdict): Plan {
  return { verdict, apply: [], delete: deletions(ctx, objects), warnings: ctx.warnings, notes: [] };
}

/**
 * References of the objects to delete, in deletion order, sparing a destination the PVC is being restored from and
 * the Secret that destination reads (docs/design.md#dangling-data-source).
 */
function deletions(ctx: Context, objects: readonly ObservedObject[]): ObjectRef[] {
  const pending = (o: ObservedObject) =>
    ctx.facts.withholdRestorePoint === undefined && isPendingRestoreSource(o, ctx.pvc);
  const restoring = ctx.owned.some(pending);
  const spared = (o: ObservedObject) =>
    pending(o) || (restoring && (o.kind === 'Secret' || o.kind === 'ExternalSecret'));
  return sortForDeletion(objects.filter((o) => !spared(o)).map((o) => refOf(o, ctx.namespace)));
}
