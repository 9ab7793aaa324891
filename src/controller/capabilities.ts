/**
 * Which VolSync (and External Secrets) the cluster runs, read from the installed CRDs: generating against the
 * installed schema is the only way to know a `kopia:` block will not be pruned (docs/design.md#objects-and-schema).
 */
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { ClusterCapabilities } from '../plan/capability.ts';

interface CrdObject extends KubeObject {
  spec?: {
    versions?: {
      name: string;
      served?: boolean;
      schema?: { openAPIV3Schema?: { properties?: { spec?: { properties?: Record<string, unknown> } } } };
    }[];
  };
}

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

export class VolSyncMissingError extends Error {
  override readonly name = 'VolSyncMissingError';
}

/** Pure: the flavour from the ReplicationSource CRD's served v1alpha1 schema. */
export function flavourOf(crd: CrdObject): ClusterCapabilities['volsync'] {
  const version = crd.spec?.versions?.find((v) => v.name === 'v1alpha1' && v.served !== false);
  return version?.schema?.openAPIV3Schema?.properties?.spec?.properties?.kopia ? 'kopia-fork' : 'upstream';
}

export async function detectCapabilities(kube: KubeClient): Promise<ClusterCapabilities> {
  // Four independent reads of whole CRDs (with their schemas): at every start and every `lifeboat status`.
  const [rs, rd, es, km] = await Promise.all(
    [
      'replicationsources.volsync.backube',
      'replicationdestinations.volsync.backube',
      'externalsecrets.external-secrets.io',
      'kopiamaintenances.volsync.backube',
    ].map((name) => kube.get<CrdObject>({ ...CRD, name })),
  );
  if (!rs || !rd) {
    throw new VolSyncMissingError(
      'VolSync is not installed: the ReplicationSource/ReplicationDestination CRDs (volsync.backube) are missing. ' +
        'Install VolSync (upstream backube/volsync for restic, or the perfectra1n/volsync fork for kopia) before lifeboat.',
    );
  }
  const externalSecrets = serves(es, 'v1');
  const kopiaMaintenance = serves(km, 'v1alpha1');
  // Both kinds must agree; an RS CRD from the fork with an upstream RD CRD would restore with no mover.
  const flavour = flavourOf(rs) === 'kopia-fork' && flavourOf(rd) === 'kopia-fork' ? 'kopia-fork' : 'upstream';
  return { volsync: flavour, externalSecrets, kopiaMaintenance };
}

function serves(crd: CrdObject | undefined, version: string): boolean {
  return crd?.spec?.versions?.some((v) => v.name === version && v.served !== false) ?? false;
}
