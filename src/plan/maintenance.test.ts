import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import type { SourceSecretFact } from './credentials.ts';
import {
  MAINTENANCE_NAME,
  MAINTENANCE_ROLE,
  type MaintenanceInput,
  planMaintenance,
  ROLE_LABEL,
} from './maintenance.ts';
import type { KopiaMaintenanceObject, SecretObject } from './objects.ts';
import type { ObservedObject } from './observed.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const NFS = 'nfs: {server: nas.example.com, path: /export/volsync}';
const found: SourceSecretFact = { state: 'found', data: { KOPIA_PASSWORD: b64('pw'), AWS_ACCESS_KEY_ID: b64('id') } };
const ours = (kind: string, name = MAINTENANCE_NAME, namespace = 'lifeboat-system'): ObservedObject => ({
  apiVersion:
    kind === 'Secret' ? 'v1' : kind === 'ExternalSecret' ? 'external-secrets.io/v1' : 'volsync.backube/v1alpha1',
  kind,
  metadata: {
    name,
    namespace,
    labels: { 'app.kubernetes.io/managed-by': 'lifeboat', [ROLE_LABEL]: MAINTENANCE_ROLE },
  },
});

function plan(yaml: string, over: Partial<MaintenanceInput> = {}) {
  return planMaintenance({
    config: loadConfig(yaml),
    cluster: { volsync: 'kopia-fork', kopiaMaintenance: true },
    sourceSecret: found,
    observed: [],
    ...over,
  });
}

describe('planMaintenance', () => {
  it('kopia on NFS: one KopiaMaintenance in lifeboat’s namespace, as the movers’ user, with their mount', () => {
    const p = plan(`repository: {${NFS}}\nmover: {cacheCapacity: 4Gi}`);
    assert.equal(p.state, 'maintained');
    assert.deepEqual(
      p.apply.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [`Secret lifeboat-system/${MAINTENANCE_NAME}`, `KopiaMaintenance lifeboat-system/${MAINTENANCE_NAME}`],
    );
    const km = p.apply[1] as KopiaMaintenanceObject;
    assert.deepEqual(km.spec, {
      repository: { repository: MAINTENANCE_NAME },
      trigger: { schedule: '30 4 * * *' },
      schedule: '30 4 * * *',
      enabled: true,
      cacheCapacity: '4Gi',
      podSecurityContext: { runAsUser: 568, runAsGroup: 568, fsGroup: 568, runAsNonRoot: true },
      moverVolumes: [
        { mountPath: 'repository', volumeSource: { nfs: { server: 'nas.example.com', path: '/export/volsync' } } },
      ],
    });
    assert.deepEqual(km.metadata.labels, {
      'app.kubernetes.io/managed-by': 'lifeboat',
      [ROLE_LABEL]: MAINTENANCE_ROLE,
    });
    // No empty annotations map: the API server stores none, so it would read as drift on every reconcile.
    assert.equal('annotations' in km.metadata, false);
    // The Secret is the movers' Secret: the source keys plus the rendered filesystem location; no PVC label.
    const secret = p.apply[0] as SecretObject;
    assert.deepEqual(Object.keys(secret.data), ['AWS_ACCESS_KEY_ID', 'KOPIA_PASSWORD', 'KOPIA_REPOSITORY']);
    assert.equal(Buffer.from(secret.data.KOPIA_REPOSITORY ?? '', 'base64').toString(), 'filesystem:///mnt/repository');
    assert.equal(secret.metadata.labels['lifeboat.dev/pvc'], undefined);
    assert.equal(secret.metadata.annotations['lifeboat.dev/pvc-name'], undefined);
    assert.equal(secret.metadata.annotations['lifeboat.dev/credentials-from'], 'lifeboat-system/lifeboat-repository');
    assert.deepEqual(p.delete, []);
  });

  it('follows the configured schedule, namespace and mover user; S3 has no mount', () => {
    const p = plan(
      'namespace: backup\nrepository: {url: "s3://bucket/volsync", maintenance: {schedule: "@weekly"}}\n' +
        'mover: {moverSecurityContext: {runAsUser: 1001, runAsGroup: 1002, fsGroup: 1003}}',
    );
    const km = p.apply.find((o) => o.kind === 'KopiaMaintenance') as KopiaMaintenanceObject;
    assert.equal(km.metadata.namespace, 'backup');
    assert.deepEqual(km.spec.trigger, { schedule: '@weekly' });
    assert.deepEqual(km.spec.podSecurityContext, {
      runAsUser: 1001,
      runAsGroup: 1002,
      fsGroup: 1003,
      runAsNonRoot: true,
    });
    assert.equal(km.spec.moverVolumes, undefined);
  });

  it('external-secret mode: an ExternalSecret with the movers’ store and keys produces the Secret', () => {
    const p = plan(
      `repository: {${NFS}}\ncredentials: {mode: external-secret, storeRef: {name: vault}, extract: kopia}\n` +
        'catalog: {credentialsSecretRef: {namespace: lifeboat-system, name: catalog-creds}}',
      { sourceSecret: { state: 'not-read' } },
    );
    assert.deepEqual(
      p.apply.map((o) => o.kind),
      ['ExternalSecret', 'KopiaMaintenance'],
    );
    const es = p.apply[0];
    assert.ok(es?.kind === 'ExternalSecret');
    assert.equal('annotations' in es.metadata, false);
    assert.equal(es.spec.target.name, MAINTENANCE_NAME);
    assert.deepEqual(es.spec.dataFrom, [{ extract: { key: 'kopia' } }]);
    assert.deepEqual(es.spec.target.template?.data, { KOPIA_REPOSITORY: 'filesystem:///mnt/repository' });
  });

  it('renders offline without the source Secret, saying where the keys will come from', () => {
    const p = plan(`repository: {${NFS}}`, { sourceSecret: { state: 'not-read' } });
    assert.equal(p.state, 'maintained');
    assert.match(p.notes.join(), /KOPIA_PASSWORD.*copied from Secret lifeboat-system\/lifeboat-repository/);
  });

  const kept: { name: string; yaml: string; over: Partial<MaintenanceInput>; state: string; message: RegExp }[] = [
    {
      name: 'source Secret missing',
      yaml: `repository: {${NFS}}`,
      over: { sourceSecret: { state: 'not-found' } },
      state: 'waiting',
      message: /source Secret lifeboat-system\/lifeboat-repository not found/,
    },
    {
      name: 'no KopiaMaintenance CRD',
      yaml: '',
      over: { cluster: { volsync: 'kopia-fork', kopiaMaintenance: false } },
      state: 'unsupported',
      message: /no KopiaMaintenance CRD.*upgrade/,
    },
  ];
  for (const c of kept) {
    it(`${c.name}: ${c.state}, keeps what exists`, () => {
      const p = plan(c.yaml, { observed: [ours('KopiaMaintenance'), ours('Secret')], ...c.over });
      assert.equal(p.state, c.state);
      assert.match(p.message, c.message);
      assert.deepEqual(p.apply, []);
      assert.deepEqual(p.delete, []);
    });
  }

  const off: { name: string; yaml: string; message: RegExp }[] = [
    {
      name: 'backend restic',
      yaml: 'repository: {backend: restic, url: "s3:http://m:9000/b/{namespace}/{pvc}"}',
      message: /restic/,
    },
    { name: 'maintenance disabled', yaml: 'repository: {maintenance: {enabled: false}}', message: /enabled is false/ },
  ];
  for (const c of off) {
    it(`${c.name}: deletes only lifeboat’s maintenance objects, KopiaMaintenance first`, () => {
      const foreign: ObservedObject = {
        apiVersion: 'volsync.backube/v1alpha1',
        kind: 'KopiaMaintenance',
        metadata: { name: 'hand-made', namespace: 'lifeboat-system' },
      };
      const p = plan(c.yaml, {
        observed: [ours('Secret'), ours('KopiaMaintenance'), foreign, ours('KopiaMaintenance', 'x', 'elsewhere')],
      });
      assert.equal(p.state, 'off');
      assert.match(p.message, c.message);
      assert.deepEqual(p.apply, []);
      assert.deepEqual(
        p.delete.map((r) => `${r.kind} ${r.namespace}/${r.name}`),
        [`KopiaMaintenance lifeboat-system/${MAINTENANCE_NAME}`, `Secret lifeboat-system/${MAINTENANCE_NAME}`],
      );
    });
  }

  it('switching to external-secret mode deletes the copied Secret (ESO creates its own), keeps the KopiaMaintenance', () => {
    const p = plan(`repository: {${NFS}}\ncredentials: {mode: external-secret, storeRef: {name: vault}, extract: k}`, {
      observed: [ours('Secret'), ours('KopiaMaintenance')],
    });
    assert.deepEqual(
      p.apply.map((o) => o.kind),
      ['ExternalSecret', 'KopiaMaintenance'],
    );
    assert.deepEqual(
      p.delete.map((r) => r.kind),
      ['Secret'],
    );
    // Once ESO has written its Secret (with the ExternalSecret's labels copied onto it), it is never deleted.
    const written = ours('Secret');
    written.metadata.ownerReferences = [{ kind: 'ExternalSecret', name: MAINTENANCE_NAME, uid: 'es-uid' }];
    const steady = plan(
      `repository: {${NFS}}\ncredentials: {mode: external-secret, storeRef: {name: vault}, extract: k}`,
      {
        observed: [written, ours('ExternalSecret'), ours('KopiaMaintenance')],
      },
    );
    assert.deepEqual(steady.delete, []);
    // Turned off: the ExternalSecret goes (and ESO's Secret with it), lifeboat deletes nothing else.
    const off = plan('repository: {maintenance: {enabled: false}}', {
      observed: [written, ours('ExternalSecret'), ours('KopiaMaintenance')],
    });
    assert.deepEqual(
      off.delete.map((r) => r.kind),
      ['KopiaMaintenance', 'ExternalSecret'],
    );
  });
});
