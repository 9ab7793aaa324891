import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MassDeletionGuard } from './guard.ts';

describe('MassDeletionGuard', () => {
  it('lets deletions through up to the threshold within the window, then trips and holds the rest', () => {
    const g = new MassDeletionGuard(3, 60_000);
    assert.deepEqual(
      ['a', 'b', 'c'].map((r, i) => g.request(r, 1000 + i).allowed),
      [true, true, true],
    );
    const fourth = g.request('d', 1005);
    assert.equal(fourth.allowed, false);
    assert.match(fourth.allowed ? '' : fourth.reason, /more than 3 cleanups within 60s \(1 held back\)/);
    assert.equal(g.request('e', 500_000).allowed, false, 'stays tripped after the window: an operator must look');
    assert.deepEqual(g.state(), { trippedAt: 1005, held: ['d', 'e'] });
  });

  it('does not trip when deletions are spread beyond the window', () => {
    const g = new MassDeletionGuard(2, 10_000);
    for (let i = 0; i < 10; i++) assert.equal(g.request(`r${i}`, i * 6000).allowed, true);
    assert.equal(g.tripped, false);
  });

  it('releases every held deletion on confirmation (beyond the threshold) and starts a fresh window', () => {
    const g = new MassDeletionGuard(1, 10_000);
    g.request('a', 0);
    for (const r of ['b', 'c', 'd', 'b']) assert.equal(g.request(r, 1).allowed, false);
    assert.deepEqual(g.confirm(), ['b', 'c', 'd']);
    assert.equal(g.tripped, false);
    for (const r of ['b', 'c', 'd']) assert.equal(g.request(r, 3).allowed, true, `${r} was confirmed`);
    assert.equal(g.request('e', 4).allowed, true, 'a new window: one more fits under the threshold');
    assert.equal(g.request('f', 5).allowed, false, 'and the guard still trips on the next burst');
  });

  it('survives a restart through its persisted state', () => {
    const g = new MassDeletionGuard(1, 10_000);
    g.request('a', 0);
    g.request('b', 1);
    const restarted = new MassDeletionGuard(1, 10_000);
    restarted.restore(g.state());
    assert.equal(restarted.request('c', 2).allowed, false);
    assert.deepEqual(restarted.state().held, ['b', 'c']);
  });
});
