import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueSharer } from './shared-values.ts';

const parse = <T = Record<string, unknown>>(text: string) => JSON.parse(text) as T;

describe('ValueSharer', () => {
  it('returns one frozen copy of equal values, field for field as parsed', () => {
    const sharer = new ValueSharer();
    const text = '{"trigger":{"schedule":"0 * * * *"},"retain":{"hourly":24,"daily":7},"modes":["ReadWriteOnce"]}';
    const a = sharer.share(parse(text));
    const b = sharer.share(parse(text));
    assert.equal(a, b);
    assert.deepEqual(a, parse(text));
    assert.equal(JSON.stringify(a), text, 'field order is kept');
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.trigger) && Object.isFrozen(a.modes));
  });

  it('shares the equal parts of values that differ', () => {
    const sharer = new ValueSharer();
    const a = sharer.share(parse('{"sourcePVC":"data-0","kopia":{"ctx":{"runAsUser":568},"retain":{"daily":14}}}'));
    const b = sharer.share(parse('{"sourcePVC":"data-1","kopia":{"ctx":{"runAsUser":568},"retain":{"daily":14}}}'));
    assert.notEqual(a, b);
    assert.equal(a.kopia, b.kopia);
    assert.equal(b.sourcePVC, 'data-1');
  });

  // Each row: two values that must not be taken for one another, though their text is close.
  const distinct: [string, unknown, unknown][] = [
    ['number and string', { n: 1 }, { n: '1' }],
    ['true and "true"', { b: true }, { b: 'true' }],
    ['null and a missing field', { x: null }, {}],
    ['an undefined field and a missing one', { x: undefined }, {}],
    ['field order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['array and object', { v: ['a'] }, { v: { 0: 'a' } }],
    ['nested and flat', { a: { b: 'c' } }, { a: '{"b":"c"}' }],
    ['a quote in a name', { 'a",b': 1 }, { a: 1, b: 1 }],
    ['empty array and empty object', { v: [] }, { v: {} }],
  ];
  for (const [what, x, y] of distinct) {
    it(`keeps apart: ${what}`, () => {
      const sharer = new ValueSharer();
      const sx = sharer.share(x);
      const sy = sharer.share(y);
      assert.notEqual(sx, sy);
      assert.deepEqual(sx, x);
      assert.deepEqual(sy, y);
      assert.equal(Object.keys(sx as object).join(), Object.keys(x as object).join());
    });
  }

  it('keeps a field named __proto__ as a field (a Secret may have such a key), not as the prototype', () => {
    const sharer = new ValueSharer();
    const data = sharer.share(parse('{"data":{"__proto__":"c2VjcmV0","other":"eA=="}}')).data as object;
    assert.deepEqual(Object.keys(data), ['__proto__', 'other']);
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.equal(JSON.stringify(data), '{"__proto__":"c2VjcmV0","other":"eA=="}');
  });

  it('keeps primitives as they are, with equal strings as one copy', () => {
    const sharer = new ValueSharer();
    for (const v of [undefined, null, 0, 568, true, false, '']) assert.equal(sharer.share(v), v);
    const [a, b] = parse<string[]>('["longhorn","longhorn"]');
    assert.equal(sharer.share(a), sharer.share(b));
  });

  it('freezes but does not share values holding a long string (a certificate, a log)', () => {
    const sharer = new ValueSharer();
    const long = 'x'.repeat(300);
    const a = sharer.share({ data: { 'tls.crt': long }, type: { t: 'kubernetes.io/tls' } });
    const b = sharer.share({ data: { 'tls.crt': long }, type: { t: 'kubernetes.io/tls' } });
    assert.notEqual(a, b);
    assert.notEqual(a.data, b.data);
    assert.equal(a.type, b.type, 'the short sibling is still shared');
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.data));
  });

  it('a write into a shared value throws instead of changing the other objects', () => {
    const sharer = new ValueSharer();
    const a = sharer.share(parse<{ labels: Record<string, string> }>('{"labels":{"backup":"daily"}}'));
    const b = sharer.share(parse<{ labels: Record<string, string> }>('{"labels":{"backup":"daily"}}'));
    assert.throws(() => {
      a.labels.backup = 'hourly';
    }, TypeError);
    assert.equal(b.labels.backup, 'daily');
  });

  it('is bounded: two generations, and what is still used moves back to the young one', () => {
    const sharer = new ValueSharer(undefined, 2);
    const kept = sharer.share({ k: 'kept' });
    sharer.share({ k: 1 }); // young: kept, 1
    sharer.share({ k: 2 }); // old: kept, 1; young: 2
    assert.equal(sharer.share({ k: 'kept' }), kept, 'found in the old generation');
    sharer.share({ k: 3 }); // old: 2, kept; young: 3 (1 is dropped)
    sharer.share({ k: 4 }); // young: 3, 4
    sharer.share({ k: 5 }); // old: 3, 4; young: 5 (kept is dropped)
    assert.ok(sharer.size <= 4);
    const again = sharer.share({ k: 'kept' });
    assert.notEqual(again, kept, 'a dropped value is copied anew');
    assert.deepEqual(again, kept);
  });

  it('never takes a new value for a dropped one with the same key text', () => {
    // Keys name shared children by number; numbers are never reused, so a parent keyed on a dropped child cannot match
    // a different child that happens to get the same place in the table.
    const sharer = new ValueSharer(undefined, 1);
    const parents = [];
    for (let i = 0; i < 50; i++) parents.push(sharer.share({ child: { i: i % 5 }, at: i % 3 }));
    for (let i = 0; i < 50; i++) assert.deepEqual(parents[i], { child: { i: i % 5 }, at: i % 3 });
  });
});
