import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkExpression } from '../../test/support/expressions.ts';
import { ALERT_GROUPS, prometheusRuleSpec, runbookAnchor } from './alerts.ts';

const allAlerts = () => ALERT_GROUPS.flatMap((g) => g.alerts);

const troubleshooting = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');

describe('alerts', () => {
  for (const alert of allAlerts()) {
    it(`${alert.alert}: parses and reads only ${alert.planned ? 'exported or planned' : 'exported'} metrics`, () => {
      const report = checkExpression(
        alert.expr,
        alert.planned ? ['exported', 'planned', 'external'] : ['exported', 'external'],
      );
      assert.deepEqual(report.problems, [], alert.expr);
      if (alert.planned) {
        assert.ok(report.statuses.has('planned'), 'a planned alert reads at least one planned metric; else ship it');
      }
    });
  }

  it('names are unique and Lifeboat-prefixed; durations and severities are valid', () => {
    const names = allAlerts().map((a) => a.alert);
    assert.equal(new Set(names).size, names.length);
    for (const alert of allAlerts()) {
      assert.match(alert.alert, /^Lifeboat[A-Z][A-Za-z]+$/);
      assert.match(alert.for, /^(\d+[smhdw])+$/);
      assert.ok(['critical', 'warning'].includes(alert.severity));
      assert.ok(alert.summary.length > 0 && alert.description.length > 0);
    }
  });

  it('every alert has a runbook section in docs/troubleshooting.md', () => {
    const headings = new Set(
      [...troubleshooting.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replaceAll(' ', '-'),
      ),
    );
    for (const alert of allAlerts())
      assert.ok(headings.has(runbookAnchor(alert.alert)), `no "### ${alert.alert}" section`);
  });

  it('the rendered rules hold every alert that is not planned, in order', () => {
    const rendered = prometheusRuleSpec().groups as { name: string; rules: { alert: string }[] }[];
    const names = rendered.flatMap((g) => g.rules.map((r) => r.alert));
    const expected = ALERT_GROUPS.flatMap((g) => g.alerts.filter((a) => !a.planned).map((a) => a.alert));
    assert.deepEqual(names, expected);
    assert.ok(names.includes('LifeboatBackupMissed') && names.includes('LifeboatRestorePointStale'));
  });

  it('checkExpression catches an unknown metric, a metric of a status the alert may not read and a misspelt label', () => {
    assert.match(checkExpression('nosuch_metric > 0', ['exported']).problems.join(), /not in the metric registry/);
    assert.match(
      checkExpression('lifeboat_restore_points > 0', ['planned']).problems.join(),
      /lifeboat_restore_points/,
    );
    assert.match(
      checkExpression('increase(lifeboat_decisions_total{decsion="unknown"}[5m])', ['exported']).problems.join(),
      /has no label "decsion"/,
    );
    assert.match(checkExpression('time()', ['exported']).problems.join(), /not an instant vector/);
    assert.deepEqual(
      checkExpression(
        'histogram_quantile(0.9, sum by (le) (rate(lifeboat_admission_duration_seconds_bucket{le!=""}[5m])))',
        ['exported'],
      ).problems,
      [],
    );
  });
});
