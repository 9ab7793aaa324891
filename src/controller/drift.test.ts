import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDifference, isSubset } from './drift.ts';

describe('drift', () => {
  const desired = {
    metadata: { name: 'a-backup', labels: { 'app.kubernetes.io/managed-by': 'lifeboat' } },
    spec: { trigger: { schedule: '7 * * * *' }, kopia: { accessModes: ['ReadWriteOnce'], parallelism: 2 } },
  };
  const cases: { name: string; live: unknown; subset: boolean; diff?: string }[] = [
    { name: 'identical', live: structuredClone(desired), subset: true },
    {
      name: 'extra fields from other managers and status are not drift',
      live: {
        ...structuredClone(desired),
        metadata: { ...desired.metadata, uid: 'u', labels: { ...desired.metadata.labels, team: 'x' } },
        status: { lastSyncTime: 't' },
      },
      subset: true,
    },
    {
      name: 'a hand-edited schedule is drift',
      live: { ...structuredClone(desired), spec: { ...desired.spec, trigger: { schedule: '0 * * * *' } } },
      subset: false,
      diff: 'spec.trigger.schedule',
    },
    {
      name: 'a removed label is drift',
      live: { ...structuredClone(desired), metadata: { name: 'a-backup' } },
      subset: false,
      diff: 'metadata.labels',
    },
    {
      name: 'a list with an extra element is drift (lists are atomic)',
      live: {
        ...structuredClone(desired),
        spec: { ...desired.spec, kopia: { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], parallelism: 2 } },
      },
      subset: false,
      diff: 'spec.kopia.accessModes',
    },
    {
      name: 'int-or-string echoed as a string is not drift',
      live: {
        ...structuredClone(desired),
        spec: { ...desired.spec, kopia: { accessModes: ['ReadWriteOnce'], parallelism: '2' } },
      },
      subset: true,
    },
    { name: 'missing object', live: undefined, subset: false, diff: '(root)' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(isSubset(desired, c.live), c.subset);
      assert.equal(firstDifference(desired, c.live), c.diff);
    });
  }
});
