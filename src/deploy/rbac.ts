/**
 * lifeboat's permissions, one rule per need, each with the reason it exists. The same table renders the ClusterRole
 * and Role (as YAML comments in `lifeboat manifests` output and in the chart's template) and the table in
 * docs/install.md, so the documentation cannot drift from what is granted (rbac.test.ts).
 *
 * Least privilege, with two limits RBAC imposes:
 * - RBAC cannot restrict by label. The controller lists only Secrets labelled `app.kubernetes.io/managed-by=lifeboat`
 *   (plus, by name, its source Secret), but the grant necessarily covers every Secret in the cluster.
 * - `create` cannot be restricted to a name (the name is in the body, not the URL), so the Lease and ConfigMap rules
 *   split into a named get/update/patch rule and an unnamed create rule in lifeboat's own namespace.
 *
 * The `restore` rules are not lifeboat's: `lifeboat restore` runs with the kubeconfig of whoever runs it (a person, or
 * a Job). With `rbac.restoreCommand: true` they are rendered as a separate, unbound ClusterRole `lifeboat-restore`
 * to bind to those people; the operator's ServiceAccount never scales workloads, and deletes only the scratch PVCs
 * of its restore drills (enforced by the API server: pvc-deletion-policy.ts).
 */
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import type { LifeboatConfig } from '../config/types.ts';
import type { RenderContext } from './meta.ts';
import { GUARD_CONFIGMAP, IDENTITY_CONFIGMAP, LEASE_NAME, WEBHOOK_CONFIGURATION } from './names.ts';
import type { ChartValues } from './values.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

export interface RbacRule {
  /** The operator's ClusterRole, its Role in its own namespace, or the restore command's ClusterRole. */
  scope: 'cluster' | 'namespace' | 'restore';
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Names the rule is limited to, from the configuration the pods run with. */
  resourceNames?: (config: LifeboatConfig) => string[];
  /** Why lifeboat needs it: which code path, which verb for what. */
  why: string;
  /** When the rule is rendered; always when absent. */
  when?: { label: string; test: (install: Install) => boolean };
}

/** What decides the rules: the chart values and the lifeboat config. */
export interface Install {
  values: ChartValues;
  config: LifeboatConfig;
}

const webhook = { label: 'admission.enabled', test: (i: Install) => i.config.admission.enabled };
const selfSigned = {
  label: 'admission.enabled, self-signed CA',
  test: (i: Install) => i.config.admission.enabled && i.config.admission.certificate.mode === 'self-signed',
};
const restore = { label: 'rbac.restoreCommand', test: (i: Install) => i.values.rbac.restoreCommand };
/** The restore ClusterRole's name with the default release (`<fullname>-restore`). */
export const RESTORE_ROLE = 'lifeboat-restore';

export const RBAC_RULES: readonly RbacRule[] = [
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['persistentvolumeclaims'],
    verbs: ['get', 'list', 'watch', 'patch'],
    why:
      'The input: the controller caches every PVC (list+watch) and reads one when an Event names it. Restore ' +
      'evidence: a server-side apply (patch) of only its own annotations lifeboat.dev/restored-from and ' +
      'lifeboat.dev/restore-verdict on a restored PVC.',
  },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: ['get', 'list', 'watch'],
    why: 'Namespace opt-in annotation and exclusions (cached); admission reads the namespace of a PVC it is asked about.',
  },
  {
    scope: 'cluster',
    apiGroups: ['volsync.backube'],
    resources: ['replicationsources', 'replicationdestinations'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    why:
      'The generated VolSync objects: a label-selected cache (list+watch), a metadata-only cache of the names other ' +
      'tools’ objects hold and a get where it cannot vouch (never take over a foreign object), server-side apply ' +
      '(patch, and create when new), cleanup with a uid precondition (delete). No update: every write is a ' +
      'server-side apply.',
  },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['get', 'list', 'watch'],
    why:
      'Generated credentials Secrets (the code lists their contents only under label app.kubernetes.io/managed-by=' +
      'lifeboat, but RBAC cannot restrict by label, so this covers every Secret), the names other Secrets hold ' +
      '(metadata only: their data is not requested) and a get where that cache cannot vouch, and the copy-mode ' +
      'source Secret (watched by name). Sensitive: see docs/install.md.',
  },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['create', 'patch', 'delete'],
    why:
      'Copy-mode credentials Secrets in each PVC namespace (server-side apply, cleanup), and the webhook certificate ' +
      'Secret the first time it is written.',
  },
  {
    scope: 'cluster',
    apiGroups: ['snapshot.storage.k8s.io'],
    resources: ['volumesnapshots'],
    verbs: ['get'],
    why:
      "Standby evidence: read the creation time of the VolumeSnapshot a standby's status.latestImage names (once per " +
      'image), so an image made before lifeboat armed the sync never counts as current (docs/design.md#standby-evidence). ' +
      'No list or watch: only the images of standbys are read.',
  },
  {
    scope: 'cluster',
    apiGroups: ['external-secrets.io'],
    resources: ['externalsecrets'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    why: 'ExternalSecret-mode credentials: same lifecycle as the VolSync objects.',
  },
  {
    scope: 'cluster',
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create', 'patch'],
    why: 'An Event on the PVC for every decision acted on; patch updates a repeating series instead of adding Events.',
  },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['persistentvolumeclaims'],
    verbs: ['create', 'delete'],
    why:
      "Restore drills: create the drill's scratch PVC (a create, never an apply, so a taken name fails instead of " +
      'changing a claim) and delete it when the drill ends, with a uid precondition. RBAC cannot restrict by label, so ' +
      'the ValidatingAdmissionPolicy <fullname>-pvc-deletion refuses lifeboat deleting a PVC without the label ' +
      'lifeboat.dev/drill (docs/design.md#pvc-deletion-policy).',
  },
  {
    scope: 'cluster',
    apiGroups: ['batch'],
    resources: ['jobs'],
    verbs: ['list', 'create', 'delete'],
    why:
      'Restore drills: the verification Job (lifeboat verify-volume on the scratch PVC, read-only, no API token), ' +
      'found again by its label after a restart, deleted when the drill ends.',
  },
  {
    scope: 'cluster',
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['list'],
    why: "Restore drills: the verification Pod's termination message holds the scan (no access to Pod logs).",
  },
  {
    scope: 'cluster',
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: ['get'],
    resourceNames: () => [
      'replicationsources.volsync.backube',
      'replicationdestinations.volsync.backube',
      'externalsecrets.external-secrets.io',
      'kopiamaintenances.volsync.backube',
    ],
    why:
      'Capability detection at start: upstream VolSync or the kopia fork, whether External Secrets v1 is served, and ' +
      'whether the fork has the KopiaMaintenance CRD.',
  },
  {
    scope: 'cluster',
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
    verbs: ['get', 'patch'],
    resourceNames: () => [WEBHOOK_CONFIGURATION],
    why:
      'Keep the caBundle of its own two configurations current (server-side apply). No create: configurations an ' +
      'administrator deleted in an emergency (docs/design.md#webhook-outage) stay deleted until the chart is synced again.',
    when: webhook,
  },
  {
    scope: 'restore',
    apiGroups: [''],
    resources: ['persistentvolumeclaims'],
    verbs: ['get', 'create', 'delete'],
    why: 'lifeboat restore: read the PVC, delete it once its workload is down, recreate it (--recreate) from its captured spec.',
    when: restore,
  },
  {
    scope: 'restore',
    apiGroups: ['apps'],
    resources: ['deployments', 'statefulsets'],
    verbs: ['get', 'list', 'patch'],
    why: 'lifeboat restore: find the workloads that mount the PVC, scale them to zero and back (a merge patch of spec.replicas).',
    when: restore,
  },
  {
    scope: 'restore',
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['list'],
    why: 'lifeboat restore: see which pods mount the PVC and wait until they are gone.',
    when: restore,
  },
  {
    scope: 'restore',
    apiGroups: ['volsync.backube'],
    resources: ['replicationdestinations'],
    verbs: ['get', 'patch'],
    why: 'lifeboat restore: record and resume the restore request on the persistent ReplicationDestination.',
    when: restore,
  },
  {
    scope: 'restore',
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: ['get'],
    why: 'lifeboat restore: check that the namespace is opted in and not excluded.',
    when: restore,
  },
  {
    scope: 'restore',
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get'],
    resourceNames: () => [IDENTITY_CONFIGMAP],
    why: 'lifeboat restore and status: read the recorded repository identity, so a restore never reads another repository.',
    when: restore,
  },
  {
    scope: 'namespace',
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'update'],
    resourceNames: () => [LEASE_NAME],
    why: 'Leader election: read and renew the one Lease.',
  },
  {
    scope: 'namespace',
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create'],
    why: 'Leader election: create the Lease the first time (create cannot be limited to a name).',
  },
  {
    scope: 'namespace',
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get', 'patch'],
    resourceNames: () => [GUARD_CONFIGMAP, IDENTITY_CONFIGMAP],
    why:
      'The mass-deletion guard and the repository identity record: write them (server-side apply) and read the ' +
      'operator’s confirmations.',
  },
  {
    scope: 'namespace',
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['create'],
    why: 'The mass-deletion guard and the repository identity record: the first record creates its ConfigMap (create cannot be limited to a name).',
  },
  {
    scope: 'namespace',
    apiGroups: ['volsync.backube'],
    resources: ['kopiamaintenances'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    why:
      "The kopia repository's one KopiaMaintenance, in lifeboat's namespace only: a label-selected cache (list+watch, " +
      'which also brings the status the fork writes), a get before creating it, server-side apply, and its deletion ' +
      'when maintenance is turned off or the backend is no longer kopia.',
  },
  {
    scope: 'namespace',
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['update'],
    resourceNames: (config) => [config.admission.certificate.secretName],
    why: 'Self-signed webhook CA: renew the serving certificate and rotate the CA in place.',
    when: selfSigned,
  },
];

/** The rules an installation grants. */
export function rulesFor(install: Install, scope: RbacRule['scope']): RbacRule[] {
  return RBAC_RULES.filter((r) => r.scope === scope && (r.when?.test(install) ?? true));
}

/** A rule as Kubernetes writes it. */
export function policyRule(rule: RbacRule, config: LifeboatConfig): Record<string, unknown> {
  return {
    apiGroups: rule.apiGroups,
    resources: rule.resources,
    ...(rule.resourceNames ? { resourceNames: rule.resourceNames(config) } : {}),
    verbs: rule.verbs,
  };
}

/** The permissions table of docs/install.md. */
export function rbacMarkdownTable(): string {
  const code = (items: string[]) => items.map((i) => `\`${i}\``).join(', ');
  const rows = RBAC_RULES.map((r) => {
    const group = r.apiGroups.map((g) => (g === '' ? 'core' : g)).join(', ');
    const where = {
      cluster: 'cluster',
      namespace: "lifeboat's namespace",
      restore: `ClusterRole ${RESTORE_ROLE}, unbound`,
    }[r.scope];
    const names = r.resourceNames ? code(r.resourceNames(DEFAULT_CONFIG)) : 'any';
    const when = r.when?.label ?? 'always';
    return `| ${group} | ${code(r.resources)} | ${code(r.verbs)} | ${where} | ${names} | ${when} | ${r.why} |`;
  });
  return [
    '| API group | resources | verbs | where | names | granted when | why |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * ClusterRole, ClusterRoleBinding, Role and RoleBinding for the ServiceAccount `lifeboat`; and, with
 * `rbac.restoreCommand`, the unbound ClusterRole for the people who run `lifeboat restore`.
 */
export function rbacObjects(
  ctx: RenderContext,
  meta: (name: string, namespaced: boolean) => Record<string, unknown>,
): { object: Record<string, unknown>; rules?: RbacRule[] }[] {
  const name = ctx.names.fullname;
  const subjects = [{ kind: 'ServiceAccount', name: ctx.names.serviceAccount, namespace: ctx.namespace }];
  const cluster = rulesFor(ctx, 'cluster');
  const local = rulesFor(ctx, 'namespace');
  const restoring = rulesFor(ctx, 'restore');
  const rules = (list: RbacRule[]) => list.map((r) => policyRule(r, ctx.config));
  const restoreRole =
    restoring.length > 0
      ? [
          {
            object: {
              apiVersion: RBAC,
              kind: 'ClusterRole',
              metadata: meta(ctx.names.restoreRole, false),
              rules: rules(restoring),
            },
            rules: restoring,
          },
        ]
      : [];
  return [
    {
      object: { apiVersion: RBAC, kind: 'ClusterRole', metadata: meta(name, false), rules: rules(cluster) },
      rules: cluster,
    },
    {
      object: {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: meta(name, false),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects,
      },
    },
    {
      object: { apiVersion: RBAC, kind: 'Role', metadata: meta(name, true), rules: rules(local) },
      rules: local,
    },
    {
      object: {
        apiVersion: RBAC,
        kind: 'RoleBinding',
        metadata: meta(name, true),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects,
      },
    },
    ...restoreRole,
  ];
}
