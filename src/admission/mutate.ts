/**
 * The mutating webhook's decision for one PVC CREATE, pure. It only ever adds the restore reference (and drops the
 * evidence of an earlier restore a copied claim may carry); it never denies a well-formed PVC (all denials are the validating webhook's, so there is one place that explains them and one
 * place break-glass applies).
 *
 * The reference is added only when: the PVC is protected (scope `decide`), it names no data source of its own, the
 * decision is an authoritative `restore`, and the source named the restore point
 * (docs/design.md#compatibility-kept-on-purpose, #empty-restore-reported-as-success). It is idempotent:
 * a reinvocation (reinvocationPolicy IfNeeded, after another mutator changed the PVC) re-adds a reference that
 * another webhook removed and leaves an existing one alone.
 */
import { RESTORE_VERDICT_ANNOTATION, RESTORED_FROM_ANNOTATION } from '../config/keys.ts';
import type { AdmissionFacts, AdmissionPvc } from './facts.ts';
import { RESTORE_API_GROUP, RESTORE_KIND } from './keys.ts';
import { type AdmissionOutcome, allow, type JsonPatchOperation } from './outcome.ts';
import type { Scope } from './scope.ts';

export interface MutateInput {
  pvc: AdmissionPvc;
  scope: Scope;
  /** Checked facts (see `checkFacts`); needed only for scope `decide`. */
  facts?: AdmissionFacts;
}

export function mutatePvc({ pvc, scope, facts }: MutateInput): AdmissionOutcome {
  if (scope.kind !== 'decide' || !facts) return allow(scope.warnings);
  const { decision } = facts;
  const summary = { decision: decision.decision, cause: decision.cause };
  if (hasDataSource(pvc)) return allow(scope.warnings, summary);
  if (decision.decision !== 'restore' || !facts.restorePoint) return allow(scope.warnings, summary);

  const ref = { apiGroup: RESTORE_API_GROUP, kind: RESTORE_KIND, name: facts.restorePoint };
  const patch: JsonPatchOperation[] = pvc.spec
    ? [{ op: 'add', path: '/spec/dataSourceRef', value: ref }]
    : [{ op: 'add', path: '/spec', value: { dataSourceRef: ref } }];
  const annotations = facts.annotations ?? {};
  // A claim recreated from a copy of an earlier one may carry that restore's evidence: it is not this restore's.
  for (const key of [RESTORE_VERDICT_ANNOTATION, RESTORED_FROM_ANNOTATION]) {
    if (pvc.metadata.annotations?.[key] !== undefined) {
      patch.push({ op: 'remove', path: annotationPath(key) });
    }
  }
  if (Object.keys(annotations).length > 0) {
    if (!pvc.metadata.annotations) patch.push({ op: 'add', path: '/metadata/annotations', value: annotations });
    else {
      for (const [key, value] of Object.entries(annotations))
        patch.push({ op: 'add', path: annotationPath(key), value });
    }
  }
  return {
    allowed: true,
    result: 'patched',
    patch,
    decision: summary,
    warnings: [
      ...scope.warnings,
      `lifeboat: restoring ${pvc.metadata.namespace}/${pvc.metadata.name} from ReplicationDestination ${facts.restorePoint}`,
    ],
  };
}

/** The user (or an earlier reinvocation) chose a data source: lifeboat never overrides it. */
export function hasDataSource(pvc: AdmissionPvc): boolean {
  return Boolean(pvc.spec?.dataSourceRef || pvc.spec?.dataSource);
}

/** The JSON Pointer of an annotation: '~' → '~0', '/' → '~1' (annotation keys have a '/'). */
function annotationPath(key: string): string {
  return `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
