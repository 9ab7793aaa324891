import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StringInterner } from './intern.ts';

describe('StringInterner', () => {
  it('returns one copy of equal strings and keeps the shape of JSON data', () => {
    const interner = new StringInterner();
    const a = JSON.parse('{"ns":"apps","labels":{"backup":"daily"},"list":["x",1,true,null]}');
    const b = JSON.parse('{"ns":"apps","labels":{"backup":"daily"},"list":["x",2,false,null]}');
    const ia = interner.deep(a);
    const ib = interner.deep(b);
    assert.deepEqual(ia, a);
    assert.deepEqual(ib, b);
    assert.equal(interner.size, 3, 'apps, daily, x');
  });

  it('is bounded: a full table starts over', () => {
    const interner = new StringInterner(3);
    for (const v of ['a', 'b', 'c']) interner.intern(v);
    assert.equal(interner.size, 3);
    assert.equal(interner.intern('d'), 'd');
    assert.equal(interner.size, 1);
  });

  it('does not keep long values', () => {
    const interner = new StringInterner();
    interner.intern('x'.repeat(257));
    assert.equal(interner.size, 0);
  });
});
