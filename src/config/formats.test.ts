import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatDuration,
  formatGoDuration,
  isDnsSubdomain,
  isLabelValue,
  isQualifiedKey,
  isQuantity,
  parseDuration,
  scheduleProblem,
} from './formats.ts';
import { closest, editDistance } from './suggest.ts';

describe('durations', () => {
  const cases: [string, number | undefined][] = [
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1d2h3m4s5ms', 93_784_005],
    ['', undefined],
    ['15', undefined],
    ['2 h', undefined],
    ['m', undefined],
    ['1h1d', undefined],
  ];
  for (const [text, ms] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), ms));
  }

  it('formats Go durations that Go can parse back (no day unit)', () => {
    assert.equal(formatGoDuration(3_600_000), '1h');
    assert.equal(formatGoDuration(90_000), '1m30s');
    assert.equal(formatGoDuration(86_400_000), '24h');
    assert.equal(formatGoDuration(1_500), '1s500ms');
    assert.equal(formatGoDuration(0), '0s');
  });

  it('formats human durations with days', () => {
    assert.equal(formatDuration(7_200_000), '2h');
    assert.equal(formatDuration(90_000_000), '1d1h');
    assert.equal(formatDuration(86_400_000), '1d');
  });
});

describe('Kubernetes formats', () => {
  it('accepts names up to 253 characters and no more', () => {
    assert.equal(isDnsSubdomain('a'.repeat(253)), true);
    assert.equal(isDnsSubdomain('a'.repeat(254)), false);
    assert.equal(isDnsSubdomain('my.pvc-0'), true);
    assert.equal(isDnsSubdomain('My-PVC'), false);
    assert.equal(isDnsSubdomain('-a'), false);
  });

  it('accepts label values up to 63 characters without a slash', () => {
    assert.equal(isLabelValue('a'.repeat(63)), true);
    assert.equal(isLabelValue('a'.repeat(64)), false);
    assert.equal(isLabelValue('ns/pvc'), false);
    assert.equal(isLabelValue(''), true);
  });

  it('accepts qualified keys with and without a prefix', () => {
    assert.equal(isQualifiedKey('backup'), true);
    assert.equal(isQualifiedKey('lifeboat.dev/backup-exempt-reason'), true);
    assert.equal(isQualifiedKey('Lifeboat.dev/x'), false);
    assert.equal(isQualifiedKey('a/b/c'), false);
    assert.equal(isQualifiedKey(`x/${'n'.repeat(64)}`), false);
  });

  it('accepts positive quantities only', () => {
    for (const q of ['2Gi', '500Mi', '1.5G', '1e3', '100']) assert.equal(isQuantity(q), true, q);
    for (const q of ['-1Gi', '0', '0Gi', 'Gi', '2GB', '']) assert.equal(isQuantity(q), false, q);
  });
});

describe('tier schedules', () => {
  for (const ok of ['H * * * *', 'H 2 * * *', 'H 2 * * 0', '0 */6 * * *', '15 1-5 1,15 * *', '@daily']) {
    it(`accepts ${ok}`, () => assert.equal(scheduleProblem(ok), undefined));
  }
  const bad: [string, RegExp][] = [
    ['H * *', /3 fields/],
    ['* H * * *', /only allowed in the minute field/],
    ['60 * * * *', /minute field "60" is out of range 0-59/],
    ['0 24 * * *', /hour field/],
    ['0 0 0 * *', /day of month/],
    ['0 0 * * MON', /not in a form VolSync accepts/],
    ['@fortnightly', /unknown macro/],
    ['*/0 * * * *', /out of range/],
  ];
  for (const [schedule, message] of bad) {
    it(`rejects ${schedule}`, () => assert.match(scheduleProblem(schedule) ?? '', message));
  }
});

describe('suggestions', () => {
  it('measures edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
    assert.equal(editDistance('weekyl', 'weekly'), 1, 'a swap of neighbours is one edit');
    assert.equal(editDistance('ab', 'ba'), 1);
  });

  it('suggests within a small typo budget only', () => {
    assert.equal(closest('hourli', ['hourly', 'daily']), 'hourly');
    assert.equal(closest('Daily', ['hourly', 'daily']), 'daily');
    assert.equal(closest('monthly', ['hourly', 'daily']), undefined);
    assert.equal(closest('namespce', ['namespace', 'keys']), 'namespace');
  });
});
