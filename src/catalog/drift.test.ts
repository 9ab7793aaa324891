import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftedSources, guessPvc, likelyPvc, sourceNamesPvc } from './drift.ts';

const REF = { namespace: 'shop', pvc: 'data' };

describe('sourceNamesPvc', () => {
  const cases: [string, boolean][] = [
    ['data@shop:/data', true], // pvc-plumber v4 shape under a v3 template
    ['data-backup@shop:/data', true], // v3 shape under a v4 template
    ['data-backup-shop@shop-data:/data', true], // the fork's older identity
    ['data-dst@shop:/data', true], // a destination's default identity
    ['metadata@shop:/data', false], // not a whole word
    ['data@shopping:/data', false],
    ['data@other:/data', false], // another namespace
    ['someone@laptop:/home/shop/data', false], // the path does not count
  ];
  for (const [source, want] of cases) {
    it(`${source} → ${want}`, () => assert.equal(sourceNamesPvc(source, REF), want));
  }
});

describe('driftedSources', () => {
  it('counts complete snapshots, names the newest, most snapshots first', () => {
    const s = (id: string, time: string, incomplete = false) => ({
      id,
      time,
      timeMs: Date.parse(time),
      ...(incomplete ? { incomplete: true } : {}),
    });
    const unmatched = new Map([
      [
        'data@shop:/data',
        [s('a', '2026-01-01T00:00:00Z'), s('b', '2026-01-02T00:00:00Z'), s('c', '2026-01-03T00:00:00Z', true)],
      ],
      ['data-backup-shop@shop-data:/data', [s('d', '2026-01-01T00:00:00Z')]],
      ['x@laptop:/home', [s('e', '2026-01-01T00:00:00Z')]],
    ]);
    assert.deepEqual(driftedSources(unmatched, REF), [
      { source: 'data@shop:/data', snapshots: 2, newest: '2026-01-02T00:00:00Z' },
      { source: 'data-backup-shop@shop-data:/data', snapshots: 1, newest: '2026-01-01T00:00:00Z' },
    ]);
  });
});

describe('likelyPvc', () => {
  it('picks the most specific PVC named by the source, or none', () => {
    const candidates = [REF, { namespace: 'shop', pvc: 'data-cache' }, { namespace: 'blog', pvc: 'data' }];
    assert.deepEqual(likelyPvc('data-cache@shop:/data', candidates), { namespace: 'shop', pvc: 'data-cache' });
    assert.deepEqual(likelyPvc('data-backup@blog:/data', candidates), { namespace: 'blog', pvc: 'data' });
    assert.equal(likelyPvc('root@laptop:/home', candidates), undefined);
  });
});

describe('guessPvc', () => {
  const cases: [string, string | undefined][] = [
    ['data-backup@shop:/data', 'shop/data'],
    ['data@shop:/data', 'shop/data'],
    ['data-backup-shop@shop-data:/data', 'shop/data'],
    ['Someone@Laptop:/home', undefined],
  ];
  for (const [source, want] of cases) {
    it(`${source} → ${want}`, () => {
      const g = guessPvc(source);
      assert.equal(g ? `${g.namespace}/${g.pvc}` : undefined, want);
    });
  }
});
