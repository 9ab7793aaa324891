/**
 * What admission needs from the rest of lifeboat, as small interfaces it takes as dependencies (never the catalog or
 * `decide()` directly): the restore decision for one PVC, and the PVC's Namespace. The catalog, the expected-history
 * ledger and the restore-point freshness design plug in behind `DecisionSource`; tests pass tables.
 *
 * Admission never does repository I/O itself (docs/design.md#slow-backends-inside-the-admission-deadline): a
 * DecisionSource answers from memory. Whatever it does,
 * the handler bounds it with a deadline well inside the webhook's timeout, and a late or failed answer is `unknown`.
 */

import { LIFEBOAT_PREFIX } from '../config/keys.ts';
import type { DecisionValue } from '../decision/decide.ts';
import type { Namespace, PersistentVolumeClaim, TypedObjectReference } from '../intent/resources.ts';
import { oneLine } from './outcome.ts';

/** A PVC as admission sees it: the intent fields plus `spec.dataSource`, which the user may set instead of the ref. */
export interface AdmissionPvc extends PersistentVolumeClaim {
  spec?: PersistentVolumeClaim['spec'] & { dataSource?: TypedObjectReference | null };
}

/**
 * The decision admission acts on. A `Decision` from src/decision/decide.ts is one (structurally); a source may also
 * produce causes of its own (e.g. a restore point that is not fresh yet), so `cause` is a plain string here.
 */
export interface AdmissionDecision {
  decision: DecisionValue;
  /** True exactly for `restore` and `fresh`; anything else is treated as unknown (docs/design.md#compatibility-kept-on-purpose, rule 1). */
  authoritative: boolean;
  /** A short code (`snapshots-found`, `wrong-password`, …): metric label, and the first words of denials. */
  cause: string;
  /** One sentence naming the cause and, for unknown, the remedy. Never contains credentials. */
  message: string;
}

export interface AdmissionFacts {
  decision: AdmissionDecision;
  /**
   * The ReplicationDestination (in the PVC's namespace) a restore references: required for `restore`. The source
   * names only an RD lifeboat keeps and whose image is fresh enough to restore from (docs/design.md#stale-restore,
   * #dangling-data-source); when it cannot,
   * it answers unknown with a cause saying why.
   */
  restorePoint?: string;
  /**
   * Annotations a restore adds to the PVC beside the reference (lifeboat's own keys only): the snapshot the restore
   * point was made for, so the controller can create it pinned to that snapshot (src/plan/restore-point.ts).
   */
  annotations?: Record<string, string>;
}

export interface DecisionSource {
  /** The decision for one PVC being created. May be async, but must answer from memory (docs/design.md#slow-backends-inside-the-admission-deadline). */
  decideForAdmission(namespace: string, pvcName: string, pvc: AdmissionPvc): AdmissionFacts | Promise<AdmissionFacts>;
}

/** The PVC's Namespace (labels and annotations are read), or undefined when it does not exist. */
export type NamespaceSource = (name: string) => Namespace | undefined | Promise<Namespace | undefined>;

/** Causes admission itself adds to the decision's own. */
export type AdmissionCause =
  /** The DecisionSource answered `restore` without naming a restore point. */
  | 'restore-point-missing'
  /** The DecisionSource answered restore/fresh but not authoritatively. */
  | 'not-authoritative'
  /** The DecisionSource did not answer within the admission budget. */
  | 'decision-timeout'
  /** The DecisionSource threw. */
  | 'decision-error'
  /** The PVC's Namespace could not be read (or does not exist). */
  | 'namespace-unknown'
  /** Labels of the PVC are contradictory or malformed (unknown tier, both backup and exempt, …). */
  | 'invalid-intent'
  | 'skip-restore-without-reason'
  | 'skip-restore-malformed'
  /** A restore decision, but the PVC reached validation without `spec.dataSourceRef`. */
  | 'restore-reference-missing'
  /** A restore decision, but the PVC names another data source. */
  | 'restore-reference-mismatch'
  /** The AdmissionReview's object is not a usable PVC. */
  | 'malformed-request';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DECISIONS: readonly string[] = ['restore', 'fresh', 'unknown'];

function unknown(cause: AdmissionCause | string, message: string): AdmissionFacts {
  return { decision: { decision: 'unknown', authoritative: false, cause, message } };
}

/**
 * Holds a source's answer to the contract before admission acts on it, so a buggy or half-finished source can only
 * make an answer unknown, never turn it into an empty volume: restore/fresh must be authoritative, restore must name
 * a valid restore point, and every answer has a cause and a message.
 */
export function checkFacts(facts: AdmissionFacts): AdmissionFacts {
  const d = facts?.decision;
  if (!d || typeof d !== 'object' || !DECISIONS.includes(d.decision)) {
    return unknown(
      'decision-error',
      'decision-error: the decision source gave no valid decision; this is a lifeboat bug, report it',
    );
  }
  // Bounded, so that the remedies admission appends after them always survive the API server's message limits.
  const cause = typeof d.cause === 'string' && d.cause ? oneLine(d.cause, 100) : `${d.decision}-without-cause`;
  const message =
    typeof d.message === 'string' && d.message ? oneLine(d.message, 2000) : `${cause}: no explanation was given`;
  if (d.decision === 'unknown') return unknown(cause, message);
  if (d.authoritative !== true) {
    return unknown(
      'not-authoritative',
      `not-authoritative: the answer "${d.decision}" (${cause}) is not authoritative, so it cannot be trusted; ${message}`,
    );
  }
  if (d.decision === 'fresh') return { decision: { decision: 'fresh', authoritative: true, cause, message } };
  const point = facts.restorePoint;
  if (typeof point !== 'string' || point.length > 253 || !NAME.test(point)) {
    return unknown(
      'restore-point-missing',
      `restore-point-missing: backups exist (${message}) but no valid ReplicationDestination to restore from is known yet; lifeboat creates one for every protected PVC, retry in a minute and check the controller's Events if it persists`,
    );
  }
  const annotations = Object.fromEntries(
    Object.entries(facts.annotations ?? {}).filter(
      ([k, v]) => k.startsWith(LIFEBOAT_PREFIX) && typeof v === 'string' && v.length <= 1024,
    ),
  );
  return {
    decision: { decision: 'restore', authoritative: true, cause, message },
    restorePoint: point,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}
