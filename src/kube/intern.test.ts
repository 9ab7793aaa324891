import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StringInterner } from './intern.ts';

describe('StringInterner', () => {
  it('returns the first copy of equal strings', () => {
    const interner = new StringInterner();
    const [a, b] = JSON.parse('["apps","apps"]') as string[];
    assert.equal(interner.intern(a as string), a);
    assert.equal(interner.intern(b as string), a);
    assert.equal(interner.intern('daily'), 'daily');
    assert.equal(interner.size, 2, 'apps, daily');
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
