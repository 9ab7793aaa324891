import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveDestinationIdentity, resolveSourceIdentity } from '../../test/support/kopia-fork-identity.ts';
import { loadConfig } from '../config/load.ts';
import type { LifeboatConfig } from '../config/types.ts';
import { classifyPvc } from '../intent/classify.ts';
import type { Namespace, PersistentVolumeClaim } from '../intent/resources.ts';
import { identityFor } from '../mover/kopia/identity.ts';
import type { ClusterCapabilities } from './capability.ts';
import type { SourceSecretFact } from './credentials.ts';
import type {
  ExternalSecretObject,
  GeneratedObject,
  ReplicationDestinationObject,
  ReplicationSourceObject,
  SecretObject,
} from './objects.ts';
import { type ObservedObject, planPvcDeleted } from './observed.ts';
import { type Plan, planPvc } from './plan.ts';
import { spreadMinute } from './schedule.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

interface PvcOptions {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  phase?: string;
  ageMs?: number;
  uid?: string;
  storageClassName?: string;
  storage?: string;
  accessModes?: string[];
  dataSourceRef?: { apiGroup: string; kind: string; name: string };
}

function pvcOf(o: PvcOptions = {}): PersistentVolumeClaim {
  return {
    metadata: {
      name: o.name ?? 'photos',
      namespace: 'media',
      uid: o.uid ?? 'uid-1',
      creationTimestamp: new Date(NOW - (o.ageMs ?? 3 * HOUR)).toISOString(),
      labels: o.labels ?? { backup: 'hourly' },
      annotations: o.annotations ?? {},
    },
    spec: {
      accessModes: o.accessModes ?? ['ReadWriteOnce'],
      storageClassName: o.storageClassName ?? 'longhorn',
      resources: { requests: o.storage === '' ? {} : { storage: o.storage ?? '10Gi' } },
      ...(o.dataSourceRef && { dataSourceRef: o.dataSourceRef }),
    },
    status: { phase: o.phase ?? 'Bound' },
  };
}

const namespace: Namespace = {
  metadata: { name: 'media', annotations: { 'volsync.backube/privileged-movers': 'true' } },
};
const sourceSecret: SourceSecretFact = {
  state: 'found',
  data: { KOPIA_PASSWORD: b64('pw'), KOPIA_REPOSITORY: b64('s3://bucket/volsync'), AWS_ACCESS_KEY_ID: b64('ak') },
};

interface PlanOptions {
  config?: LifeboatConfig;
  observed?: readonly ObservedObject[];
  source?: SourceSecretFact;
  cluster?: ClusterCapabilities;
  namespace?: Namespace;
}

function plan(pvc: PersistentVolumeClaim, o: PlanOptions = {}): Plan {
  const config = o.config ?? loadConfig('');
  return planPvc({
    pvc,
    intent: classifyPvc(pvc, o.namespace ?? namespace, config),
    config,
    facts: {
      now: NOW,
      cluster: o.cluster ?? { volsync: 'kopia-fork' },
      sourceSecret: o.source ?? sourceSecret,
      observed: o.observed ?? [],
    },
  });
}

/** What the controller would read back after applying a generated object. */
function observe(object: GeneratedObject): ObservedObject {
  const trigger =
    object.kind === 'ReplicationSource' || object.kind === 'ReplicationDestination' ? object.spec.trigger : undefined;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: object.metadata,
    ...(trigger && { spec: { trigger } }),
  };
}

function kinds(p: Plan): string[] {
  return p.apply.map((o) => `${o.kind}/${o.metadata.name}`);
}

function only<K extends GeneratedObject['kind']>(p: Plan, kind: K): Extract<GeneratedObject, { kind: K }> {
  const found = p.apply.filter((o): o is Extract<GeneratedObject, { kind: K }> => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in ${kinds(p).join(', ')}`);
  return found[0] as Extract<GeneratedObject, { kind: K }>;
}

const source = (p: Plan) => only(p, 'ReplicationSource') as ReplicationSourceObject;
const destination = (p: Plan) => only(p, 'ReplicationDestination') as ReplicationDestinationObject;

describe('planPvc: a protected PVC', () => {
  it('generates Secret, restore point and backup source for a Bound PVC older than the minimum age', () => {
    const p = plan(pvcOf());
    assert.equal(p.verdict.kind, 'protected');
    assert.deepEqual(kinds(p), [
      'Secret/photos-volsync-secret',
      'ReplicationDestination/photos-restore',
      'ReplicationSource/photos-backup',
    ]);
    assert.deepEqual(p.delete, []);
    const rs = source(p);
    assert.deepEqual(rs.spec.trigger, { schedule: `${spreadMinute('media', 'photos')} * * * *` });
    assert.equal(rs.spec.sourcePVC, 'photos');
    assert.deepEqual(rs.spec.kopia?.retain, { hourly: 24, daily: 7 });
    assert.equal(rs.spec.kopia?.copyMethod, 'Snapshot');
    assert.equal(rs.spec.kopia?.repository, 'photos-volsync-secret');
    assert.equal(rs.spec.kopia?.compression, 'zstd-fastest');
    assert.equal(rs.spec.kopia?.parallelism, 2);
    assert.equal(rs.spec.kopia?.cacheCapacity, '2Gi');
    assert.equal(rs.spec.kopia?.storageClassName, 'longhorn');
    assert.deepEqual(rs.spec.kopia?.moverSecurityContext, { runAsUser: 568, runAsGroup: 568, fsGroup: 568 });
    assert.deepEqual(rs.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'photos', uid: 'uid-1' },
    ]);
    assert.equal(rs.metadata.labels['lifeboat.dev/tier'], 'hourly');
    if (p.verdict.kind === 'protected') assert.match(p.verdict.event.message, /24 hourly \+ 7 daily/);
  });

  it('shapes the restore point like the PVC and gives it a one-time manual trigger', () => {
    const p = plan(pvcOf({ storage: '25Gi', accessModes: ['ReadWriteMany'] }));
    const rd = destination(p);
    assert.deepEqual(rd.spec.trigger, { manual: 'restore-once' });
    assert.equal(rd.spec.kopia?.capacity, '25Gi');
    assert.deepEqual(rd.spec.kopia?.accessModes, ['ReadWriteMany']);
    assert.equal(rd.spec.kopia?.copyMethod, 'Snapshot');
    assert.equal(rd.spec.kopia?.cleanupTempPVC, true);
    assert.equal(rd.metadata.ownerReferences, undefined, 'the restore point outlives the PVC');
  });

  it('defaults the restore access mode to ReadWriteOnce', () => {
    assert.deepEqual(destination(plan(pvcOf({ accessModes: [] }))).spec.kopia?.accessModes, ['ReadWriteOnce']);
  });

  it('waits for binding before creating the source, keeping the restore point', () => {
    const p = plan(pvcOf({ phase: 'Pending' }));
    assert.equal(p.verdict.kind, 'waiting');
    if (p.verdict.kind !== 'waiting') return;
    assert.equal(p.verdict.cause, 'unbound');
    assert.equal(p.verdict.requeueAfterMs, undefined);
    assert.equal(p.verdict.event.reason, 'WaitingForBind');
    assert.deepEqual(kinds(p), ['Secret/photos-volsync-secret', 'ReplicationDestination/photos-restore']);
  });

  it('waits for the minimum age and asks to be requeued when it is reached', () => {
    const p = plan(pvcOf({ ageMs: 30 * 60_000 }));
    assert.equal(p.verdict.kind, 'waiting');
    if (p.verdict.kind !== 'waiting') return;
    assert.equal(p.verdict.cause, 'min-age');
    assert.equal(p.verdict.requeueAfterMs, 90 * 60_000);
    assert.match(p.verdict.event.message, /PVC is 30m old; .* once it is 2h old \(in 1h30m\)/);
    assert.ok(!kinds(p).some((k) => k.startsWith('ReplicationSource')));
  });

  it('honours a configured minimum age', () => {
    assert.equal(
      plan(pvcOf({ ageMs: 30 * 60_000 }), { config: loadConfig('minPvcAge: 15m') }).verdict.kind,
      'protected',
    );
  });

  it('keeps an existing source of the same PVC even while young (age gates creation only)', () => {
    const first = plan(pvcOf());
    const p = plan(pvcOf({ ageMs: 60_000 }), { observed: first.apply.map(observe) });
    assert.equal(p.verdict.kind, 'protected');
    assert.deepEqual(p.delete, []);
  });

  it('deletes a source left by an earlier PVC of the same name before creating a new one', () => {
    const old = plan(pvcOf({ uid: 'old' }));
    const p = plan(pvcOf({ uid: 'new' }), { observed: old.apply.map(observe) });
    assert.equal(p.verdict.kind, 'waiting');
    if (p.verdict.kind === 'waiting') assert.equal(p.verdict.cause, 'stale-source');
    assert.deepEqual(p.delete, [
      { apiVersion: 'volsync.backube/v1alpha1', kind: 'ReplicationSource', namespace: 'media', name: 'photos-backup' },
    ]);
    assert.ok(!kinds(p).includes('ReplicationSource/photos-backup'));
  });

  it('renders the manual tier with its token and keeps a token someone wrote since', () => {
    const manual = pvcOf({ labels: { backup: 'manual' } });
    const first = plan(manual);
    assert.deepEqual(source(first).spec.trigger, { manual: 'backup-on-demand' });
    const live = first.apply
      .map(observe)
      .map((o) => (o.kind === 'ReplicationSource' ? { ...o, spec: { trigger: { manual: 'now-1780000000' } } } : o));
    assert.deepEqual(source(plan(manual, { observed: live })).spec.trigger, { manual: 'now-1780000000' });
  });

  it("keeps the restore point's live token (a refresh wrote it) instead of resetting it", () => {
    const first = plan(pvcOf());
    const live = first.apply
      .map(observe)
      .map((o) => (o.kind === 'ReplicationDestination' ? { ...o, spec: { trigger: { manual: 'refresh-42' } } } : o));
    assert.deepEqual(destination(plan(pvcOf(), { observed: live })).spec.trigger, { manual: 'refresh-42' });
  });

  it('does not keep a manual token when the tier is scheduled', () => {
    const first = plan(pvcOf({ labels: { backup: 'manual' } }));
    const p = plan(pvcOf({ labels: { backup: 'daily' } }), { observed: first.apply.map(observe) });
    assert.deepEqual(source(p).spec.trigger, { schedule: `${spreadMinute('media', 'photos')} 2 * * *` });
  });

  it('reports a PVC without a storage request as invalid and keeps what exists', () => {
    const first = plan(pvcOf());
    const p = plan(pvcOf({ storage: '' }), { observed: first.apply.map(observe) });
    assert.equal(p.verdict.kind, 'invalid');
    assert.equal(p.verdict.event.reason, 'InvalidPvcSpec');
    assert.deepEqual(p.apply, []);
    assert.deepEqual(p.delete, []);
  });

  it('passes near-miss warnings through as Warning events', () => {
    const p = plan(pvcOf({ annotations: { 'backup-exempt-reason': 'x' } }));
    assert.equal(p.warnings[0]?.type, 'Warning');
    assert.equal(p.warnings[0]?.reason, 'NearMissKey');
  });
});

describe('planPvc: names, labels and kopia identity', () => {
  it('labels every object with managed-by and the PVC, and annotates the full PVC name', () => {
    for (const object of plan(pvcOf()).apply) {
      assert.equal(object.metadata.labels['app.kubernetes.io/managed-by'], 'lifeboat');
      assert.equal(object.metadata.labels['lifeboat.dev/pvc'], 'photos');
      assert.equal(object.metadata.annotations['lifeboat.dev/pvc-name'], 'photos');
      assert.equal(object.metadata.namespace, 'media');
    }
  });

  it('handles a 253-character PVC name: short object names, hashed label, full name annotated', () => {
    const name = 'v'.repeat(253);
    const p = plan(pvcOf({ name }));
    assert.equal(p.verdict.kind, 'protected');
    for (const object of p.apply) {
      assert.match(object.metadata.labels['lifeboat.dev/pvc'] ?? '', /^pvc-[0-9a-f]{24}$/);
      assert.equal(object.metadata.annotations['lifeboat.dev/pvc-name'], name);
      const max = object.kind === 'Secret' ? 253 : 51;
      assert.ok(object.metadata.name.length <= max, `${object.kind} ${object.metadata.name.length}`);
    }
    assert.equal(source(p).spec.sourcePVC, name);
  });

  const identities = [
    { name: 'default template', yaml: '', pvc: 'photos' },
    { name: 'pvc-plumber v4 template', yaml: 'repository: {identity: "{pvc}@{namespace}:/data"}', pvc: 'photos' },
    {
      name: 'names differing from the identity',
      yaml: 'naming: {replicationSource: "bk-{pvc}", replicationDestination: "rs-{pvc}"}',
      pvc: 'photos',
    },
    { name: 'a 253-character PVC', yaml: '', pvc: 'w'.repeat(253) },
  ];
  for (const c of identities) {
    it(`makes source and restore point resolve to the catalog identity (${c.name})`, () => {
      const config = loadConfig(c.yaml);
      const p = plan(pvcOf({ name: c.pvc }), { config });
      const rs = source(p);
      const rd = destination(p);
      assert.ok(rs.spec.kopia && rd.spec.kopia);
      const expected = identityFor(config.repository.identity, 'media', c.pvc);
      assert.deepEqual(resolveSourceIdentity(rs.metadata.name, 'media', rs.spec.kopia), expected);
      assert.deepEqual(resolveDestinationIdentity(rd.metadata.name, 'media', rd.spec.kopia), expected);
      assert.equal(
        rs.metadata.annotations['lifeboat.dev/kopia-identity'],
        `${expected.username}@${expected.hostname}:/data`,
      );
    });
  }
});

describe('planPvc: classes, repository and credentials', () => {
  it("uses the PVC's class unless the config overrides it, and the snapshot class mapped to it", () => {
    const config = loadConfig(
      'mover: {volumeSnapshotClassName: default-snap, volumeSnapshotClassByStorageClass: {ceph-rbd: rbd-snap}}',
    );
    const ceph = source(plan(pvcOf({ storageClassName: 'ceph-rbd' }), { config }));
    assert.equal(ceph.spec.kopia?.storageClassName, 'ceph-rbd');
    assert.equal(ceph.spec.kopia?.volumeSnapshotClassName, 'rbd-snap');
    const other = destination(plan(pvcOf({ storageClassName: 'nfs' }), { config }));
    assert.equal(other.spec.kopia?.volumeSnapshotClassName, 'default-snap');
    const overridden = destination(plan(pvcOf(), { config: loadConfig('mover: {storageClassName: fast}') }));
    assert.equal(overridden.spec.kopia?.storageClassName, 'fast');
    assert.equal(overridden.spec.kopia?.volumeSnapshotClassName, undefined, 'unset: the cluster default class');
  });

  it('copies the source Secret as base64 data, adding nothing it cannot know', () => {
    const secret = only(plan(pvcOf()), 'Secret') as SecretObject;
    assert.deepEqual(Object.keys(secret.data), ['AWS_ACCESS_KEY_ID', 'KOPIA_PASSWORD', 'KOPIA_REPOSITORY']);
    assert.equal(unb64(secret.data.KOPIA_REPOSITORY), 's3://bucket/volsync');
    assert.equal(secret.metadata.annotations['lifeboat.dev/credentials-from'], 'lifeboat-system/lifeboat-repository');
    assert.equal('stringData' in secret, false);
  });

  it('points kopia at an NFS repository through moverVolumes and the Secret', () => {
    const config = loadConfig('repository: {nfs: {server: nas.example.com, path: /export/volsync}}');
    const p = plan(pvcOf(), { config });
    const secret = only(p, 'Secret') as SecretObject;
    assert.equal(unb64(secret.data.KOPIA_REPOSITORY), 'filesystem:///mnt/repository');
    // The kopia mover connects to a filesystem repository through the path in KOPIA_REPOSITORY; no other key.
    assert.deepEqual(Object.keys(secret.data), ['AWS_ACCESS_KEY_ID', 'KOPIA_PASSWORD', 'KOPIA_REPOSITORY']);
    const volumes = [
      { mountPath: 'repository', volumeSource: { nfs: { server: 'nas.example.com', path: '/export/volsync' } } },
    ];
    assert.deepEqual(source(p).spec.kopia?.moverVolumes, volumes);
    assert.deepEqual(destination(p).spec.kopia?.moverVolumes, volumes);
  });

  it('gives restic one repository per PVC and its own retention encoding', () => {
    const config = loadConfig(`
repository: {backend: restic, url: "s3:http://minio:9000/volsync/{namespace}/{pvc}"}
tiers: {hourly: {trigger: {schedule: "0 * * * *"}, retain: {hourly: 24, last: 5}}}
`);
    const p = plan(pvcOf(), {
      config,
      cluster: { volsync: 'upstream' },
      source: { state: 'found', data: { RESTIC_PASSWORD: b64('pw') } },
    });
    assert.equal(p.verdict.kind, 'protected');
    const secret = only(p, 'Secret') as SecretObject;
    assert.equal(unb64(secret.data.RESTIC_REPOSITORY), 's3:http://minio:9000/volsync/media/photos');
    const rs = source(p);
    assert.deepEqual(rs.spec.trigger, { schedule: '0 * * * *' }, 'a pinned minute stays pinned');
    assert.deepEqual(rs.spec.restic?.retain, { hourly: 24, last: '5' });
    assert.equal(rs.spec.restic?.pruneIntervalDays, 7);
    assert.equal(rs.spec.kopia, undefined);
    assert.equal(destination(p).spec.restic?.capacity, '10Gi');
  });

  const waits: { name: string; source: SourceSecretFact; message: RegExp }[] = [
    {
      name: 'missing',
      source: { state: 'not-found' },
      message: /source Secret lifeboat-system\/lifeboat-repository not found/,
    },
    {
      name: 'without a password',
      source: { state: 'found', data: { KOPIA_REPOSITORY: b64('x') } },
      message: /lacks KOPIA_PASSWORD/,
    },
    {
      name: 'without a repository',
      source: { state: 'found', data: { KOPIA_PASSWORD: b64('x') } },
      message: /lacks KOPIA_REPOSITORY/,
    },
  ];
  for (const c of waits) {
    it(`waits, keeping existing objects, when the source Secret is ${c.name}`, () => {
      const first = plan(pvcOf());
      const p = plan(pvcOf(), { source: c.source, observed: first.apply.map(observe) });
      assert.equal(p.verdict.kind, 'waiting');
      if (p.verdict.kind === 'waiting') assert.equal(p.verdict.cause, 'credentials');
      assert.match(p.verdict.event.message, c.message);
      assert.deepEqual(p.apply, []);
      assert.deepEqual(p.delete, []);
    });
  }

  it('renders only its own keys offline and says where the rest will come from', () => {
    const config = loadConfig('repository: {url: "s3://bucket/kopia"}');
    const p = plan(pvcOf(), { config, source: { state: 'not-read' } });
    const secret = only(p, 'Secret') as SecretObject;
    assert.deepEqual(Object.keys(secret.data), ['KOPIA_REPOSITORY']);
    assert.equal(unb64(secret.data.KOPIA_REPOSITORY), 's3://bucket/kopia');
    assert.match(
      p.notes.join('\n'),
      /KOPIA_PASSWORD, and any others\) will be copied from Secret lifeboat-system\/lifeboat-repository/,
    );
  });

  it('generates an ExternalSecret in external-secret mode and removes a copy-mode Secret left over', () => {
    const config = loadConfig(`
credentials:
  mode: external-secret
  storeRef: {name: 1password}
  extract: rustfs
  data: {KOPIA_PASSWORD: {key: rustfs, property: kopia_password}}
repository: {nfs: {server: nas.example.com, path: /export/volsync}}
`);
    const copied = plan(pvcOf()).apply.map(observe);
    const p = plan(pvcOf(), { config, observed: copied, source: { state: 'not-found' } });
    assert.equal(p.verdict.kind, 'protected');
    const es = only(p, 'ExternalSecret') as ExternalSecretObject;
    assert.deepEqual(es.spec, {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: '1password' },
      target: {
        name: 'photos-volsync-secret',
        creationPolicy: 'Owner',
        template: {
          engineVersion: 'v2',
          mergePolicy: 'Merge',
          data: { KOPIA_REPOSITORY: 'filesystem:///mnt/repository' },
        },
      },
      dataFrom: [{ extract: { key: 'rustfs' } }],
      data: [{ secretKey: 'KOPIA_PASSWORD', remoteRef: { key: 'rustfs', property: 'kopia_password' } }],
    });
    assert.deepEqual(p.delete, [
      { apiVersion: 'v1', kind: 'Secret', namespace: 'media', name: 'photos-volsync-secret' },
    ]);
  });
});

describe('planPvc: cluster capability', () => {
  it('refuses kopia on upstream VolSync with the fix, keeping existing objects', () => {
    const first = plan(pvcOf());
    const p = plan(pvcOf(), { cluster: { volsync: 'upstream' }, observed: first.apply.map(observe) });
    assert.equal(p.verdict.kind, 'unsupported');
    assert.match(p.verdict.event.message, /upstream VolSync .* no kopia mover: install the perfectra1n\/volsync fork/);
    assert.deepEqual(p.apply, []);
    assert.deepEqual(p.delete, []);
  });

  it('refuses external-secret mode when the CRD is known to be missing', () => {
    const config = loadConfig('credentials: {mode: external-secret, storeRef: {name: s}, extract: x}');
    const p = plan(pvcOf(), { config, cluster: { volsync: 'kopia-fork', externalSecrets: false } });
    assert.equal(p.verdict.kind, 'unsupported');
    assert.match(p.verdict.event.message, /ExternalSecret CRD/);
  });
});

describe('planPvc: database operators’ claims', () => {
  it('unlabelled: the database verdict, a Normal event saying the native backup is expected, nothing generated', () => {
    const p = plan(pvcOf({ labels: { 'cnpg.io/cluster': 'pg' } }));
    assert.deepEqual(p.verdict, {
      kind: 'database',
      operator: 'cloudnative-pg',
      event: {
        type: 'Normal',
        reason: 'NativeBackupExpected',
        message:
          'database: native backup expected (operator cloudnative-pg, label cnpg.io/cluster=pg); lifeboat makes no copy',
      },
    });
    assert.deepEqual(p.apply, []);
  });

  it('labelled: protected and generated as asked, with the DatabaseFileCopy Warning', () => {
    const p = plan(pvcOf({ labels: { 'cnpg.io/cluster': 'pg', backup: 'hourly' } }));
    assert.equal(p.verdict.kind, 'protected');
    assert.deepEqual(kinds(p), kinds(plan(pvcOf())));
    assert.deepEqual(
      p.warnings.map((w) => [w.type, w.reason]),
      [['Warning', 'DatabaseFileCopy']],
    );
  });
});

describe('planPvc: cleanup', () => {
  const live = () => plan(pvcOf()).apply.map(observe);
  const foreign: ObservedObject = {
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationSource',
    metadata: { name: 'photos-manual', namespace: 'media', labels: { 'lifeboat.dev/pvc': 'photos' } },
  };
  const otherPvc = plan(pvcOf({ name: 'videos' })).apply.map(observe);
  const all = [
    { apiVersion: 'volsync.backube/v1alpha1', kind: 'ReplicationSource', namespace: 'media', name: 'photos-backup' },
    {
      apiVersion: 'volsync.backube/v1alpha1',
      kind: 'ReplicationDestination',
      namespace: 'media',
      name: 'photos-restore',
    },
    { apiVersion: 'v1', kind: 'Secret', namespace: 'media', name: 'photos-volsync-secret' },
  ];

  const cases: {
    name: string;
    pvc: PersistentVolumeClaim;
    namespace?: Namespace;
    verdict: string;
    delete: typeof all;
  }[] = [
    {
      name: 'label removed: source, restore point and Secret go',
      pvc: pvcOf({ labels: {} }),
      verdict: 'unlabelled',
      delete: all,
    },
    {
      name: 'exempt with a reason: treated like label removal',
      pvc: pvcOf({
        labels: { 'backup-exempt': 'true' },
        annotations: { 'lifeboat.dev/backup-exempt-reason': 'cache' },
      }),
      verdict: 'exempt',
      delete: all,
    },
    {
      name: 'backup label removed from a database operator’s claim: treated like label removal',
      pvc: pvcOf({ labels: { 'cnpg.io/cluster': 'pg' } }),
      verdict: 'database',
      delete: all,
    },
    {
      name: 'exempt without a reason: nothing deleted',
      pvc: pvcOf({ labels: { 'backup-exempt': 'true' } }),
      verdict: 'invalid',
      delete: [],
    },
    {
      name: 'unknown tier: nothing deleted',
      pvc: pvcOf({ labels: { backup: 'weekyl' } }),
      verdict: 'invalid',
      delete: [],
    },
    {
      name: 'namespace opted out: nothing deleted',
      pvc: pvcOf(),
      namespace: { metadata: { name: 'media' } },
      verdict: 'not-opted-in',
      delete: [],
    },
    {
      name: 'label removed while the PVC waits to be restored: the restore point and its Secret stay',
      pvc: pvcOf({
        labels: {},
        phase: 'Pending',
        dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 'photos-restore' },
      }),
      verdict: 'unlabelled',
      delete: all.slice(0, 1),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(c.pvc, {
        observed: [...live(), foreign, ...otherPvc],
        ...(c.namespace && { namespace: c.namespace }),
      });
      assert.equal(p.verdict.kind, c.verdict);
      assert.deepEqual(p.apply, []);
      assert.deepEqual(p.delete, c.delete);
    });
  }

  it('does nothing in a system namespace', () => {
    const pvc = { ...pvcOf({ labels: {} }), metadata: { ...pvcOf().metadata, namespace: 'kube-system', labels: {} } };
    const p = plan(pvc, {
      observed: live().map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'kube-system' } })),
    });
    assert.equal(p.verdict.kind, 'excluded');
    assert.deepEqual(p.delete, []);
  });

  it('replaces objects whose names came from an earlier naming template', () => {
    const p = plan(pvcOf(), { config: loadConfig('naming: {replicationDestination: "{pvc}-dst"}'), observed: live() });
    assert.deepEqual(p.delete, [all[1]]);
    assert.ok(kinds(p).includes('ReplicationDestination/photos-dst'));
  });

  it("external-secret mode: the Secret ESO writes (labels copied from the ExternalSecret) is never lifeboat's to delete", () => {
    const config = loadConfig('credentials: {mode: external-secret, storeRef: {name: vault}, extract: k}');
    const generated = plan(pvcOf(), { config }).apply.map(observe);
    const externalSecret = generated.find((o) => o.kind === 'ExternalSecret');
    assert.ok(externalSecret, 'external-secret mode generates an ExternalSecret');
    const written: ObservedObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        ...externalSecret.metadata,
        ownerReferences: [{ kind: 'ExternalSecret', name: externalSecret.metadata.name, uid: 'es-uid' }],
      },
    };
    assert.deepEqual(plan(pvcOf(), { config, observed: [...generated, written] }).delete, []);
    // Label removed: the ExternalSecret goes (and ESO's Secret with it); the Secret itself is not deleted by lifeboat.
    const gone = plan(pvcOf({ labels: {} }), { config, observed: [...generated, written] }).delete;
    assert.deepEqual(
      gone.map((r) => r.kind),
      ['ReplicationSource', 'ReplicationDestination', 'ExternalSecret'],
    );
  });

  it('on PVC deletion removes only the source; the restore point and Secret stay for a recreated PVC', () => {
    assert.deepEqual(planPvcDeleted('media', 'photos', [...live(), foreign, ...otherPvc]), all.slice(0, 1));
  });
});
