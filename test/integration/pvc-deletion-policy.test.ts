/**
 * The ValidatingAdmissionPolicy that limits lifeboat's PVC deletions (src/deploy/pvc-deletion-policy.ts), installed
 * from `lifeboat manifests` output on a real kube-apiserver with the rendered RBAC, and exercised as lifeboat's
 * ServiceAccount (its user name and groups, so RBAC and the policy see exactly what they see from the pod):
 *
 * - lifeboat deleting an unlabelled PVC is refused by the policy, with its message (RBAC alone would allow it);
 * - lifeboat deleting a drill-labelled PVC (a restore drill's scratch claim) is allowed;
 * - lifeboat adding the drill label to an existing claim is refused (else `patch` would open the way to delete);
 * - another user deleting an unlabelled PVC is allowed: the policy matches only lifeboat.
 *
 * A non-default release and ServiceAccount name, so the matched user name is the one rendered from the values.
 * Own control plane: the policy and its binding are cluster-wide.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DRILL_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/config/keys.ts';
import { renderManifests } from '../../src/deploy/manifests.ts';
import { serviceAccountUser } from '../../src/deploy/pvc-deletion-policy.ts';
import { resolveValues } from '../../src/deploy/values.ts';
import { KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { describeKubeError } from '../../src/kube/errors.ts';
import { type ControlPlane, startControlPlane } from '../support/controlplane.ts';
import { waitUntil } from '../support/processes.ts';

const NAMESPACE = 'storage-ops';
const APPS = 'policy-apps';
const SERVICE_ACCOUNT = 'keeper';
const SA_USER = serviceAccountUser(NAMESPACE, SERVICE_ACCOUNT);
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`];
const REFUSED =
  /lifeboat deletes only the scratch PVCs of its restore drills \(label lifeboat\.dev\/drill\); refused to delete PersistentVolumeClaim policy-apps\/[a-z-]+: it does not carry that label/;

function pvc(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: APPS, labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  } as KubeObject;
}

const drillLabels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [DRILL_LABEL]: 'a1b2c3' };
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace: APPS });
const pvcPath = (name: string) => `/api/v1/namespaces/${APPS}/persistentvolumeclaims/${name}`;

/** The refusal of `attempt` (status and message), or undefined when it succeeded. */
async function refusal(attempt: () => Promise<unknown>): Promise<{ status: number; message: string } | undefined> {
  try {
    await attempt();
    return undefined;
  } catch (error) {
    return describeKubeError(error);
  }
}

describe('PVC deletion policy: lifeboat deletes only drill-labelled PVCs', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let sa: KubeClient;
  let other: KubeClient;

  before(async () => {
    cp = await startControlPlane({ crds: 'none' });
    admin = new KubeClient(cp.kubeConfig, 'lifeboat-test');
    const values = resolveValues({ serviceAccount: { name: SERVICE_ACCOUNT } });
    const rendered = renderManifests(values, { namespace: NAMESPACE, release: 'vault', includeNamespace: true });
    const wanted = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'];
    const policyKinds = ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];
    const objects = rendered.map((r) => r.object).filter((o) => [...wanted, ...policyKinds].includes(o.kind));
    assert.deepEqual(
      objects.filter((o) => policyKinds.includes(o.kind)).map((o) => o.metadata.name),
      ['vault-lifeboat-pvc-deletion', 'vault-lifeboat-pvc-deletion'],
    );
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS } });
    for (const object of objects) await admin.apply(object, { force: true });
    sa = new KubeClient(await cp.kubeconfigFor(SA_USER, SA_GROUPS), 'lifeboat');
    other = new KubeClient(await cp.kubeconfigFor('jane', ['platform-admins']), 'kubectl');
    await admin.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'platform-admins' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'platform-admins' }],
    } as KubeObject);
    await admin.apply(pvc('canary'));
    // A binding takes effect once the API server's policy informer has seen it: poll with dry-run deletions of a
    // canary (a dry run goes through admission and deletes nothing) until the policy refuses one.
    await waitUntil(
      'the PVC deletion policy is in effect',
      async () =>
        (await refusal(() => sa.http.request('DELETE', pvcPath('canary'), { query: { dryRun: 'All' } })))?.status ===
        403,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  after(async () => {
    await cp?.stop();
  });

  it("refuses lifeboat's ServiceAccount deleting an unlabelled PVC, naming the claim and the reason", async () => {
    await admin.apply(pvc('app-data'));
    const refused = await refusal(() => sa.delete(ref('app-data')));
    assert.equal(refused?.status, 403);
    assert.match(refused?.message ?? '', REFUSED);
    assert.match(refused?.message ?? '', /app-data/);
    assert.ok(await admin.get(ref('app-data')), 'the claim still exists');
  });

  it('allows it to delete a drill-labelled PVC (a restore drill scratch claim)', async () => {
    const created = await admin.apply(pvc('app-data-drill-a1b2c3', drillLabels));
    assert.equal(await sa.delete(ref('app-data-drill-a1b2c3'), { uid: created.metadata.uid }), true);
    const gone = await admin.get(ref('app-data-drill-a1b2c3'));
    // PVC protection may hold it with a finalizer; it is deleted either way.
    assert.ok(!gone || gone.metadata.deletionTimestamp, 'the scratch claim is deleted');
  });

  it('refuses it adding the drill label to an existing claim, but lets it patch its own annotations', async () => {
    await admin.apply(pvc('photos'));
    const refused = await refusal(() => sa.apply(pvc('photos', drillLabels), { force: true }));
    assert.equal(refused?.status, 403);
    assert.match(
      refused?.message ?? '',
      /lifeboat may not add the restore-drill label lifeboat\.dev\/drill to PersistentVolumeClaim policy-apps\/photos/,
    );
    // The restore evidence write (an apply of only its own annotation) stays allowed.
    const evidence = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'photos', namespace: APPS, annotations: { 'lifeboat.dev/restored-from': 'test' } },
    } as KubeObject;
    await sa.apply(evidence, { force: true });
    const live = await admin.get(ref('photos'));
    assert.equal(live?.metadata.annotations?.['lifeboat.dev/restored-from'], 'test');
    assert.equal(live?.metadata.labels?.[DRILL_LABEL], undefined);
    assert.match((await refusal(() => sa.delete(ref('photos'))))?.message ?? '', REFUSED);
  });

  it('does not touch other users: an administrator deletes an unlabelled PVC', async () => {
    await admin.apply(pvc('old-data'));
    assert.equal(await other.delete(ref('old-data')), true);
  });
});
