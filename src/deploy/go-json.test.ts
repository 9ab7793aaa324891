import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson } from './go-json.ts';

describe('goJson: the bytes Go encoding/json (Helm toJson) writes', () => {
  // Expected strings as helm 3.19.5 printed `toJson` of the same values given in a values file.
  const cases: [unknown, string][] = [
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ nested: { z: 1, y: { x: 2 } } }, '{"nested":{"y":{"x":2},"z":1}}'],
    ['<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['tab\tnewline\nquote"backslash\\', '"tab\\tnewline\\nquote\\"backslash\\\\"'],
    ['\b\f\u0001', '"\\b\\f\\u0001"'],
    ['line\u2028separator', '"line\\u2028separator"'],
    ['é ✓ 😀', '"é ✓ 😀"'],
    [0.5, '0.5'],
    [1e21, '1e+21'],
    [24, '24'],
    [1000000, '1000000'],
    [1e-7, '1e-7'],
  ];
  for (const [value, expected] of cases) {
    it(expected, () => assert.equal(goJson(value), expected));
  }

  it('refuses what JSON cannot hold', () => {
    assert.throws(() => goJson(Number.NaN));
  });
});
