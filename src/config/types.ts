/**
 * The lifeboat configuration, as the rest of the program sees it after `loadConfig` resolved defaults and validated
 * every field. The YAML file uses the same keys and nesting; durations are written as strings (`90s`, `15m`, `2h`,
 * `1h30m`, `7d`) and held here in milliseconds.
 */

/** A duration in milliseconds. In YAML: a string such as `90s`, `15m`, `2h`, `1h30m` or `7d`. */
export type Milliseconds = number;

import type { Backend, MoverOptionsByName } from '../mover/index.ts';
import type { Retention } from '../mover/retention.ts';

/**
 * Repository format and VolSync mover: `kopia` needs the perfectra1n/volsync fork; `restic` runs on both. The one list
 * of movers is the registry in src/mover/index.ts; every per-mover table is derived from it.
 */
export { BACKEND_KINDS, type Backend } from '../mover/index.ts';
export type { Retention } from '../mover/retention.ts';

export interface LifeboatConfig {
  /**
   * Namespace lifeboat itself runs in. Always excluded from protection, whatever `namespaces.excluded` says, and the
   * default namespace of the copy-mode source Secret. Default `lifeboat-system`.
   */
  namespace: string;
  /** The label and annotation keys users write. */
  keys: KeysConfig;
  /** Namespaces lifeboat never touches. */
  namespaces: NamespacesConfig;
  /**
   * Backup tiers by name; the name is the value of the backup label (`backup: hourly`). Writing `tiers` replaces the
   * whole default set (`hourly`, `daily`, `weekly`, `manual`), so the file always shows every tier that exists.
   * A PVC labelled with a tier that is not listed is reported as invalid; its existing objects are kept.
   */
  tiers: Record<string, TierConfig>;
  /**
   * Database operators by name, whose PVCs belong on the operator's own backup path (docs/design.md#crash-consistent-copies-of-databases).
   * Writing `databases` replaces the whole default set; `databases: {}` recognises none.
   */
  databases: Record<string, DatabaseOperatorConfig>;
  /** Where backups go and how they are told apart. Shared by the movers and the catalog, so both read the same data. */
  repository: RepositoryConfig;
  /** How each PVC's mover Secret gets its credentials. */
  credentials: CredentialsConfig;
  /** Fields every generated ReplicationSource and ReplicationDestination carries. */
  mover: MoverConfig;
  /** ReplicationDestination (restore point) settings. */
  restore: RestoreConfig;
  /** Name templates of the generated objects. */
  naming: NamingConfig;
  /**
   * How old a Bound PVC must be before its ReplicationSource is created. Protects a freshly created or freshly
   * restored volume from being backed up (and its retention rotated) before the application has written to it.
   * Default `2h` (the seed design's rule).
   */
  minPvcAge: Milliseconds;
  /** Periodic work of the controller. */
  sweeps: SweepsConfig;
  /** Brake on deletions: lifeboat stops deleting and reports when too many happen too fast. */
  massDeletionGuard: MassDeletionGuardConfig;
  /** Repository catalog: where lifeboat itself reads snapshots to decide restore vs fresh, and how often. */
  catalog: CatalogConfig;
  /** The admission webhook that restores recreated PVCs and refuses them when the truth is unknown. */
  admission: AdmissionConfig;
  /** Restore drills: each protected PVC's newest backup restored into a scratch volume and checked, on a schedule. */
  verify: VerifyConfig;
}

export interface VerifyConfig {
  /** Run scheduled drills. `false` leaves only on-demand drills (`lifeboat verify`). Default true. */
  enabled: boolean;
  /**
   * How often each PVC is drilled. Every PVC gets its own moment within the interval (from sha256(`namespace/pvc`),
   * like the backup minute), so drills are spread over it instead of all starting together. Default `7d`.
   */
  interval: Milliseconds;
  /** A PVC whose newest proof is older than this is reported (status, metric, alert). Default `14d`. */
  maxAge: Milliseconds;
  /** Drills running at once in the cluster. Default 1. */
  concurrency: number;
  /** Drills running at once against one repository. Default 1. */
  perRepository: number;
  /** A drill not finished after this long ends as `timed-out` and everything it created is deleted. Default `1h`. */
  timeout: Milliseconds;
  /**
   * Opt-in sentinel: a file the application writes, path relative to the volume's root, next to `<path>.sha256`
   * (sha256sum's format). The drill checks the restored file against it. The PVC annotation
   * `lifeboat.dev/verify-sentinel` sets it per PVC. Default: none.
   */
  sentinel?: string;
}

export interface KeysConfig {
  /** PVC label naming the tier. Default `backup`. */
  backupLabel: string;
  /** PVC label that records a deliberate "no backup" when set to `"true"`. Default `backup-exempt`. */
  exemptLabel: string;
  /**
   * PVC annotation holding the mandatory reason of an exemption. Default `lifeboat.dev/backup-exempt-reason`.
   * Near-miss keys (bare `backup-exempt-reason`, other prefixes, typos) are detected and reported, never accepted.
   */
  exemptReasonAnnotation: string;
  /**
   * Namespace annotation that opts a namespace in, with the value `"true"`. Default
   * `volsync.backube/privileged-movers`, which VolSync itself reads to run movers privileged; choose another key to
   * opt namespaces in without granting privileged movers.
   */
  namespaceOptInAnnotation: string;
}

export interface NamespacesConfig {
  /**
   * Namespaces never touched: no objects generated, none deleted, no verdict beyond "excluded". Writing the list
   * replaces the default (the infrastructure namespaces the earlier system excluded: kube-system, kube-public,
   * kube-node-lease, longhorn-system, argocd, volsync-system, snapshot-controller, cert-manager, external-secrets,
   * 1passwordconnect, kyverno, flux-system). `kube-system` and lifeboat's own namespace are excluded regardless.
   */
  excluded: string[];
}

export interface TierConfig {
  /** When the ReplicationSource syncs. Exactly one of `schedule` or `manual`, as in VolSync. */
  trigger: TierTrigger;
  /** How many snapshots to keep; at least one rule. */
  retain: Retention;
}

/**
 * How a PVC is recognised as one a database operator made: an ownerReference to one of `owners`, or one of `labels`.
 * At least one of the two lists is non-empty.
 */
export interface DatabaseOperatorConfig {
  /** Owner kinds, written `<apiGroup>/<Kind>` (any version), e.g. `postgresql.cnpg.io/Cluster`. */
  owners: OwnerKind[];
  /** Labels, written `key` (any value) or `key=value`, e.g. `cnpg.io/cluster` or `application=spilo`. */
  labels: LabelMatch[];
}

export interface OwnerKind {
  group: string;
  kind: string;
}

export interface LabelMatch {
  key: string;
  /** Absent: any value. */
  value?: string;
}

export type TierTrigger = ScheduleTrigger | ManualTrigger;

export interface ScheduleTrigger {
  /**
   * Five-field cron. `H` in the minute field stands for the PVC's own minute (first 4 bytes of
   * sha256(`namespace/pvc`) as a big-endian uint32, mod 60, byte-identical with pvc-plumber v2.1+), so PVCs do not
   * all start at the same moment; a number pins the minute. `@hourly`, `@daily` and the other VolSync macros pin it
   * too.
   */
  schedule: string;
}

export interface ManualTrigger {
  /**
   * Backups only on demand: the ReplicationSource is created with `trigger.manual` set to this token (a VolSync
   * source with no trigger would sync continuously). A later "back up now" writes a new token; lifeboat keeps
   * whatever token the live object holds.
   */
  manual: string;
}

export interface RepositoryConfig {
  /** `kopia` (default; needs the perfectra1n/volsync fork) or `restic`. */
  backend: Backend;
  /**
   * Repository location written into each PVC's Secret (`RESTIC_REPOSITORY` or `KOPIA_REPOSITORY`), with
   * `{namespace}` and `{pvc}` placeholders. restic: required and must contain both, one repository per PVC
   * (e.g. `s3:http://minio:9000/volsync/{namespace}/{pvc}`). kopia: optional; one shared repository whose PVCs are
   * told apart by `identity`; when unset the location comes from the credentials (or from `nfs`).
   */
  url?: string;
  /**
   * kopia snapshot source per PVC, `username@hostname:/data`, with `{namespace}` and `{pvc}` placeholders. Set
   * explicitly on every ReplicationSource and ReplicationDestination and used by the catalog to find a PVC's
   * snapshots. Default `{pvc}-backup@{namespace}:/data` (the seed design); `{pvc}@{namespace}:/data` matches
   * pvc-plumber v4. Changing it orphans the history written under the old identity.
   */
  identity: string;
  /**
   * NFS export mounted into every mover through VolSync's `moverVolumes` (never by mutating mover Jobs). For kopia
   * without `url`, the Secret then points at it: `KOPIA_REPOSITORY=filesystem:///mnt/<mountPath>` (the kopia mover
   * takes the filesystem path from that URL).
   */
  nfs?: NfsVolumeConfig;
  /** Full maintenance of the shared kopia repository (ignored for restic, which prunes per PVC). */
  maintenance: RepositoryMaintenanceConfig;
  /**
   * kopia: the unique ID (hex, as `lifeboat catalog` and `kopia repository status` print it) the shared repository
   * must have. For a rebuilt cluster (GitOps): another repository at the location is refused from the first minute
   * instead of being pinned on first sight. Unset: the first repository read is pinned in the cluster.
   */
  expectedId?: string;
  /**
   * kopia: declares a first installation, so a missing shared repository means "never backed up" (fresh) instead of
   * a wrong location (`repository-missing`). Ignored (and reported) once a repository was pinned; remove it after
   * the first backup. Default `false`.
   */
  firstInstall: boolean;
}

export interface NfsVolumeConfig {
  /** NFS server host name or address. */
  server: string;
  /** Exported path, absolute. */
  path: string;
  /** Mount name under `/mnt` in the mover. Default `repository`. */
  mountPath: string;
}

export type CredentialsConfig = CopyCredentialsConfig | ExternalSecretCredentialsConfig;

export interface CopyCredentialsConfig {
  /** Copy the keys of one source Secret into each PVC's Secret, with the repository location rendered per PVC. */
  mode: 'copy';
  /** The source Secret. Default `lifeboat-repository` in lifeboat's namespace. */
  secretRef: { namespace: string; name: string };
}

export interface ExternalSecretCredentialsConfig {
  /** Generate an `external-secrets.io/v1` ExternalSecret per PVC; the External Secrets Operator writes the Secret. */
  mode: 'external-secret';
  /** The store to read from. Default kind `ClusterSecretStore`. */
  storeRef: { kind: 'ClusterSecretStore' | 'SecretStore'; name: string };
  /** How often ESO re-reads the store. Default `1h`. */
  refreshInterval: Milliseconds;
  /** Remote key whose properties all become Secret keys (`dataFrom[].extract`). */
  extract?: string;
  /** Individual Secret keys by name, each read from a remote key and optional property (`data[]`). */
  data: Record<string, { key: string; property?: string }>;
}

/** `mover:`; beside the fields every mover shares, one entry per mover with its own options (src/mover/<name>/). */
export interface MoverConfig extends MoverOptionsByName {
  /** StorageClass of the point-in-time copy and of the restore volume. Default: the PVC's own class. */
  storageClassName?: string;
  /** VolumeSnapshotClass for `copyMethod: Snapshot`. Default: unset, so VolSync uses the cluster's default class. */
  volumeSnapshotClassName?: string;
  /** VolumeSnapshotClass per StorageClass name; wins over `volumeSnapshotClassName` for PVCs of that class. */
  volumeSnapshotClassByStorageClass: Record<string, string>;
  /** Size of the mover's metadata cache (a Kubernetes quantity). Default `2Gi`. */
  cacheCapacity: string;
  /**
   * uid, gid and fsGroup of the mover, set on the source and the destination alike (a mismatch leaves restored
   * files the application cannot read). Default 568/568/568. uid 0 is refused: privileged movers already run as
   * root in namespaces annotated `volsync.backube/privileged-movers: "true"`.
   */
  moverSecurityContext: { runAsUser: number; runAsGroup: number; fsGroup: number };
}

export interface RestoreConfig {
  /**
   * `trigger.manual` token of a newly created ReplicationDestination. It fires once at creation; refreshing the
   * restore point later writes new tokens, and lifeboat keeps whatever token the live object holds.
   * Default `restore-once`.
   */
  initialTrigger: string;
  /** Delete VolSync's temporary destination PVC after each restore (the snapshot stays). Default true. */
  cleanupTempPVC: boolean;
  /** The leader's coordinated restore-point sync (every 15 minutes like the CronJob of the setup lifeboat replaces, but only for points that are behind). */
  sync: RestorePointSyncConfig;
}

export interface RestorePointSyncConfig {
  /** Off: lifeboat never re-arms a restore point on its own (`lifeboat sync` still does). Default true. */
  enabled: boolean;
  /** How often every persistent restore point is compared with the newest snapshot. Default `15m`. */
  interval: Milliseconds;
  /** Restore-point syncs in flight at once in the cluster. Default 2. */
  concurrency: number;
  /** Restore-point syncs in flight at once against one repository. Default 1. */
  perRepository: number;
  /** A sync not finished after this long is re-armed (and reported) as stuck. Default `2h`. */
  timeout: Milliseconds;
}

export interface NamingConfig {
  /**
   * Templates with the `{pvc}` placeholder. Names longer than Kubernetes (Secret: 253) or VolSync (source and
   * destination: 51, because VolSync names its Jobs `volsync-src-<name>` within 63 characters) allow are cut and
   * given a hash suffix, deterministically.
   */
  secret: string;
  replicationSource: string;
  replicationDestination: string;
}

export interface SweepsConfig {
  /** How often the cleanup sweep looks for objects whose PVC lost its label. Default `15m`. */
  cleanup: Milliseconds;
  /** How often every PVC is reconciled even without an event (repairs missed events). Default `10m`. */
  resync: Milliseconds;
}

export interface MassDeletionGuardConfig {
  /** More deletions than this within `window` stop further deletions until an operator looks. Default 10. */
  threshold: number;
  /** The sliding window. Default `10m`. */
  window: Milliseconds;
}

export interface CatalogConfig {
  /** A catalog view older than this is stale: restore decisions become "unknown". Default `5m`. */
  staleAfter: Milliseconds;
  /** How often the catalog re-reads the repository. Default `60s`. */
  refreshInterval: Milliseconds;
  /**
   * The repository location as lifeboat's own pod reads it, when it differs from what the movers use. Default:
   * `repository.url`, else `filesystem:///mnt/<nfs.mountPath>` (lifeboat's chart mounts the NFS export at the same
   * path as the movers), else `KOPIA_REPOSITORY` / `RESTIC_REPOSITORY` from the credentials Secret.
   */
  location?: string;
  /**
   * The Secret lifeboat reads the repository password (and S3 keys and endpoint) from, at every refresh. Default: the
   * copy-mode source Secret; required in external-secret mode (a Secret in lifeboat's namespace, e.g. one more
   * ExternalSecret).
   */
  credentialsSecretRef?: { namespace: string; name: string };
}

export interface AdmissionConfig {
  /** Serve the webhook and register it. Default `true`. */
  enabled: boolean;
  /**
   * `Fail` (default): when lifeboat cannot be reached, labelled PVCs are refused (fail-closed; unlabelled PVCs never
   * reach lifeboat). `Ignore` (permissive mode): they are admitted without a restore decision.
   */
  failurePolicy: 'Fail' | 'Ignore';
  /** Global break-glass: denials become warnings (restores are still added). Default `false`. */
  breakGlass: boolean;
  /** Webhook timeout the API server applies, 1–5 s. Default `5`. */
  timeoutSeconds: number;
  /** The Service in front of lifeboat's webhook port, as the API server reaches it. */
  service: { name: string; port: number };
  /** The TLS certificate: lifeboat's own CA in a Secret (default) or a cert-manager-issued Secret. */
  certificate: { mode: 'self-signed' | 'cert-manager'; secretName: string };
}

export interface RepositoryMaintenanceConfig {
  /**
   * Generate and keep one `KopiaMaintenance` (VolSync kopia fork) for the shared kopia repository. The fork turns
   * per-source maintenance off, so without it the repository is never fully maintained: deleted snapshots are never
   * garbage-collected and indexes are never compacted. Default true.
   */
  enabled: boolean;
  /**
   * Five-field cron (or a VolSync macro) in the cluster's CronJob time zone; no `H`, one repository has one minute.
   * Default `30 4 * * *`: after the default tiers' 02:xx daily and weekly backups, before the working day.
   */
  schedule: string;
}
