/**
 * Is a PVC being created lifeboat's business, and does it need a restore decision? Pure: the PVC, its Namespace (or
 * undefined when it could not be read) and the config in, one answer out. Intent comes from `classifyPvc`, the same
 * reading the controller uses, so admission and reconciliation never disagree about what a label means.
 */
import type { LifeboatConfig } from '../config/types.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace } from '../intent/resources.ts';
import type { AdmissionCause, AdmissionPvc } from './facts.ts';
import { BREAK_GLASS_LABEL, SKIP_RESTORE_REASON_ANNOTATIONS } from './keys.ts';
import { type BreakGlassScope, oneLine } from './outcome.ts';
import { readSkipRestore } from './skip-restore.ts';

export type Scope =
  /**
   * Not protected here (excluded namespace, unlabelled, a database operator's unlabelled claim, exempt, namespace not
   * opted in): allowed untouched.
   */
  | { kind: 'pass'; why: string; warnings: string[] }
  /** Protected but its labels or annotations cannot be read unambiguously, or its Namespace is unknown: denied. */
  | { kind: 'deny'; cause: AdmissionCause; message: string; warnings: string[] }
  /** Protected, and the user asked to start empty, with a reason: allowed untouched, no decision needed. */
  | { kind: 'skip-restore'; reason: string; warnings: string[] }
  /** Protected: the restore decision decides. */
  | { kind: 'decide'; tier: string; warnings: string[] };

export function assessPvc(pvc: AdmissionPvc, namespace: Namespace | undefined, config: LifeboatConfig): Scope {
  const ref = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
  const { intent, warnings: intentWarnings } = classifyPvc(pvc, namespace, config);
  const warnings = intentWarnings.map((w) => `lifeboat: ${w.message}`);
  switch (intent.kind) {
    case 'excluded':
    case 'unlabelled':
    case 'database':
      return { kind: 'pass', why: intent.kind, warnings };
    case 'exempt':
      return { kind: 'pass', why: 'exempt', warnings };
    case 'invalid':
      return {
        kind: 'deny',
        cause: 'invalid-intent',
        message:
          `invalid-intent: PVC ${ref} carries lifeboat labels that cannot be read unambiguously (${intent.reason}): ` +
          `${oneLine(intent.message, 1000)}. It is denied rather than created without knowing whether to restore it; fix the labels and apply again`,
        warnings,
      };
    case 'not-opted-in':
      if (namespace === undefined) {
        return {
          kind: 'deny',
          cause: 'namespace-unknown',
          message:
            `namespace-unknown: lifeboat could not read namespace ${pvc.metadata.namespace}, so it cannot tell whether ` +
            `PVC ${ref} is protected; it is denied rather than risk creating it empty. Retry (GitOps retries on its own); ` +
            'if it persists, check that lifeboat may get namespaces (RBAC) and reach the API server',
          warnings,
        };
      }
      return {
        kind: 'pass',
        why: 'not-opted-in',
        warnings: [...warnings, `lifeboat: PVC ${ref} is not protected: ${intent.message}`],
      };
    case 'protected':
      break;
  }

  const skip = readSkipRestore(pvc.metadata.annotations);
  warnings.push(...skip.warnings.map((w) => `lifeboat: ${w}`));
  switch (skip.state) {
    case 'malformed':
      return {
        kind: 'deny',
        cause: 'skip-restore-malformed',
        message: `skip-restore-malformed: PVC ${ref}: ${skip.message}`,
        warnings,
      };
    case 'missing-reason':
      return {
        kind: 'deny',
        cause: 'skip-restore-without-reason',
        message:
          `skip-restore-without-reason: PVC ${ref} has ${skip.key}: "true" but no reason; add the annotation ` +
          `${SKIP_RESTORE_REASON_ANNOTATIONS[1]} (or ${SKIP_RESTORE_REASON_ANNOTATIONS[0]}) saying why it must start ` +
          'empty, so the next reader of the manifest knows restore is off on purpose',
        warnings,
      };
    case 'on':
      return {
        kind: 'skip-restore',
        reason: skip.reason,
        warnings: [
          ...warnings,
          `lifeboat: restore skipped on request (${skip.key}), so ${ref} starts empty; remove the skip-restore annotations once it is Bound`,
        ],
      };
    case 'off':
      return { kind: 'decide', tier: intent.tier, warnings };
  }
}

/** Which break-glass applies: the global switch wins, then the namespace label. */
export function breakGlassScope(namespace: Namespace | undefined, global: boolean): BreakGlassScope | undefined {
  if (global) return 'global';
  return namespace?.metadata.labels?.[BREAK_GLASS_LABEL] === 'true' ? 'namespace' : undefined;
}
