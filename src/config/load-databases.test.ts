import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DATABASES } from './defaults.ts';
import { ConfigError, type ConfigIssue } from './issues.ts';
import { loadConfig } from './load.ts';

function rejected(yaml: string): ConfigIssue[] {
  try {
    loadConfig(yaml, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail('expected the config to be rejected');
}

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
      const issue = rejected(c.yaml).find((i) => i.path === c.path);
      assert.ok(issue, `no issue at ${c.path}: ${JSON.stringify(rejected(c.yaml))}`);
      assert.match(issue.problem, c.problem);
      assert.match(issue.fix, c.fix);
    });
  }
});
