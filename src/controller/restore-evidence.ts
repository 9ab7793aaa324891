/**
 * The edge of restore evidence (the decisions are decision/restore-verdict.ts): for a PVC admission pointed at a
 * restore point, read the facts, act, and record what was restored where a user looks.
 *
 *   restore point not created yet ─► re-read the PVC's source ─► pinned snapshot there? create it : withhold it
 *   mover reported ─► verdict ─► verified: annotate, Event, metric
 *                              └► mismatch | empty | unverified: PVC still Pending → delete the restore point before
 *                                 VolSync publishes its image (a resourceVersion precondition proves it had none), so
 *                                 the populator never hands the volume over; Bound → too late: Warning, alert
 *
 * Where the window closes and where it cannot (also in README "Restore evidence"): the populator copies the restore
 * point's `latestImage` as soon as VolSync sets it, and VolSync sets it right after the mover's VolumeSnapshot is
 * ready — there is no hook between the two. The mover's report (`latestMoverStatus`) is written when the Job
 * completes, one reconcile before `latestImage` at the earliest; lifeboat's stop works only inside that gap (the
 * snapshot's time to become ready). Deleting a restore point whose image is already published is still done (the
 * populator needs it until it has created its own claim) but cannot be proven to stop the hand-over.
 */

import type { Catalog } from '../catalog/catalog.ts';
import type { PvcFacts } from '../catalog/view.ts';
import { KOPIA_IDENTITY_ANNOTATION, RESTORE_VERDICT_ANNOTATION, RESTORED_FROM_ANNOTATION } from '../config/keys.ts';
import {
  armingCheck,
  type EvidenceRead,
  isBadRestore,
  type PinnedSnapshot,
  parseRecordedVerdict,
  type RestoreVerdict,
  restoreVerdict,
} from '../decision/restore-verdict.ts';
import type { PersistentVolumeClaim } from '../intent/resources.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import { moverOf } from '../plan/standby.ts';
import type { ControllerMetrics } from './metrics.ts';

/** The field manager of the evidence annotations: the PVC is not lifeboat's, only these two keys are. */
const EVIDENCE_FIELD_MANAGER = 'lifeboat-evidence';

/** How long a restore point waits when its repository could not be re-read before it is created. */
const HOLD_RETRY_MS = 30_000;
/** How soon a restore whose repository could not be re-read after the mover is checked again. */
const RECHECK_MS = 5_000;

/** The restore point's fields the evidence reads (the controller's cache keeps its mover log, see transform.ts). */
export interface RestorePointObject extends KubeObject {
  spec?: { kopia?: unknown; restic?: unknown };
  status?: {
    latestImage?: { name?: string } | null;
    /** End of the last successful sync (VolSync writes it once the mover is done). */
    lastSyncTime?: string;
    latestMoverStatus?: { result?: string; logs?: string };
    kopia?: { requestedIdentity?: string };
  };
}

export interface EvidenceOutcome {
  /** Why the restore point must not exist now; undefined: plan it as usual. */
  withhold?: string;
  requeueAfterMs?: number;
  /** The restore point was deleted here: the caller's cache must not plan (and count) a second deletion of it. */
  deleted?: boolean;
}

/** The recorded verdict of a PVC: `<outcome>: <why>`. */
function recordedOutcome(pvc: PersistentVolumeClaim): string | undefined {
  return parseRecordedVerdict(pvc.metadata.annotations?.[RESTORE_VERDICT_ANNOTATION])?.outcome;
}

/** What the catalog's re-read says, as the verdict reads it; a read older than `sinceMs` does not count. */
export function repositoryRead(facts: PvcFacts, sinceMs: number): EvidenceRead {
  if (facts.lastFailure) return { state: 'failed', message: `${facts.lastFailure.code}: ${facts.lastFailure.message}` };
  const view = facts.view;
  if (!view || view.observedAtMs < sinceMs) return { state: 'failed', message: 'the repository was not read' };
  return {
    state: 'read',
    startedAtMs: view.observedAtMs,
    snapshotIds: view.snapshots.filter((s) => !s.incomplete).map((s) => s.id),
  };
}

export interface RestoreEvidenceOptions {
  kube: KubeClient;
  events: EventRecorder;
  metrics: ControllerMetrics;
  catalog?: Catalog;
  now: () => number;
}

export class RestoreEvidence {
  readonly opts: RestoreEvidenceOptions;
  /** Last transient message per PVC (hold, mover failed), so resyncs do not repeat its Event. */
  readonly #noted = new Map<string, string>();
  /**
   * Verdicts recorded by this process, by PVC key (with the PVC's uid): the PVC cache may not show the annotation
   * yet when the next reconcile runs (e.g. the one the restore point's deletion triggers), and a second verdict must
   * never overwrite the first.
   */
  readonly #recorded = new Map<string, { uid: string | undefined; outcome: string }>();

  constructor(opts: RestoreEvidenceOptions) {
    this.opts = opts;
  }

  forget(key: string): void {
    this.#noted.delete(key);
    this.#recorded.delete(key);
  }

  /**
   * One PVC with a requested restore point: `point` from its annotations, `rd` the restore point as cached (absent
   * until created).
   */
  async check(
    key: string,
    pvc: KubeObject & PersistentVolumeClaim,
    point: PinnedSnapshot & { name: string },
    rd: RestorePointObject | undefined,
  ): Promise<EvidenceOutcome> {
    const memo = this.#recorded.get(key);
    const outcome = recordedOutcome(pvc) ?? (memo && memo.uid === pvc.metadata.uid ? memo.outcome : undefined);
    const bound = pvc.status?.phase === 'Bound';
    if (outcome !== undefined && isBadRestore(outcome)) {
      return bound ? {} : { withhold: pvc.metadata.annotations?.[RESTORE_VERDICT_ANNOTATION] ?? outcome };
    }
    if (outcome === 'verified') return {};
    const ref = { namespace: pvc.metadata.namespace ?? '', pvc: pvc.metadata.name };
    if (!rd) {
      if (bound || !this.opts.catalog) return {};
      // Any read that started after admission pinned the snapshot (the PVC's creation) tells whether it still exists.
      const created = Date.parse(pvc.metadata.creationTimestamp ?? '');
      // creationTimestamp has whole seconds: the end of its second is after the admission — and so is now.
      const since = Number.isNaN(created) ? this.opts.now() : Math.min(created + 1000, this.opts.now());
      const read = repositoryRead(await this.opts.catalog.reread(ref, since), since);
      const check = armingCheck(point, read);
      if (check.action === 'arm') {
        this.#noted.delete(key);
        return {};
      }
      if (check.action === 'hold') {
        this.#note(key, pvc, 'RestorePointHeld', check.message);
        return { withhold: check.message, requeueAfterMs: HOLD_RETRY_MS };
      }
      await this.#record(pvc, 'refused', `refused: ${check.message}`, undefined);
      this.#event(pvc, 'Warning', 'RestoreRefused', `${check.message}. ${check.remedy}`);
      return { withhold: check.message };
    }

    const status = rd.status ?? {};
    const mover = moverOf(rd) ?? 'restic';
    const identity = rd.metadata.annotations?.[KOPIA_IDENTITY_ANNOTATION]?.split(':', 1)[0];
    const base = {
      pinned: point,
      mover,
      status: {
        ...(status.latestMoverStatus?.result ? { result: status.latestMoverStatus.result } : {}),
        ...(status.latestMoverStatus?.logs ? { logs: status.latestMoverStatus.logs } : {}),
        ...(status.kopia?.requestedIdentity ? { requestedIdentity: status.kopia.requestedIdentity } : {}),
      },
      ...(identity ? { expectedIdentity: identity } : {}),
    } as const;
    let verdict = restoreVerdict(base);
    if (verdict.outcome === 'pending' && base.status.result !== undefined && this.opts.catalog) {
      // The report does not name the snapshot: a read that started after the mover finished settles it. VolSync
      // writes lastSyncTime (whole seconds) once the mover is done, so any read since then will do, and restores of a
      // rebuild share one read of the shared repository instead of each starting its own.
      const syncedAt = Date.parse(status.lastSyncTime ?? '');
      const since = Number.isNaN(syncedAt) ? this.opts.now() : Math.min(this.opts.now(), syncedAt + 1000);
      const readAfter = repositoryRead(await this.opts.catalog.reread(ref, since), since);
      if (readAfter.state === 'failed' && !bound) {
        // Most likely a passing repository problem: try again rather than stop a restore that is probably right.
        this.#note(key, pvc, 'RestoreEvidenceWaiting', `cannot confirm the restore yet: ${readAfter.message}`);
        return { requeueAfterMs: RECHECK_MS };
      }
      verdict = restoreVerdict({ ...base, moverDoneByMs: since, readAfter });
    }
    if (verdict.outcome === 'pending') {
      if (!bound) return {};
      verdict = {
        outcome: 'unverified',
        message: `the PVC was populated but ${verdict.message}`,
        remedy: 'Check the data before trusting it; kubectl describe replicationdestination shows what VolSync kept.',
      };
    }
    if (verdict.outcome === 'failed') {
      this.#note(key, pvc, 'RestoreMoverFailed', `${verdict.message}. ${verdict.remedy}`, 'failed');
      return {};
    }
    this.#noted.delete(key);
    if (verdict.outcome === 'verified') {
      await this.#record(pvc, 'verified', `verified: ${verdict.message}`, verdict);
      this.#event(pvc, 'Normal', 'RestoreVerified', verdict.message);
      return {};
    }
    const stop = bound ? undefined : await this.#stop(rd);
    const consequence = bound
      ? 'The PVC is already Bound: the application may be running on this data.'
      : stop === 'stopped'
        ? `The restore point ${rd.metadata.name} was deleted before VolSync published its image: the volume is not handed over.`
        : `The restore point ${rd.metadata.name} was deleted, but VolSync had already published its image: the populator may still hand this volume over.`;
    await this.#record(pvc, verdict.outcome, `${verdict.outcome}: ${verdict.message}`, verdict);
    const reason = { mismatch: 'RestoreMismatch', empty: 'RestoreEmpty', unverified: 'RestoreUnverified' }[
      verdict.outcome as 'mismatch' | 'empty' | 'unverified'
    ];
    this.#event(pvc, 'Warning', reason, `${verdict.message}. ${consequence} ${verdict.remedy ?? ''}`.trim());
    return bound ? {} : { withhold: verdict.message, deleted: true };
  }

  /**
   * Deletes the restore point on the condition that it is the version read: if that version had no image, VolSync
   * had not published one and the populator cannot have used it. 'late' when the image was out already.
   */
  async #stop(rd: RestorePointObject): Promise<'stopped' | 'late'> {
    const ref = {
      apiVersion: rd.apiVersion,
      kind: rd.kind,
      name: rd.metadata.name,
      namespace: rd.metadata.namespace ?? '',
    };
    const published = Boolean(rd.status?.latestImage?.name);
    try {
      await this.opts.kube.delete(ref, {
        ...(rd.metadata.uid ? { uid: rd.metadata.uid } : {}),
        ...(!published && rd.metadata.resourceVersion ? { resourceVersion: rd.metadata.resourceVersion } : {}),
      });
      return published ? 'late' : 'stopped';
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Changed since it was read (VolSync may just have published the image): delete it anyway, and say so.
      await this.opts.kube.delete(ref, rd.metadata.uid ? { uid: rd.metadata.uid } : {});
      return 'late';
    }
  }

  /** Writes the two evidence annotations (server-side apply of just these keys) and counts the outcome once. */
  async #record(
    pvc: KubeObject & PersistentVolumeClaim,
    outcome: string,
    verdictText: string,
    verdict: RestoreVerdict | undefined,
  ): Promise<void> {
    const restored = verdict?.restored
      ? `${verdict.restored.id} ${verdict.restored.time ?? 'unknown-time'}`
      : undefined;
    const annotations: Record<string, string> = { [RESTORE_VERDICT_ANNOTATION]: verdictText };
    if (restored) annotations[RESTORED_FROM_ANNOTATION] = restored;
    if (verdict?.outcome === 'empty') annotations[RESTORED_FROM_ANNOTATION] = 'nothing';
    const namespace = pvc.metadata.namespace ?? '';
    try {
      await this.opts.kube.apply(
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: pvc.metadata.name, namespace, uid: pvc.metadata.uid, annotations },
        },
        { force: true, fieldManager: EVIDENCE_FIELD_MANAGER },
      );
    } catch (error) {
      // Gone, or replaced by a PVC of the same name (the uid is a precondition): that PVC gets its own verdict.
      if (isNotFound(error) || isConflict(error)) return;
      throw new Error(
        `recording the restore verdict on ${namespace}/${pvc.metadata.name}: ${describeKubeError(error).message}`,
      );
    }
    this.#recorded.set(namespace ? `${namespace}/${pvc.metadata.name}` : pvc.metadata.name, {
      uid: pvc.metadata.uid,
      outcome,
    });
    this.opts.metrics.restores.inc({ outcome });
  }

  #note(key: string, pvc: EventSubject, reason: string, message: string, count?: 'failed'): void {
    if (this.#noted.get(key) === message) return;
    this.#noted.set(key, message);
    if (count) this.opts.metrics.restores.inc({ outcome: count });
    this.#event(pvc, 'Warning', reason, message);
  }

  #event(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.opts.events.record(subject, { type, reason, action: 'VerifyRestore', note });
  }
}
