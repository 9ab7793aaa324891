import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PVC_LABEL, PVC_NAME_ANNOTATION } from '../config/keys.ts';
import { pvcLabelValue } from './names.ts';
import type { GeneratedMetadata } from './objects.ts';

/**
 * Metadata every generated object carries: `app.kubernetes.io/managed-by: lifeboat` (ownership, and what the
 * cleanup selects on), the PVC label (hashed when long) and the PVC's full name as an annotation. Labels hold only
 * short validated values; names and identities go in annotations (docs/design.md#long-names-and-label-values).
 */
export function generatedMetadata(
  name: string,
  namespace: string,
  pvcName: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): GeneratedMetadata {
  return {
    name,
    namespace,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PVC_LABEL]: pvcLabelValue(pvcName), ...extra.labels },
    annotations: { [PVC_NAME_ANNOTATION]: pvcName, ...extra.annotations },
  };
}

/** Whether an observed object is lifeboat's and belongs to this PVC (the full name settles hashed-label collisions). */
export function belongsTo(
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  pvcName: string,
): boolean {
  const labels = metadata.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || labels[PVC_LABEL] !== pvcLabelValue(pvcName)) return false;
  const fullName = metadata.annotations?.[PVC_NAME_ANNOTATION];
  return fullName === undefined || fullName === pvcName;
}
