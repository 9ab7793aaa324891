import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../config/defaults.ts';
import { describeNearMiss, findNearMisses } from './near-miss.ts';

const keys = DEFAULT_CONFIG.keys;

describe('findNearMisses', () => {
  const cases: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    found: string[];
    expected?: string;
  }[] = [
    {
      name: 'bare exempt reason',
      annotations: { 'backup-exempt-reason': 'cache' },
      found: ['backup-exempt-reason'],
      expected: 'lifeboat.dev/backup-exempt-reason',
    },
    {
      name: "the seed cluster's exempt reason",
      annotations: { 'storage.vanillax.dev/backup-exempt-reason': 'x' },
      found: ['storage.vanillax.dev/backup-exempt-reason'],
    },
    {
      name: 'a typo in the prefix',
      annotations: { 'lifebaot.dev/backup-exempt-reason': 'x' },
      found: ['lifebaot.dev/backup-exempt-reason'],
    },
    {
      name: 'another prefix',
      annotations: { 'lifeboat.io/backup-exempt-reason': 'x' },
      found: ['lifeboat.io/backup-exempt-reason'],
    },
    {
      name: 'a typo in the name',
      annotations: { 'lifeboat.dev/backup-exempt-reasn': 'x' },
      found: ['lifeboat.dev/backup-exempt-reasn'],
    },
    {
      name: 'the reason as a label',
      labels: { 'lifeboat.dev/backup-exempt-reason': 'x' },
      found: ['lifeboat.dev/backup-exempt-reason'],
    },
    {
      name: 'the backup label as an annotation',
      annotations: { backup: 'hourly' },
      found: ['backup'],
      expected: 'backup',
    },
    {
      name: 'a typo of the exempt label',
      labels: { 'backup-exmpt': 'true' },
      found: ['backup-exmpt'],
      expected: 'backup-exempt',
    },
    { name: 'a typo of the backup label', labels: { bakup: 'daily' }, found: ['bakup'], expected: 'backup' },
    {
      name: 'correct keys only',
      labels: { backup: 'daily', 'backup-exempt': 'false' },
      annotations: { 'lifeboat.dev/backup-exempt-reason': 'x' },
      found: [],
    },
    {
      name: 'unrelated keys',
      labels: { app: 'x', 'app.kubernetes.io/name': 'y', tier: 'db' },
      annotations: { 'pv.kubernetes.io/bind-completed': 'yes' },
      found: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const misses = findNearMisses({ name: 'p', labels: c.labels ?? {}, annotations: c.annotations ?? {} }, keys);
      assert.deepEqual(
        misses.map((m) => m.found),
        c.found,
      );
      if (c.expected) assert.equal(misses[0]?.expected, c.expected);
    });
  }

  it('describes a misplaced key as a move and a misspelt one as a rename', () => {
    const [moved] = findNearMisses({ name: 'p', annotations: { backup: 'hourly' } }, keys);
    const [renamed] = findNearMisses({ name: 'p', annotations: { 'backup-exempt-reason': 'x' } }, keys);
    assert.ok(moved && renamed);
    assert.equal(
      describeNearMiss(moved),
      'annotation "backup" is ignored: lifeboat reads the label "backup"; move it from the annotations to the labels',
    );
    assert.match(describeNearMiss(renamed), /rename it to lifeboat\.dev\/backup-exempt-reason$/);
  });
});
