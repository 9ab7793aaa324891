import type { LifeboatConfig } from '../config/types.ts';
import { MOVERS } from '../mover/index.ts';

/**
 * Which VolSync the cluster runs. Upstream `backube/volsync` has no kopia mover; the `perfectra1n/volsync` fork is a
 * superset (docs/design.md#objects-and-schema). The controller detects it from the installed CRD (`spec.kopia` present
 * or not).
 */
export type VolSyncFlavour = 'kopia-fork' | 'upstream';

export interface ClusterCapabilities {
  volsync: VolSyncFlavour;
  /** Whether the `external-secrets.io/v1` ExternalSecret CRD is installed; undefined when not known (offline render). */
  externalSecrets?: boolean;
  /**
   * Whether the fork's `KopiaMaintenance` CRD is installed (older fork releases lack it); undefined when not known
   * (offline render assumes it is).
   */
  kopiaMaintenance?: boolean;
}

/**
 * What the configuration asks for that the cluster cannot run, each as a sentence with the fix. Empty when it fits.
 * Emitting a kopia block against the upstream CRD would be pruned silently and leave objects with no mover.
 */
export function capabilityProblems(config: LifeboatConfig, cluster: ClusterCapabilities): string[] {
  const problems: string[] = [];
  const upstreamProblem = MOVERS[config.repository.backend].upstreamProblem;
  if (upstreamProblem && cluster.volsync === 'upstream') problems.push(upstreamProblem);
  if (config.credentials.mode === 'external-secret' && cluster.externalSecrets === false) {
    problems.push(
      'credentials.mode is external-secret, but the ExternalSecret CRD (external-secrets.io/v1) is not installed: ' +
        'install the External Secrets Operator, or use credentials.mode: copy',
    );
  }
  return problems;
}
