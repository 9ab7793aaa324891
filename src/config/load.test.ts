import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG, DEFAULT_DATABASES, DEFAULT_EXCLUDED_NAMESPACES } from './defaults.ts';
import { ConfigError, type ConfigIssue } from './issues.ts';
import { loadConfig } from './load.ts';

function issuesOf(yaml: string): ConfigIssue[] {
  try {
    loadConfig(yaml, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail('expected the config to be rejected');
}

function issueAt(yaml: string, path: string): ConfigIssue {
  const issues = issuesOf(yaml);
  const issue = issues.find((i) => i.path === path);
  assert.ok(issue, `no issue at ${path}; got ${issues.map((i) => `${i.path}: ${i.problem}`).join(' | ')}`);
  return issue;
}

describe('loadConfig defaults', () => {
  it('returns the documented defaults for an empty file', () => {
    const config = loadConfig('');
    assert.deepEqual(config, DEFAULT_CONFIG);
    assert.deepEqual(config.tiers.hourly, { trigger: { schedule: 'H * * * *' }, retain: { hourly: 24, daily: 7 } });
    assert.deepEqual(config.tiers.daily, { trigger: { schedule: 'H 2 * * *' }, retain: { daily: 14 } });
    assert.deepEqual(config.tiers.manual?.trigger, { manual: 'backup-on-demand' });
    assert.equal(config.minPvcAge, 2 * 3_600_000);
    assert.equal(config.sweeps.cleanup, 15 * 60_000);
    assert.equal(config.catalog.staleAfter, 5 * 60_000);
    assert.equal(config.catalog.refreshInterval, 60_000);
    assert.deepEqual(config.mover.moverSecurityContext, { runAsUser: 568, runAsGroup: 568, fsGroup: 568 });
    assert.deepEqual(config.namespaces.excluded, DEFAULT_EXCLUDED_NAMESPACES);
  });

  it('returns a fresh copy each time, so callers cannot change the defaults', () => {
    const a = loadConfig('');
    a.tiers.hourly = { trigger: { manual: 'x' }, retain: { last: 1 } };
    a.namespaces.excluded.push('mine');
    const b = loadConfig('');
    assert.deepEqual(b.tiers.hourly?.trigger, { schedule: 'H * * * *' });
    assert.ok(!b.namespaces.excluded.includes('mine'));
  });

  it('reads the restore-point sync settings, each defaulting on its own', () => {
    assert.deepEqual(loadConfig('').restore.sync, {
      enabled: true,
      interval: 15 * 60_000,
      concurrency: 2,
      perRepository: 1,
      timeout: 2 * 3_600_000,
    });
    const config = loadConfig('restore: {sync: {interval: 1h, perRepository: 3, enabled: false}}');
    assert.deepEqual(config.restore.sync, {
      enabled: false,
      interval: 3_600_000,
      concurrency: 2,
      perRepository: 3,
      timeout: 2 * 3_600_000,
    });
    assert.equal(config.restore.initialTrigger, 'restore-once');
  });

  it('overrides single fields and keeps the rest', () => {
    const config = loadConfig(`
namespace: backup
minPvcAge: 30m
mover:
  cacheCapacity: 5Gi
  volumeSnapshotClassName: longhorn-snapclass
  volumeSnapshotClassByStorageClass:
    ceph.rbd: rbd-snapclass
`);
    assert.equal(config.namespace, 'backup');
    assert.equal(config.minPvcAge, 30 * 60_000);
    assert.equal(config.mover.cacheCapacity, '5Gi');
    assert.equal(config.mover.volumeSnapshotClassName, 'longhorn-snapclass');
    assert.deepEqual(config.mover.volumeSnapshotClassByStorageClass, { 'ceph.rbd': 'rbd-snapclass' });
    assert.equal(config.mover.kopia.compression, 'zstd-fastest');
    // The copy-mode source Secret follows lifeboat's namespace unless set.
    assert.deepEqual(config.credentials, {
      mode: 'copy',
      secretRef: { namespace: 'backup', name: 'lifeboat-repository' },
    });
  });

  it('replaces the whole tier set when tiers are written', () => {
    const config = loadConfig(`
tiers:
  critical:
    trigger: {schedule: "H */4 * * *"}
    retain: {hourly: 12, daily: 30, last: 3}
`);
    assert.deepEqual(Object.keys(config.tiers), ['critical']);
    assert.deepEqual(config.tiers.critical?.retain, { hourly: 12, daily: 30, last: 3 });
  });

  it('reads a restic repository and an external-secret credentials block', () => {
    const config = loadConfig(`
repository:
  backend: restic
  url: s3:http://minio:9000/volsync/{namespace}/{pvc}
credentials:
  mode: external-secret
  storeRef: {name: 1password}
  refreshInterval: 30m
  extract: rustfs
  data:
    RESTIC_PASSWORD: {key: rustfs, property: restic_password}
`);
    assert.equal(config.repository.backend, 'restic');
    assert.deepEqual(config.credentials, {
      mode: 'external-secret',
      storeRef: { kind: 'ClusterSecretStore', name: '1password' },
      refreshInterval: 30 * 60_000,
      extract: 'rustfs',
      data: { RESTIC_PASSWORD: { key: 'rustfs', property: 'restic_password' } },
    });
  });

  it('reads the expected repository ID (lower-cased) and the first-installation flag', () => {
    const id = 'AB'.repeat(32);
    assert.equal(loadConfig(`repository: {expectedId: "${id}"}`).repository.expectedId, id.toLowerCase());
    assert.equal(loadConfig('repository: {firstInstall: true}').repository.firstInstall, true);
    assert.equal(loadConfig('{}').repository.firstInstall, false);
  });

  it('reads an NFS repository volume with the default mount name', () => {
    const config = loadConfig('repository: {nfs: {server: nas.example.com, path: /export/volsync}}');
    assert.deepEqual(config.repository.nfs, {
      server: 'nas.example.com',
      path: '/export/volsync',
      mountPath: 'repository',
    });
  });

  it('accepts a catalog.location of the form the mover writes', () => {
    for (const [yaml, location] of [
      ['catalog: {location: "filesystem:///srv/kopia"}', 'filesystem:///srv/kopia'],
      [
        'repository: {backend: restic, url: "s3:http://b/{namespace}/{pvc}"}\ncatalog: {location: "/mnt/restic/{namespace}/{pvc}"}',
        '/mnt/restic/{namespace}/{pvc}',
      ],
    ] as const) {
      assert.equal(loadConfig(yaml).catalog.location, location);
    }
  });

  it('accepts its own apiVersion and kind', () => {
    assert.equal(loadConfig('apiVersion: lifeboat.dev/v1alpha1\nkind: LifeboatConfig\n').namespace, 'lifeboat-system');
  });
});

describe('loadConfig validation', () => {
  const cases: { name: string; yaml: string; path: string; problem: RegExp; fix?: RegExp }[] = [
    {
      name: 'unknown key with a suggestion',
      yaml: 'namespce: x',
      path: 'namespce',
      problem: /not a known setting/,
      fix: /did you mean `namespace`/,
    },
    {
      name: 'bad namespace',
      yaml: 'namespace: Lifeboat',
      path: 'namespace',
      problem: /not a valid namespace-style name/,
    },
    { name: 'duration without unit', yaml: 'minPvcAge: 7200', path: 'minPvcAge', problem: /not a duration/, fix: /2h/ },
    {
      name: 'zero sweep interval',
      yaml: 'sweeps: {cleanup: 0s}',
      path: 'sweeps.cleanup',
      problem: /shorter than the minimum of 1s/,
    },
    {
      name: 'schedule with 3 fields',
      yaml: 'tiers: {hourly: {trigger: {schedule: "H * *"}, retain: {hourly: 1}}}',
      path: 'tiers.hourly.trigger.schedule',
      problem: /3 fields/,
    },
    {
      name: 'both triggers',
      yaml: 'tiers: {t: {trigger: {schedule: "H * * * *", manual: x}, retain: {daily: 1}}}',
      path: 'tiers.t.trigger',
      problem: /both schedule and manual/,
    },
    {
      name: 'no trigger',
      yaml: 'tiers: {t: {retain: {daily: 1}}}',
      path: 'tiers.t.trigger',
      problem: /syncs continuously/,
    },
    {
      name: 'empty retention',
      yaml: 'tiers: {t: {trigger: {manual: x}, retain: {}}}',
      path: 'tiers.t.retain',
      problem: /keeps nothing/,
    },
    {
      name: 'retention of zero',
      yaml: 'tiers: {t: {trigger: {manual: x}, retain: {daily: 0}}}',
      path: 'tiers.t.retain.daily',
      problem: /whole number/,
      fix: /at least 1/,
    },
    {
      name: 'tier name not a label value',
      yaml: 'tiers: {"every hour": {trigger: {manual: x}, retain: {last: 1}}}',
      path: 'tiers["every hour"]',
      problem: /cannot be a label value/,
    },
    { name: 'no tiers', yaml: 'tiers: {}', path: 'tiers', problem: /no PVC could be protected/ },
    {
      name: 'restic without url',
      yaml: 'repository: {backend: restic}',
      path: 'repository.url',
      problem: /required for restic/,
    },
    {
      name: 'restic url shared by PVCs',
      yaml: 'repository: {backend: restic, url: "s3:http://minio:9000/volsync/{namespace}"}',
      path: 'repository.url',
      problem: /does not contain \{pvc\}/,
    },
    {
      name: 'kopia url the movers cannot connect to (a bare path)',
      yaml: 'repository: {backend: kopia, url: /srv/kopia}',
      path: 'repository.url',
      problem: /"\/srv\/kopia" is not a kopia repository URL the movers accept/,
      fix: /filesystem:\/\/\/path/,
    },
    {
      name: 'kopia url per namespace (the catalog reads one shared kopia repository)',
      yaml: 'repository: {backend: kopia, url: "s3://volsync/{namespace}", identity: "{pvc}@cluster:/data"}',
      path: 'repository.url',
      problem: /"s3:\/\/volsync\/\{namespace\}" has placeholders, but all PVCs share one kopia repository/,
      fix: /without placeholders.*repository\.identity tells the PVCs apart/,
    },
    {
      name: 'kopia catalog.location with placeholders (read literally: an empty prefix)',
      yaml: 'repository: {backend: kopia, url: "s3://volsync/kopia"}\ncatalog: {location: "s3://volsync/{pvc}"}',
      path: 'catalog.location',
      problem: /"s3:\/\/volsync\/\{pvc\}" has placeholders.*where lifeboat reads what the movers write/,
      fix: /leave catalog.location out to read repository.url/,
    },
    {
      name: 'kopia catalog.location lifeboat cannot read (a bare path)',
      yaml: 'catalog: {location: /mnt/kopia}',
      path: 'catalog.location',
      problem: /"\/mnt\/kopia" is not a kopia repository URL/,
      fix: /filesystem:\/\/\/path/,
    },
    {
      name: 'restic catalog.location without {pvc} (no PVC repository could be found)',
      yaml: 'repository: {backend: restic, url: "s3:http://b/{namespace}/{pvc}"}\ncatalog: {location: "/mnt/restic/{namespace}"}',
      path: 'catalog.location',
      problem: /"\/mnt\/restic\/\{namespace\}" does not contain \{pvc\}/,
      fix: /s3:http:\/\/minio:9000\/volsync\/\{namespace\}\/\{pvc\}/,
    },
    {
      name: 'unknown placeholder',
      yaml: 'repository: {backend: restic, url: "s3:http://b/{namespace}/{pvc}/{cluster}"}',
      path: 'repository.url',
      problem: /unknown placeholder \{cluster\}/,
    },
    {
      name: 'unknown backend',
      yaml: 'repository: {backend: kopa}',
      path: 'repository.backend',
      problem: /not one of kopia, restic/,
      fix: /did you mean `kopia`/,
    },
    {
      name: 'identity with another path',
      yaml: 'repository: {identity: "{pvc}@{namespace}:/backup"}',
      path: 'repository.identity',
      problem: /differs from \/data/,
    },
    {
      name: 'identity without {pvc}',
      yaml: 'repository: {identity: "app@{namespace}:/data"}',
      path: 'repository.identity',
      problem: /does not contain \{pvc\}/,
    },
    {
      name: 'identity shared across namespaces',
      yaml: 'repository: {identity: "{pvc}@cluster:/data"}',
      path: 'repository.identity',
      problem: /lacks \{namespace\}/,
    },
    {
      name: 'identity that kopia rejects',
      yaml: 'repository: {identity: "{pvc}-@{namespace}:/data"}',
      path: 'repository.identity',
      problem: /kopia identities do not allow/,
    },
    {
      name: 'expectedId that is not an ID',
      yaml: 'repository: {expectedId: staging}',
      path: 'repository.expectedId',
      problem: /not a repository ID/,
      fix: /lifeboat catalog/,
    },
    {
      name: 'firstInstall together with expectedId',
      yaml: `repository: {firstInstall: true, expectedId: ${'a'.repeat(64)}}`,
      path: 'repository.firstInstall',
      problem: /contradicts expectedId/,
    },
    {
      name: 'firstInstall with restic',
      yaml: 'repository: {backend: restic, url: "/mnt/b/{namespace}/{pvc}", firstInstall: true}',
      path: 'repository.firstInstall',
      problem: /kopia only/,
    },
    {
      name: 'firstInstall not a boolean',
      yaml: 'repository: {firstInstall: "yes"}',
      path: 'repository.firstInstall',
      problem: /expected true or false/,
    },
    {
      name: 'relative NFS path',
      yaml: 'repository: {nfs: {server: nas, path: export}}',
      path: 'repository.nfs.path',
      problem: /not absolute/,
    },
    {
      name: 'NFS without server',
      yaml: 'repository: {nfs: {path: /export}}',
      path: 'repository.nfs.server',
      problem: /missing/,
    },
    {
      name: 'root mover',
      yaml: 'mover: {moverSecurityContext: {runAsUser: 0}}',
      path: 'mover.moverSecurityContext.runAsUser',
      problem: /root/,
    },
    {
      name: 'unknown kopia compression',
      yaml: 'mover: {kopia: {compression: zstd-fastes}}',
      path: 'mover.kopia.compression',
      problem: /did you mean zstd-fastest/,
    },
    {
      name: 'deprecated kopia compression',
      yaml: 'mover: {kopia: {compression: lz4}}',
      path: 'mover.kopia.compression',
      problem: /not a kopia compression/,
    },
    {
      name: 'bad cache capacity',
      yaml: 'mover: {cacheCapacity: 2GB}',
      path: 'mover.cacheCapacity',
      problem: /quantity/,
      fix: /2Gi/,
    },
    {
      name: 'bad snapshot class in map',
      yaml: 'mover: {volumeSnapshotClassByStorageClass: {longhorn: Snap_Class}}',
      path: 'mover.volumeSnapshotClassByStorageClass.longhorn',
      problem: /not a valid Kubernetes object name/,
    },
    {
      name: 'name template without {pvc}',
      yaml: 'naming: {secret: volsync-secret}',
      path: 'naming.secret',
      problem: /does not contain \{pvc\}/,
    },
    {
      name: 'name template rendering invalid',
      yaml: 'naming: {replicationSource: "{pvc}_backup"}',
      path: 'naming.replicationSource',
      problem: /not a valid Kubernetes object name/,
    },
    {
      name: 'same label for backup and exempt',
      yaml: 'keys: {exemptLabel: backup}',
      path: 'keys.exemptLabel',
      problem: /same key as backupLabel/,
    },
    {
      name: 'invalid label key',
      yaml: 'keys: {backupLabel: "back up"}',
      path: 'keys.backupLabel',
      problem: /not a valid label or annotation key/,
    },
    {
      name: 'excluded namespace not a name',
      yaml: 'namespaces: {excluded: [kube-system, "Bad NS"]}',
      path: 'namespaces.excluded[1]',
      problem: /not a valid namespace-style name/,
    },
    {
      name: 'copy mode with store fields',
      yaml: 'credentials: {mode: copy, extract: x}',
      path: 'credentials.extract',
      problem: /not used in mode copy/,
    },
    {
      name: 'external-secret mode reading nothing',
      yaml: 'credentials: {mode: external-secret, storeRef: {name: s}}',
      path: 'credentials',
      problem: /reads nothing/,
    },
    {
      name: 'external-secret without store',
      yaml: 'credentials: {mode: external-secret, extract: x}',
      path: 'credentials.storeRef.name',
      problem: /missing/,
    },
    {
      name: 'external-secret data without key',
      yaml: 'credentials: {mode: external-secret, storeRef: {name: s}, data: {KOPIA_PASSWORD: {property: p}}}',
      path: 'credentials.data.KOPIA_PASSWORD.key',
      problem: /missing/,
    },
    { name: 'wrong kind', yaml: 'kind: ConfigMap', path: 'kind', problem: /"ConfigMap"/, fix: /LifeboatConfig/ },
    { name: 'list instead of mapping', yaml: 'mover: [a]', path: 'mover', problem: /expected a mapping/ },
    {
      name: 'string instead of number',
      yaml: 'massDeletionGuard: {threshold: "ten"}',
      path: 'massDeletionGuard.threshold',
      problem: /whole number/,
    },
    {
      name: 'a restore-point sync interval below a minute',
      yaml: 'restore: {sync: {interval: 10s}}',
      path: 'restore.sync.interval',
      problem: /"10s", shorter than the minimum of 1m/,
      fix: /at least 1m/,
    },
    {
      name: 'no restore-point sync allowed at once',
      yaml: 'restore: {sync: {concurrency: 0}}',
      path: 'restore.sync.concurrency',
      problem: /is 0, expected a whole number at least 1/,
    },
    {
      name: 'an unknown restore-point sync setting',
      yaml: 'restore: {sync: {intervall: 5m}}',
      path: 'restore.sync.intervall',
      problem: /not a known setting/,
      fix: /interval/,
    },
    {
      name: 'string instead of boolean',
      yaml: 'restore: {cleanupTempPVC: "yes"}',
      path: 'restore.cleanupTempPVC',
      problem: /true or false/,
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const issue = issueAt(c.yaml, c.path);
      assert.match(issue.problem, c.problem);
      if (c.fix) assert.match(issue.fix, c.fix);
      assert.notEqual(issue.fix, '', 'every issue says how to fix it');
    });
  }

  it('reports every problem at once, with the file name', () => {
    try {
      loadConfig('namespace: X\nminPvcAge: soon\nmover: {cacheCapacity: lots}\n', 'lifeboat.yaml');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(
        error.issues.map((i) => i.path),
        ['namespace', 'mover.cacheCapacity', 'minPvcAge'],
      );
      assert.match(error.message, /^invalid lifeboat config lifeboat\.yaml: 3 problems\n {2}- namespace: /);
    }
  });

  it('reports YAML syntax errors with their position', () => {
    const issue = issuesOf('tiers:\n  hourly: {trigger: [\n')[0];
    assert.ok(issue);
    assert.match(issue.path, /^line \d+, column \d+$/);
    assert.match(issue.fix, /YAML syntax/);
  });

  it('rejects duplicate keys instead of silently taking the last', () => {
    const issue = issuesOf('namespace: a\nnamespace: b\n')[0];
    assert.match(issue?.problem ?? '', /unique|duplicate/i);
  });
});

describe('config: databases', () => {
  it('defaults to the operators lifeboat knows, each with at least one owner kind or label', () => {
    const databases = loadConfig('').databases;
    assert.deepEqual(databases, DEFAULT_DATABASES);
    assert.deepEqual(Object.keys(databases), [
      'cloudnative-pg',
      'crunchy-pgo',
      'zalando-postgres-operator',
      'mariadb-operator',
      'mysql-operator',
      'percona-xtradb-cluster',
      'percona-server-mysql',
    ]);
    for (const [name, d] of Object.entries(databases)) {
      assert.ok(d.owners.length + d.labels.length > 0, name);
    }
  });

  it('writing databases replaces the defaults; {} recognises none', () => {
    assert.deepEqual(loadConfig('databases: {}').databases, {});
    assert.deepEqual(
      loadConfig(
        'databases:\n  in-house:\n    owners: [db.example.com/Database, acid.zalan.do/postgresql]\n    labels: [db.example.com/instance, role=db]\n',
      ).databases,
      {
        'in-house': {
          owners: [
            { group: 'db.example.com', kind: 'Database' },
            { group: 'acid.zalan.do', kind: 'postgresql' },
          ],
          labels: [{ key: 'db.example.com/instance' }, { key: 'role', value: 'db' }],
        },
      },
    );
  });

  it('the default is a copy: changing a loaded config does not change the next one', () => {
    const a = loadConfig('');
    a.databases['cloudnative-pg']?.labels.push({ key: 'x' });
    assert.deepEqual(loadConfig('').databases['cloudnative-pg']?.labels, [{ key: 'cnpg.io/cluster' }]);
  });

  const cases: { name: string; yaml: string; path: string; problem: RegExp; fix: RegExp }[] = [
    {
      name: 'an owner with a version',
      yaml: 'databases: { pg: { owners: [postgresql.cnpg.io/v1/Cluster] } }',
      path: 'databases.pg.owners[0]',
      problem: /names a version/,
      fix: /without the version, e\.g\. postgresql\.cnpg\.io\/Cluster/,
    },
    {
      name: 'an owner that is only an apiVersion',
      yaml: 'databases: { pg: { owners: [postgresql.cnpg.io/v1] } }',
      path: 'databases.pg.owners[0]',
      problem: /names a version/,
      fix: /API group and kind/,
    },
    {
      name: 'an owner without a group',
      yaml: 'databases: { pg: { owners: [Cluster] } }',
      path: 'databases.pg.owners[0]',
      problem: /"Cluster" is not of the form <apiGroup>\/<Kind>/,
      fix: /postgresql\.cnpg\.io\/Cluster/,
    },
    {
      name: 'a label key that Kubernetes rejects',
      yaml: 'databases: { pg: { labels: ["cnpg io/cluster"] } }',
      path: 'databases.pg.labels[0]',
      problem: /"cnpg io\/cluster" is not a valid label key/,
      fix: /key=value, e\.g\. application=spilo/,
    },
    {
      name: 'a label with an empty value',
      yaml: 'databases: { pg: { labels: ["application="] } }',
      path: 'databases.pg.labels[0]',
      problem: /not a non-empty label value/,
      fix: /write a label key/,
    },
    {
      name: 'an operator that recognises nothing',
      yaml: 'databases: { pg: {} }',
      path: 'databases.pg',
      problem: /lists neither owners nor labels/,
      fix: /add owners: \[<apiGroup>\/<Kind>\] or labels: \[<key>\], or remove databases\.pg/,
    },
    {
      name: 'a misspelt key',
      yaml: 'databases: { pg: { owner: [postgresql.cnpg.io/Cluster] } }',
      path: 'databases.pg.owner',
      problem: /is not a known setting/,
      fix: /did you mean `owners`\?/,
    },
    {
      name: 'an operator name that is not a DNS label',
      yaml: 'databases: { Cloud_PG: { labels: [cnpg.io/cluster] } }',
      path: 'databases.Cloud_PG',
      problem: /operator name "Cloud_PG" is not a valid namespace-style name/,
      fix: /lowercase letters/,
    },
    {
      name: 'a list instead of a mapping',
      yaml: 'databases: [cloudnative-pg]',
      path: 'databases',
      problem: /expected a mapping/,
      fix: /name: value pairs/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const issue = issueAt(c.yaml, c.path);
      assert.match(issue.problem, c.problem);
      assert.match(issue.fix, c.fix);
    });
  }
});
