import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StandbyState } from './standby.ts';
import { type PassEntry, planPass } from './standby-pass.ts';

const record = (time: string) => ({ snapshotId: `s-${time}`, snapshotTime: time, token: 'sync-1' });
const behind = (time?: string): StandbyState =>
  time ? { kind: 'behind', why: 'older', record: record(time) } : { kind: 'behind', why: 'none recorded' };
const syncing: StandbyState = { kind: 'syncing', token: 'sync-2', sinceMs: 0 };
const stuck: StandbyState = { kind: 'stuck', token: 'sync-2', sinceMs: 0 };
const current: StandbyState = { kind: 'current', record: record('2026-06-01T00:00:00Z') };

const entry = (key: string, repository: string, state: StandbyState): PassEntry => ({ key, repository, state });

describe('planPass', () => {
  const table: {
    name: string;
    entries: PassEntry[];
    caps: { concurrency: number; perRepository: number };
    arm: string[];
    held: string[];
  }[] = [
    {
      name: 'only behind and stuck restore points are armed; current and syncing ones are left alone',
      entries: [
        entry('a/1', 'r1', current),
        entry('a/2', 'r2', behind()),
        entry('a/3', 'r3', stuck),
        entry('a/4', 'r4', syncing),
      ],
      caps: { concurrency: 10, perRepository: 10 },
      arm: ['a/2', 'a/3'],
      held: [],
    },
    {
      name: 'never recorded first, then the oldest recorded snapshot',
      entries: [
        entry('a/new', 'r', behind('2026-06-01T10:00:00Z')),
        entry('a/old', 'r', behind('2026-05-01T10:00:00Z')),
        entry('a/none', 'r', behind()),
      ],
      caps: { concurrency: 2, perRepository: 5 },
      arm: ['a/none', 'a/old'],
      held: ['a/new'],
    },
    {
      name: 'syncs in flight count against the cluster cap',
      entries: [entry('a/1', 'r1', syncing), entry('a/2', 'r2', syncing), entry('a/3', 'r3', behind())],
      caps: { concurrency: 2, perRepository: 5 },
      arm: [],
      held: ['a/3'],
    },
    {
      name: 'the per-repository cap holds a shared repository to one sync while other repositories proceed',
      entries: [
        entry('a/1', 'kopia', behind()),
        entry('a/2', 'kopia', behind()),
        entry('a/3', 'restic-a3', behind()),
        entry('a/4', 'kopia', syncing),
      ],
      caps: { concurrency: 3, perRepository: 1 },
      arm: ['a/3'],
      held: ['a/1', 'a/2'],
    },
    {
      name: 'a burst of behind restore points is cut at the cap',
      entries: Array.from({ length: 25 }, (_, i) => entry(`ns/p${String(i).padStart(2, '0')}`, `r${i}`, behind())),
      caps: { concurrency: 2, perRepository: 1 },
      arm: ['ns/p00', 'ns/p01'],
      held: Array.from({ length: 23 }, (_, i) => `ns/p${String(i + 2).padStart(2, '0')}`),
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const plan = planPass(c.entries, c.caps);
      assert.deepEqual(plan.arm, c.arm);
      assert.deepEqual(
        plan.held.map((h) => h.key),
        c.held,
      );
    });
  }

  it('says which cap held an entry', () => {
    const plan = planPass([entry('a/1', 'kopia', syncing), entry('a/2', 'kopia', behind())], {
      concurrency: 5,
      perRepository: 1,
    });
    assert.match(plan.held[0]?.why ?? '', /1 restore-point syncs in flight on kopia \(cap 1 per repository\)/);
    const full = planPass([entry('a/1', 'x', syncing), entry('a/2', 'y', behind())], {
      concurrency: 1,
      perRepository: 1,
    });
    assert.match(full.held[0]?.why ?? '', /1 restore-point syncs in flight \(cap 1\)/);
  });
});
