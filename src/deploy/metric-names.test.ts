import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXTERNAL, lookupMetric } from '../../test/support/metric-lookup.ts';
import { ALERT_GROUPS } from './alerts.ts';
import { EXPORTED, metricsMarkdownTable, PLANNED } from './metric-names.ts';

describe('metric registry', () => {
  it('names are unique across the lists and follow Prometheus naming', () => {
    const names = [...EXPORTED, ...PLANNED, ...EXTERNAL].map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    for (const m of [...EXPORTED, ...PLANNED]) {
      assert.match(m.name, /^[a-z_][a-z0-9_]*$/);
      if (m.type === 'counter') assert.match(m.name, /_total$/, `${m.name}: counters end in _total`);
      assert.ok(m.help.length > 10);
    }
  });

  it('finds histogram series by their suffixes, with the le label on buckets', () => {
    assert.deepEqual(lookupMetric('lifeboat_admission_duration_seconds_bucket')?.extraLabels, ['le']);
    assert.equal(lookupMetric('lifeboat_admission_duration_seconds_count')?.status, 'exported');
    assert.equal(lookupMetric('lifeboat_leader_bucket'), undefined, 'only histograms have buckets');
    assert.equal(lookupMetric('nope'), undefined);
  });

  it('docs/monitoring.md holds the generated metrics table and names every alert', () => {
    const docs = readFileSync(new URL('../../docs/monitoring.md', import.meta.url), 'utf8');
    assert.ok(
      docs.includes(metricsMarkdownTable()),
      'paste the output of metricsMarkdownTable() into docs/monitoring.md',
    );
    for (const alert of ALERT_GROUPS.flatMap((g) => g.alerts))
      assert.ok(docs.includes(`\`${alert.alert}\``), alert.alert);
  });
});
