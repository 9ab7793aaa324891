/** restic: one repository per PVC at a location from the `repository.url` template; no identity inside it. */
import { passwordVariable, repositoryVariable } from '../../catalog/environment.ts';
import type { Retention } from '../../config/types.ts';
import type { ResticSourceSpec } from '../objects.ts';
import { type MoverBackend, retentionCounts } from './backend.ts';

export const resticBackend: MoverBackend = {
  kind: 'restic',
  requiredSecretKeys: [passwordVariable('restic'), repositoryVariable('restic')],
  renderedSecretKeys: (location) => ({ [repositoryVariable('restic')]: location }),
  identityAnnotations: () => ({}),
  source: (common, retain, config) => ({
    restic: { ...common, retain: resticRetain(retain), pruneIntervalDays: config.mover.restic.pruneIntervalDays },
  }),
  destination: (common) => ({ restic: common }),
};

/** restic's `retain.last` is a string in the CRD (docs/design.md#movers-and-secrets). */
function resticRetain(retain: Retention): ResticSourceSpec['retain'] {
  return { ...retentionCounts(retain), ...(retain.last !== undefined && { last: String(retain.last) }) };
}
