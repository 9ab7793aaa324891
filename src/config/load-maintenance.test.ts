import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

describe('config: repository.maintenance', () => {
  it('defaults to a daily full maintenance at 04:30', () => {
    assert.deepEqual(loadConfig('').repository.maintenance, { enabled: true, schedule: '30 4 * * *' });
  });

  it('reads enabled and schedule, each defaulting on its own', () => {
    assert.deepEqual(loadConfig('repository: {maintenance: {schedule: "15 3 * * 0"}}').repository.maintenance, {
      enabled: true,
      schedule: '15 3 * * 0',
    });
    assert.deepEqual(loadConfig('repository: {maintenance: {enabled: false}}').repository.maintenance, {
      enabled: false,
      schedule: '30 4 * * *',
    });
    assert.equal(
      loadConfig('repository: {maintenance: {schedule: "@weekly"}}').repository.maintenance.schedule,
      '@weekly',
    );
  });

  const cases: { yaml: string; path: string; problem: RegExp; fix: RegExp }[] = [
    {
      yaml: 'repository: {maintenance: {schedul: "0 3 * * *"}}',
      path: 'repository.maintenance.schedul',
      problem: /not a known setting/,
      fix: /did you mean `schedule`/,
    },
    {
      yaml: 'repository: {maintenence: {enabled: false}}',
      path: 'repository.maintenence',
      problem: /not a known setting/,
      fix: /did you mean `maintenance`/,
    },
    {
      yaml: 'repository: {maintenance: {schedule: "H 4 * * *"}}',
      path: 'repository.maintenance.schedule',
      problem: /uses H, which only tiers can/,
      fix: /fixed minute/,
    },
    {
      yaml: 'repository: {maintenance: {schedule: "30 25 * * *"}}',
      path: 'repository.maintenance.schedule',
      problem: /hour field "25" is out of range 0-23/,
      fix: /30 4 \* \* \*/,
    },
    {
      yaml: 'repository: {maintenance: {schedule: "daily"}}',
      path: 'repository.maintenance.schedule',
      problem: /has 1 fields/,
      fix: /@daily/,
    },
    {
      yaml: 'repository: {maintenance: {enabled: "yes"}}',
      path: 'repository.maintenance.enabled',
      problem: /expected true or false/,
      fix: /true or false/,
    },
    {
      yaml: 'repository: {backend: restic, url: "s3:http://m:9000/b/{namespace}/{pvc}", maintenance: {enabled: true}}',
      path: 'repository.maintenance',
      problem: /applies only to backend kopia/,
      fix: /remove repository.maintenance/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.yaml} at ${c.path}`, () => {
      const issue = rejected(c.yaml).find((i) => i.path === c.path);
      assert.ok(issue, `no issue at ${c.path}`);
      assert.match(issue.problem, c.problem);
      assert.match(issue.fix, c.fix);
    });
  }
});
