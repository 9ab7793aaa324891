/**
 * The validating webhook's decision for one PVC CREATE, pure. It sees the PVC after every mutating webhook ran, so it
 * is the one place that checks the end result (docs/design.md#compatibility-kept-on-purpose, validation rules 1–3):
 *
 * 1. decision unknown → deny (fail closed: the volume must not be initialised empty over backups it cannot see);
 * 2. decision restore but the PVC does not reference the restore point → deny (another mutator removed lifeboat's
 *    reference, or the manifest names another source);
 * 3. skip-restore without a reason, or malformed → deny (from the scope);
 * fresh, skip-restore with a reason, and PVCs that are not lifeboat's business → allow.
 *
 * Every denial names its cause and the remedies; break-glass turns denials into allowed-with-warning.
 */
import type { AdmissionFacts, AdmissionPvc } from './facts.ts';
import {
  BREAK_GLASS_LABEL,
  RESTORE_API_GROUP,
  RESTORE_KIND,
  SKIP_RESTORE_ANNOTATIONS,
  SKIP_RESTORE_REASON_ANNOTATIONS,
} from './keys.ts';
import { type AdmissionOutcome, allow, applyBreakGlass, type BreakGlassScope, deny, oneLine } from './outcome.ts';
import type { Scope } from './scope.ts';

export interface ValidateInput {
  pvc: AdmissionPvc;
  scope: Scope;
  /** Checked facts (see `checkFacts`); needed only for scope `decide`. */
  facts?: AdmissionFacts;
  breakGlass?: BreakGlassScope;
}

/** The ways out of a denial, appended to every decision-related message. */
export const SKIP_RESTORE_REMEDY = `to start it empty on purpose, annotate it ${SKIP_RESTORE_ANNOTATIONS[1]}: "true" with a reason in ${SKIP_RESTORE_REASON_ANNOTATIONS[1]}`;
export const BREAK_GLASS_REMEDY = `in an emergency, label the namespace ${BREAK_GLASS_LABEL}=true (lifeboat then stops checking PVCs there; remove it afterwards)`;

export function validatePvc(input: ValidateInput): AdmissionOutcome {
  return applyBreakGlass(judge(input), input.breakGlass);
}

function judge({ pvc, scope, facts }: ValidateInput): AdmissionOutcome {
  const ref = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
  switch (scope.kind) {
    case 'pass':
    case 'skip-restore':
      return allow(scope.warnings);
    case 'deny':
      return deny({ cause: scope.cause, message: withBreakGlass(scope.message), code: 403 }, scope.warnings);
    case 'decide':
      break;
  }
  if (!facts) {
    return deny(
      {
        cause: 'decision-error',
        message: withBreakGlass(
          `decision-error: no restore decision was made for PVC ${ref}; this is a lifeboat bug, report it`,
        ),
        code: 403,
      },
      scope.warnings,
    );
  }

  const { decision } = facts;
  const summary = { decision: decision.decision, cause: decision.cause };
  const actual = pvc.spec?.dataSourceRef ?? pvc.spec?.dataSource;
  if (decision.decision === 'fresh') {
    // A hand-written restore reference with nothing to restore leaves the PVC Pending until that RD has an image
    // (docs/design.md#dangling-data-source): allowed, since the user asked for it, but said out loud.
    const dangling = actual?.apiGroup === RESTORE_API_GROUP && actual.kind === RESTORE_KIND;
    const warning = `lifeboat: ${ref} references ReplicationDestination ${oneLine(actual?.name ?? '', 100)} but lifeboat found no backup of it; the PVC stays Pending until that RD has an image`;
    return allow(dangling ? [...scope.warnings, warning] : scope.warnings, summary);
  }
  if (decision.decision === 'unknown') {
    return deny(
      {
        cause: decision.cause,
        message:
          `lifeboat cannot tell whether PVC ${ref} has backups to restore (${causeFirst(decision.cause, decision.message)}). ` +
          'It is denied so the volume is not created empty over backups; GitOps tools retry on their own. ' +
          `To create it anyway: fix the cause above; or ${SKIP_RESTORE_REMEDY}; or ${BREAK_GLASS_REMEDY}`,
        code: 403,
      },
      scope.warnings,
      summary,
    );
  }

  const point = facts.restorePoint ?? '';
  const expected = `${RESTORE_KIND}.${RESTORE_API_GROUP}/${point}`;
  if (!actual) {
    return deny(
      {
        cause: 'restore-reference-missing',
        message: withBreakGlass(
          `restore-reference-missing: backups exist for PVC ${ref} (${decision.message}) but it reached validation ` +
            `without spec.dataSourceRef to ${expected}, so it would start empty. Another mutating webhook probably ` +
            "removed lifeboat's reference, or lifeboat's mutating webhook is not registered: check " +
            `MutatingWebhookConfigurations; or ${SKIP_RESTORE_REMEDY}`,
        ),
        code: 403,
      },
      scope.warnings,
      summary,
    );
  }
  const matches =
    actual.apiGroup === RESTORE_API_GROUP &&
    actual.kind === RESTORE_KIND &&
    actual.name === point &&
    (!actual.namespace || actual.namespace === pvc.metadata.namespace);
  if (matches) return allow(scope.warnings, summary);
  const named = oneLine(`${actual.kind}${actual.apiGroup ? `.${actual.apiGroup}` : ''}/${actual.name}`, 300);
  return deny(
    {
      cause: 'restore-reference-mismatch',
      message: withBreakGlass(
        `restore-reference-mismatch: backups exist for PVC ${ref} (${decision.message}) but its data source is ` +
          `${named}, not the restore point ${expected}. Remove spec.dataSource and spec.dataSourceRef from the ` +
          `manifest (lifeboat sets the reference itself); or ${SKIP_RESTORE_REMEDY}`,
      ),
      code: 403,
    },
    scope.warnings,
    summary,
  );
}

function causeFirst(cause: string, message: string): string {
  return message.startsWith(`${cause}:`) ? message : `${cause}: ${message}`;
}

function withBreakGlass(message: string): string {
  return `${message}; ${BREAK_GLASS_REMEDY}`;
}
