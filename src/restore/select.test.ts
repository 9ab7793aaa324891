import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision } from '../decision/decide.ts';
import type { Snapshot } from '../repository/types.ts';
import { parseSelection, type Selection, selectSnapshot } from './select.ts';

const snap = (id: string, time: string): Snapshot => ({ id, time, timeMs: Date.parse(time) });
const s3 = snap('c3c3c3c3', '2026-06-03T02:17:00.000Z');
const s2 = snap('b2b2b2b2', '2026-06-02T02:17:00.000Z');
const s1 = snap('b2aaaaaa', '2026-06-01T02:17:00.000Z');
const restore: Decision = {
  decision: 'restore',
  authoritative: true,
  cause: 'snapshots-found',
  message: 'found',
  snapshots: [s3, s2, s1],
  newest: s3,
  checkpoints: [],
};

describe('parseSelection', () => {
  const table: [Parameters<typeof parseSelection>[0], Selection | RegExp][] = [
    [{}, { kind: 'newest' }],
    [{ previous: '2' }, { kind: 'previous', n: 2 }],
    [
      { asOf: '2026-06-02T12:00:00Z' },
      { kind: 'as-of', timeMs: Date.parse('2026-06-02T12:00:00Z'), text: '2026-06-02T12:00:00Z' },
    ],
    [{ snapshot: 'c3c3' }, { kind: 'snapshot', id: 'c3c3' }],
    [{ previous: '1', snapshot: 'c3c3' }, /choose one of --as-of, --previous and --snapshot/],
    [{ previous: '-1' }, /must be a whole number/],
    [{ previous: 'two' }, /must be a whole number/],
    [{ asOf: 'yesterday' }, /is not a time/],
    [{ snapshot: 'x' }, /is not a snapshot id/],
  ];
  for (const [flags, expected] of table) {
    it(JSON.stringify(flags), () => {
      const got = parseSelection(flags);
      if (expected instanceof RegExp) assert.match(String(got), expected);
      else assert.deepEqual(got, expected);
    });
  }
});

describe('selectSnapshot', () => {
  const table: [string, Selection, string | RegExp][] = [
    ['newest', { kind: 'newest' }, s3.id],
    ['--previous 0 is the newest', { kind: 'previous', n: 0 }, s3.id],
    ['--previous 1', { kind: 'previous', n: 1 }, s2.id],
    ['--previous 2', { kind: 'previous', n: 2 }, s1.id],
    [
      '--previous beyond the history',
      { kind: 'previous', n: 3 },
      /--previous 3: app\/data has only 3 snapshot\(s\), from 2026-06-01.* to 2026-06-03/,
    ],
    ['--as-of between two snapshots', { kind: 'as-of', timeMs: Date.parse('2026-06-02T12:00:00Z'), text: 'x' }, s2.id],
    ['--as-of exactly at a snapshot', { kind: 'as-of', timeMs: s2.timeMs, text: 'x' }, s2.id],
    [
      '--as-of before every snapshot',
      { kind: 'as-of', timeMs: Date.parse('2026-05-01T00:00:00Z'), text: '2026-05-01' },
      /no snapshot of app\/data at or before 2026-05-01/,
    ],
    ['--snapshot by full id', { kind: 'snapshot', id: 'b2b2b2b2' }, s2.id],
    ['--snapshot by unique prefix', { kind: 'snapshot', id: 'c3c3' }, s3.id],
    ['--snapshot by ambiguous prefix', { kind: 'snapshot', id: 'b2' }, /matches 2 snapshots/],
    ['--snapshot unknown', { kind: 'snapshot', id: 'ffff' }, /no complete snapshot ffff of app\/data/],
  ];
  for (const [name, selection, expected] of table) {
    it(name, () => {
      const got = selectSnapshot(restore, selection, 'app/data');
      if (expected instanceof RegExp)
        assert.match('refusal' in got ? got.refusal : `chose ${got.snapshot.id}`, expected);
      else assert.equal('snapshot' in got ? got.snapshot.id : got.refusal, expected);
    });
  }

  it('refuses without authoritative snapshots', () => {
    const fresh: Decision = {
      ...restore,
      decision: 'fresh',
      cause: 'no-snapshots',
      message: 'no-snapshots: none',
      snapshots: [],
    };
    const unknown: Decision = {
      ...restore,
      decision: 'unknown',
      authoritative: false,
      cause: 'wrong-password',
      message: 'wrong-password: fix it',
    };
    assert.deepEqual(selectSnapshot(fresh, { kind: 'newest' }, 'app/data'), {
      refusal: 'app/data has no backup to restore: no-snapshots: none',
    });
    assert.match(
      'refusal' in selectSnapshot(unknown, { kind: 'newest' }, 'app/data')
        ? 'refused: wrong-password: fix it'
        : 'chosen',
      /refused: wrong-password/,
    );
  });
});
