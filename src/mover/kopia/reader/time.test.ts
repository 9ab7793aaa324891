import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msToIso, nsToMs, parseTimeNs } from './time.ts';

describe('RFC 3339 times with nanoseconds', () => {
  const cases: [string, bigint | undefined][] = [
    ['2026-01-02T03:04:05Z', 1767323045000000000n],
    ['2026-01-02T03:04:05.001121058Z', 1767323045001121058n],
    ['2026-01-02T03:04:05.1Z', 1767323045100000000n],
    ['2026-01-02T05:04:05.5+02:00', 1767323045500000000n],
    ['2026-01-02T01:34:05-01:30', 1767323045000000000n],
    ['1969-12-31T23:59:59.999999999Z', -1n],
    ['2026-01-02 03:04:05Z', 1767323045000000000n],
    ['2026-01-02T03:04:05', undefined],
    ['yesterday', undefined],
    ['0001-01-01T00:00:00Z', -62135596800000000000n],
  ];
  for (const [text, ns] of cases) it(`parses ${text}`, () => assert.equal(parseTimeNs(text), ns));

  it('shortens to milliseconds without rounding up', () => {
    assert.equal(nsToMs(1767323045001999999n), 1767323045001);
    assert.equal(nsToMs(-1n), -1);
    assert.equal(msToIso(1767323045001), '2026-01-02T03:04:05.001Z');
  });
});
