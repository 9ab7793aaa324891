/**
 * Proves the control plane is the real kube-apiserver: server-side apply records managedFields for our field
 * manager, and the CRDs' structural schemas reject invalid VolSync objects with the API server's own message.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { describeKubeError, FIELD_MANAGER, KubeClient, type KubeObject } from '../../src/kube/client.ts';
import { sharedControlPlane } from '../support/controlplane.ts';

const ns = `smoke-${process.pid}`;

function kopiaRS(name: string, kopia: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationSource',
    metadata: { name, namespace: ns },
    spec: { sourcePVC: 'data', trigger: { schedule: '17 * * * *' }, kopia },
  };
}

describe('control plane smoke (real kube-apiserver + etcd)', () => {
  let kube: KubeClient;

  before(async () => {
    const { kubeConfig } = await sharedControlPlane();
    kube = new KubeClient(kubeConfig);
  });

  it('server-side applies a Namespace, a PVC and a kopia ReplicationSource under field manager "lifeboat"', async () => {
    const objects: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, annotations: { 'volsync.backube/privileged-movers': 'true' } },
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: ns, labels: { backup: 'hourly' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      kopiaRS('data-backup', {
        repository: 'data-volsync-secret',
        copyMethod: 'Snapshot',
        username: 'data-backup',
        hostname: ns,
        compression: 'zstd-fastest',
        parallelism: 2,
        retain: { hourly: 24, daily: 7 },
      }),
    ];
    for (const obj of objects) {
      const applied = await kube.apply(obj);
      const managers = (applied.metadata.managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
      assert.ok(managers.includes(`${FIELD_MANAGER}/Apply`), `${obj.kind} managedFields: ${managers.join(', ')}`);
      assert.ok(applied.metadata.uid, 'the server assigned a uid');
    }
    const rs = await kube.get<KubeObject & { spec: { kopia: { retain: unknown } } }>({
      apiVersion: 'volsync.backube/v1alpha1',
      kind: 'ReplicationSource',
      name: 'data-backup',
      namespace: ns,
    });
    assert.deepEqual(rs?.spec.kopia.retain, { hourly: 24, daily: 7 });
    const fields = JSON.stringify(rs?.metadata.managedFields?.find((m) => m.manager === FIELD_MANAGER)?.fieldsV1);
    assert.match(fields, /"f:kopia"/, 'managedFields list the kopia fields we own');
    assert.match(fields, /"f:retain"/);
  });

  it('rejects a ReplicationSource that violates the CRD schema, with the API server message', async () => {
    await assert.rejects(
      kube.apply(kopiaRS('bad-copy-method', { repository: 'x', copyMethod: 'Teleport' })),
      (error: unknown) => {
        const e = describeKubeError(error);
        assert.equal(e.status, 422, e.message);
        assert.equal(e.reason, 'Invalid');
        assert.match(e.message, /spec\.kopia\.copyMethod/);
        assert.match(e.message, /Unsupported value: "Teleport"/);
        return true;
      },
    );
  });

  it('rejects an unknown field in a ReplicationSource (strict field validation of apply)', async () => {
    await assert.rejects(
      kube.apply(kopiaRS('unknown-field', { repository: 'x', copyMethod: 'Snapshot', maintenanceIntervalDays: 7 })),
      (error: unknown) => {
        const e = describeKubeError(error);
        // kube-apiserver 1.34 answers an apply with an undeclared field with 500 "failed to create typed patch
        // object ... field not declared in schema" (400/422 in other versions): the message is what matters.
        assert.ok(e.status >= 400, `${e.status} ${e.message}`);
        assert.match(e.message, /field not declared in schema/);
        assert.match(e.message, /maintenanceIntervalDays/);
        return true;
      },
    );
  });
});
