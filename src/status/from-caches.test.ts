import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PvcFacts } from '../catalog/view.ts';
import { loadConfig } from '../config/load.ts';
import type { KubeObject } from '../kube/client.ts';
import { sourceSecretFactFrom } from '../plan/credentials.ts';
import { generatedMetadata } from '../plan/metadata.ts';
import type { PvcRef } from '../repository/source.ts';
import { ledgerFromCaches } from './from-caches.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const config = loadConfig('namespace: lifeboat-system');

const pvc = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'app', labels, creationTimestamp: '2026-05-01T00:00:00Z' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Bound' },
});
const rd = (pvcName: string): KubeObject => ({
  apiVersion: 'volsync.backube/v1alpha1',
  kind: 'ReplicationDestination',
  metadata: { ...generatedMetadata(`${pvcName}-restore`, 'app', pvcName) },
  spec: { trigger: { manual: 'restore-once' }, kopia: {} },
});

describe('ledgerFromCaches', () => {
  it('builds the ledger from the controller’s caches, its conflicts and the catalog’s memory', async () => {
    const asked: string[] = [];
    const catalog = {
      staleAfterMs: 300_000,
      async lookup(ref: PvcRef): Promise<PvcFacts> {
        asked.push(`${ref.namespace}/${ref.pvc}`);
        return {
          namespace: ref.namespace,
          pvc: ref.pvc,
          backend: 'kopia-fs',
          source: `${ref.pvc}-backup@${ref.namespace}:/data`,
          repository: '/repo',
          repositoryPreviouslyHadSnapshots: false,
          view: { observedAtMs: NOW, repositoryExists: true, snapshots: [], repositorySnapshotCount: 0 },
        };
      },
    };
    const ledger = await ledgerFromCaches({
      config,
      now: NOW,
      cluster: { volsync: 'kopia-fork' },
      sourceSecrets: [],
      pvcs: [pvc('web', { backup: 'hourly' }), pvc('scratch', {})],
      namespaces: [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'app', annotations: { 'volsync.backube/privileged-movers': 'true' } },
        },
      ],
      children: [
        rd('gone'),
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-volsync-secret', namespace: 'app' } },
      ],
      reports: new Map([
        ['app/web', { verdict: 'conflict', message: 'ReplicationSource app/web-backup is not lifeboat’s' }],
      ]),
      catalog,
    });
    assert.deepEqual(
      ledger.rows.map((r) => `${r.pvc}:${r.verdict}:${r.reason}`),
      ['gone:restore-point-only:PvcDeleted', 'scratch:needs-attention:Unlabelled', 'web:conflict:NameConflict'],
    );
    assert.deepEqual(asked.sort(), ['app/gone', 'app/web'], 'unlabelled PVCs are not looked up');
    assert.equal(ledger.rows.find((r) => r.pvc === 'web')?.snapshots?.decision, 'fresh');
  });

  it('reads the source Secret fact like the controller', () => {
    assert.deepEqual(sourceSecretFactFrom(undefined), { state: 'not-read' });
    assert.deepEqual(sourceSecretFactFrom([]), { state: 'not-found' });
    assert.deepEqual(
      sourceSecretFactFrom([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { A: 'Yg==' } }]),
      {
        state: 'found',
        data: { A: 'Yg==' },
      },
    );
  });
});
