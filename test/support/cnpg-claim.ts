/**
 * What makes a PVC CloudNativePG's, as its instance manager creates one (read from CloudNativePG's source): an
 * ownerReference to a `postgresql.cnpg.io/v1` Cluster and the `cnpg.io/*` labels. No Cluster object exists behind the
 * reference: lifeboat reads the reference, never the owner (database-native.test.ts, realnode-drills.test.ts).
 */
export const CNPG_OWNER = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  name: 'pg-main',
  uid: '0b5c2d1e-4f3a-4b6c-8d7e-9f0a1b2c3d4e',
  controller: true,
  blockOwnerDeletion: true,
};

/** The labels of the claim of instance `instance` of Cluster pg-main. */
export function cnpgLabels(instance: string): Record<string, string> {
  return {
    'cnpg.io/cluster': 'pg-main',
    'cnpg.io/instanceName': instance,
    'cnpg.io/pvcRole': 'PG_DATA',
    'app.kubernetes.io/managed-by': 'cloudnative-pg',
  };
}
