import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/load.ts';
import { classifyPvc } from './classify.ts';
import { recogniseDatabase, withDatabase } from './database.ts';
import type { Namespace, ObjectMeta, OwnerReference, PersistentVolumeClaim } from './resources.ts';
import type { DatabaseMatch, IntentResult } from './types.ts';

const defaults = loadConfig('').databases;
const cnpgOwner: OwnerReference = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  name: 'pg-main',
  uid: '5f0e3c1a-0000-4000-8000-000000000001',
  controller: true,
};

describe('recogniseDatabase (default operators, as each operator labels or owns its claims)', () => {
  const cases: { name: string; meta: Pick<ObjectMeta, 'labels' | 'ownerReferences'>; match?: DatabaseMatch }[] = [
    {
      name: 'CloudNativePG: ownerReference to its Cluster (any version)',
      meta: { ownerReferences: [cnpgOwner] },
      match: { operator: 'cloudnative-pg', evidence: 'ownerReference postgresql.cnpg.io/v1 Cluster pg-main' },
    },
    {
      name: 'CloudNativePG: the ownerReference wins over the labels it also writes',
      meta: { ownerReferences: [cnpgOwner], labels: { 'cnpg.io/cluster': 'pg-main', 'cnpg.io/pvcRole': 'PG_DATA' } },
      match: { operator: 'cloudnative-pg', evidence: 'ownerReference postgresql.cnpg.io/v1 Cluster pg-main' },
    },
    {
      name: 'CloudNativePG: cnpg.io/cluster alone (owner stripped by a restore from a manifest)',
      meta: { labels: { 'cnpg.io/cluster': 'pg-main' } },
      match: { operator: 'cloudnative-pg', evidence: 'label cnpg.io/cluster=pg-main' },
    },
    {
      name: 'Crunchy PGO: ownerReference to its PostgresCluster',
      meta: {
        ownerReferences: [
          { apiVersion: 'postgres-operator.crunchydata.com/v1beta1', kind: 'PostgresCluster', name: 'hippo' },
        ],
      },
      match: {
        operator: 'crunchy-pgo',
        evidence: 'ownerReference postgres-operator.crunchydata.com/v1beta1 PostgresCluster hippo',
      },
    },
    {
      name: 'Crunchy PGO labels (also the Percona PostgreSQL fork, which sets no owner)',
      meta: {
        labels: {
          'postgres-operator.crunchydata.com/cluster': 'hippo',
          'postgres-operator.crunchydata.com/data': 'postgres',
        },
      },
      match: { operator: 'crunchy-pgo', evidence: 'label postgres-operator.crunchydata.com/cluster=hippo' },
    },
    {
      name: 'Zalando: application=spilo from the StatefulSet selector',
      meta: { labels: { application: 'spilo', 'cluster-name': 'acid-minimal', team: 'acid' } },
      match: { operator: 'zalando-postgres-operator', evidence: 'label application=spilo' },
    },
    {
      name: 'Zalando key with another value: not a match',
      meta: { labels: { application: 'web' } },
    },
    {
      name: 'MariaDB operator: pvc.k8s.mariadb.com/role',
      meta: { labels: { 'pvc.k8s.mariadb.com/role': 'storage', 'app.kubernetes.io/name': 'mariadb' } },
      match: { operator: 'mariadb-operator', evidence: 'label pvc.k8s.mariadb.com/role=storage' },
    },
    {
      name: 'Oracle MySQL operator: mysql.oracle.com/cluster',
      meta: { labels: { 'mysql.oracle.com/cluster': 'mycluster', component: 'mysqld', tier: 'mysql' } },
      match: { operator: 'mysql-operator', evidence: 'label mysql.oracle.com/cluster=mycluster' },
    },
    {
      name: 'Percona XtraDB Cluster: managed-by',
      meta: { labels: { 'app.kubernetes.io/managed-by': 'percona-xtradb-cluster-operator' } },
      match: {
        operator: 'percona-xtradb-cluster',
        evidence: 'label app.kubernetes.io/managed-by=percona-xtradb-cluster-operator',
      },
    },
    {
      name: 'Percona Server for MySQL: managed-by',
      meta: { labels: { 'app.kubernetes.io/managed-by': 'percona-server-mysql-operator' } },
      match: {
        operator: 'percona-server-mysql',
        evidence: 'label app.kubernetes.io/managed-by=percona-server-mysql-operator',
      },
    },
    {
      name: 'a Helm chart database (managed-by Helm): not an operator, not a match',
      meta: { labels: { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'postgresql' } },
    },
    {
      name: 'a kind of the same name in another group: not a match',
      meta: { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Cluster', name: 'c' }] },
    },
    {
      name: 'a StatefulSet owner alone: not a match (every StatefulSet claim has one)',
      meta: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' }] },
    },
    { name: 'no labels, no owners', meta: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(recogniseDatabase(c.meta, defaults), c.match);
    });
  }

  it('an empty list recognises nothing; a configured list recognises only what it names', () => {
    assert.equal(recogniseDatabase({ ownerReferences: [cnpgOwner] }, loadConfig('databases: {}').databases), undefined);
    const custom = loadConfig('databases:\n  in-house:\n    owners: [db.example.com/Database]\n').databases;
    assert.equal(recogniseDatabase({ labels: { 'cnpg.io/cluster': 'x' } }, custom), undefined);
    assert.deepEqual(
      recogniseDatabase(
        { ownerReferences: [{ apiVersion: 'db.example.com/v2', kind: 'Database', name: 'd' }] },
        custom,
      ),
      { operator: 'in-house', evidence: 'ownerReference db.example.com/v2 Database d' },
    );
  });
});

describe('withDatabase: the verdict of a database operator’s claim', () => {
  const keys = loadConfig('').keys;
  const match: DatabaseMatch = { operator: 'cloudnative-pg', evidence: 'label cnpg.io/cluster=pg' };
  const nearMiss = { reason: 'NearMissKey' as const, message: 'near miss' };
  const cases: { name: string; given: IntentResult; match?: DatabaseMatch; expect: IntentResult }[] = [
    {
      name: 'unlabelled → database (native backup expected)',
      given: { intent: { kind: 'unlabelled' }, warnings: [] },
      match,
      expect: { intent: { kind: 'database', database: match }, warnings: [], database: match },
    },
    {
      name: 'exempt stays exempt (the reason already says why)',
      given: { intent: { kind: 'exempt', reason: 'database-native' }, warnings: [] },
      match,
      expect: { intent: { kind: 'exempt', reason: 'database-native' }, warnings: [], database: match },
    },
    {
      name: 'invalid stays invalid (its fix comes first)',
      given: { intent: { kind: 'invalid', reason: 'UnknownTier', message: 'm' }, warnings: [nearMiss] },
      match,
      expect: {
        intent: { kind: 'invalid', reason: 'UnknownTier', message: 'm' },
        warnings: [nearMiss],
        database: match,
      },
    },
    {
      name: 'not opted in stays so, without the file-copy warning (nothing is copied)',
      given: { intent: { kind: 'not-opted-in', tier: 'daily', message: 'm' }, warnings: [] },
      match,
      expect: { intent: { kind: 'not-opted-in', tier: 'daily', message: 'm' }, warnings: [], database: match },
    },
    {
      name: 'excluded namespace: lifeboat never touches it, not even to name its operator',
      given: { intent: { kind: 'excluded', message: 'm' }, warnings: [] },
      match,
      expect: { intent: { kind: 'excluded', message: 'm' }, warnings: [] },
    },
    {
      name: 'no operator: unchanged',
      given: { intent: { kind: 'unlabelled' }, warnings: [] },
      expect: { intent: { kind: 'unlabelled' }, warnings: [] },
    },
    {
      name: 'no operator, protected: unchanged, no warning',
      given: { intent: { kind: 'protected', tier: 'daily' }, warnings: [nearMiss] },
      expect: { intent: { kind: 'protected', tier: 'daily' }, warnings: [nearMiss] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(withDatabase(c.given, c.match, keys), c.expect);
    });
  }

  it('protected stays protected, with a DatabaseFileCopy warning that suggests the exemption with a reason', () => {
    const result = withDatabase({ intent: { kind: 'protected', tier: 'daily' }, warnings: [nearMiss] }, match, keys);
    assert.deepEqual(result.intent, { kind: 'protected', tier: 'daily' });
    assert.deepEqual(result.database, match);
    assert.deepEqual(result.warnings[0], nearMiss);
    assert.equal(result.warnings[1]?.reason, 'DatabaseFileCopy');
    const message = result.warnings[1]?.message ?? '';
    assert.match(message, /cloudnative-pg made this PVC \(label cnpg\.io\/cluster=pg\)/);
    assert.match(message, /crash-consistent at best/);
    assert.match(
      message,
      /backup-exempt: "true" and the annotation lifeboat\.dev\/backup-exempt-reason: database-native/,
    );
  });
});

describe('classifyPvc with database operators', () => {
  const config = loadConfig('namespace: lifeboat');
  const optedIn: Namespace = { metadata: { name: 'db', annotations: { 'volsync.backube/privileged-movers': 'true' } } };
  const claim = (labels: Record<string, string>, annotations: Record<string, string> = {}): PersistentVolumeClaim => ({
    metadata: { name: 'pg-main-1', namespace: 'db', labels, annotations, ownerReferences: [cnpgOwner] },
  });

  it('unlabelled CloudNativePG claim: database', () => {
    assert.deepEqual(classifyPvc(claim({ 'cnpg.io/cluster': 'pg-main' }), optedIn, config).intent, {
      kind: 'database',
      database: { operator: 'cloudnative-pg', evidence: 'ownerReference postgresql.cnpg.io/v1 Cluster pg-main' },
    });
  });

  it('labelled: protected, and the warning names the configured keys', () => {
    const custom = loadConfig('keys: { backupLabel: lifeboat.dev/tier, exemptLabel: lifeboat.dev/no-backup }');
    const result = classifyPvc(claim({ 'lifeboat.dev/tier': 'daily' }), optedIn, custom);
    assert.deepEqual(result.intent, { kind: 'protected', tier: 'daily' });
    assert.deepEqual(
      result.warnings.map((w) => w.reason),
      ['DatabaseFileCopy'],
    );
    assert.match(
      result.warnings[0]?.message ?? '',
      /replace lifeboat\.dev\/tier with lifeboat\.dev\/no-backup: "true"/,
    );
  });

  it('exempt with the suggested reason: exempt, no warning', () => {
    const result = classifyPvc(
      claim({ 'backup-exempt': 'true' }, { 'lifeboat.dev/backup-exempt-reason': 'database-native' }),
      optedIn,
      config,
    );
    assert.deepEqual(result.intent, { kind: 'exempt', reason: 'database-native' });
    assert.deepEqual(result.warnings, []);
  });

  it('in an excluded namespace: excluded, no operator named', () => {
    const result = classifyPvc({ metadata: { ...claim({}).metadata, namespace: 'kube-system' } }, undefined, config);
    assert.equal(result.intent.kind, 'excluded');
    assert.equal(result.database, undefined);
  });
});
