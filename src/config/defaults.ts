import { moverOptionDefaults } from '../mover/index.ts';
import { LIFEBOAT_PREFIX, VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION } from './keys.ts';
import type { DatabaseOperatorConfig, LifeboatConfig, TierConfig } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Infrastructure namespaces never touched by default: the union of what the seed policy and its admission webhook
 * excluded, plus kyverno and flux-system (docs/design.md#compatibility-kept-on-purpose). A backup tool must not act on
 * the storage, GitOps, certificate
 * and secret machinery it depends on (docs/design.md#webhook-outage).
 */
export const DEFAULT_EXCLUDED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'longhorn-system',
  'argocd',
  'volsync-system',
  'snapshot-controller',
  'cert-manager',
  'external-secrets',
  '1passwordconnect',
  'kyverno',
  'flux-system',
];

/**
 * The default tiers. `hourly` and `daily` reproduce the tiers of the Kyverno-based setup lifeboat replaces (24 hourly
 * + 7 daily; 14 daily at 02:00);
 * `weekly` follows the weekly cron of pvc-plumber (Sunday 02:xx); `manual` backs up only on demand.
 */
export const DEFAULT_TIERS: Readonly<Record<string, TierConfig>> = {
  hourly: { trigger: { schedule: 'H * * * *' }, retain: { hourly: 24, daily: 7 } },
  daily: { trigger: { schedule: 'H 2 * * *' }, retain: { daily: 14 } },
  weekly: { trigger: { schedule: 'H 2 * * 0' }, retain: { weekly: 8 } },
  manual: { trigger: { manual: 'backup-on-demand' }, retain: { last: 10 } },
};

/**
 * Database operators whose PVCs are recognised by default, each by what the operator itself writes on the claims it
 * makes (read from the operators' sources): an ownerReference to its custom resource where it sets one, else the
 * label it puts on every claim. StatefulSet-made claims carry the StatefulSet's selector labels, which is where the
 * labels of the Zalando, Oracle and Percona operators come from. Crunchy's labels also mark claims of the Percona
 * Operator for PostgreSQL, a fork of it.
 */
export const DEFAULT_DATABASES: Readonly<Record<string, DatabaseOperatorConfig>> = {
  'cloudnative-pg': {
    owners: [{ group: 'postgresql.cnpg.io', kind: 'Cluster' }],
    labels: [{ key: 'cnpg.io/cluster' }],
  },
  'crunchy-pgo': {
    owners: [{ group: 'postgres-operator.crunchydata.com', kind: 'PostgresCluster' }],
    labels: [{ key: 'postgres-operator.crunchydata.com/cluster' }],
  },
  'zalando-postgres-operator': { owners: [], labels: [{ key: 'application', value: 'spilo' }] },
  'mariadb-operator': { owners: [], labels: [{ key: 'pvc.k8s.mariadb.com/role' }] },
  'mysql-operator': { owners: [], labels: [{ key: 'mysql.oracle.com/cluster' }] },
  'percona-xtradb-cluster': {
    owners: [],
    labels: [{ key: 'app.kubernetes.io/managed-by', value: 'percona-xtradb-cluster-operator' }],
  },
  'percona-server-mysql': {
    owners: [],
    labels: [{ key: 'app.kubernetes.io/managed-by', value: 'percona-server-mysql-operator' }],
  },
};

/** Full maintenance of the kopia repository: daily at 04:30, after the default tiers' 02:xx backups. */
export const DEFAULT_MAINTENANCE_SCHEDULE = '30 4 * * *';

/** Default lifeboat namespace; the copy-mode source Secret defaults to living there too. */
export const DEFAULT_NAMESPACE = 'lifeboat-system';

/** Every default in one object. `loadConfig('')` returns a deep copy of it. */
export const DEFAULT_CONFIG: Readonly<LifeboatConfig> = {
  namespace: DEFAULT_NAMESPACE,
  keys: {
    backupLabel: 'backup',
    exemptLabel: 'backup-exempt',
    exemptReasonAnnotation: `${LIFEBOAT_PREFIX}backup-exempt-reason`,
    namespaceOptInAnnotation: VOLSYNC_PRIVILEGED_MOVERS_ANNOTATION,
  },
  namespaces: { excluded: [...DEFAULT_EXCLUDED_NAMESPACES] },
  tiers: DEFAULT_TIERS,
  databases: DEFAULT_DATABASES,
  repository: {
    backend: 'kopia',
    identity: '{pvc}-backup@{namespace}:/data',
    maintenance: { enabled: true, schedule: DEFAULT_MAINTENANCE_SCHEDULE },
    firstInstall: false,
  },
  credentials: { mode: 'copy', secretRef: { namespace: DEFAULT_NAMESPACE, name: 'lifeboat-repository' } },
  mover: {
    volumeSnapshotClassByStorageClass: {},
    cacheCapacity: '2Gi',
    moverSecurityContext: { runAsUser: 568, runAsGroup: 568, fsGroup: 568 },
    ...moverOptionDefaults(),
  },
  restore: {
    initialTrigger: 'restore-once',
    cleanupTempPVC: true,
    sync: { enabled: true, interval: 15 * MINUTE, concurrency: 2, perRepository: 1, timeout: 2 * HOUR },
  },
  naming: {
    secret: '{pvc}-volsync-secret',
    replicationSource: '{pvc}-backup',
    replicationDestination: '{pvc}-restore',
  },
  minPvcAge: 2 * HOUR,
  sweeps: { cleanup: 15 * MINUTE, resync: 10 * MINUTE },
  massDeletionGuard: { threshold: 10, window: 10 * MINUTE },
  catalog: { staleAfter: 5 * MINUTE, refreshInterval: MINUTE },
  admission: {
    enabled: true,
    failurePolicy: 'Fail',
    breakGlass: false,
    timeoutSeconds: 5,
    service: { name: 'lifeboat', port: 443 },
    certificate: { mode: 'self-signed', secretName: 'lifeboat-webhook-tls' },
  },
  verify: { enabled: true, interval: 7 * DAY, maxAge: 14 * DAY, concurrency: 1, perRepository: 1, timeout: HOUR },
};

/** Default mount name of the NFS repository volume under `/mnt` in the mover. */
export const DEFAULT_NFS_MOUNT_PATH = 'repository';
/** Default refresh interval of generated ExternalSecrets (the seed design's value). */
export const DEFAULT_EXTERNAL_SECRET_REFRESH = HOUR;
