import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './issues.ts';
import { loadConfig } from './load.ts';
import { sentinelPathProblem } from './load-verify.ts';

const DAY = 86_400_000;

describe('config: verify (restore drills)', () => {
  it('defaults to a weekly drill per PVC, proof due within 14 days, one drill at a time', () => {
    assert.deepEqual(loadConfig('').verify, {
      enabled: true,
      interval: 7 * DAY,
      maxAge: 14 * DAY,
      concurrency: 1,
      perRepository: 1,
      timeout: 3_600_000,
    });
  });

  it('reads every setting', () => {
    const c = loadConfig(`
verify:
  enabled: false
  interval: 3d
  maxAge: 7d
  concurrency: 4
  perRepository: 2
  timeout: 2h
  sentinel: app/.sentinel
`);
    assert.deepEqual(c.verify, {
      enabled: false,
      interval: 3 * DAY,
      maxAge: 7 * DAY,
      concurrency: 4,
      perRepository: 2,
      timeout: 7_200_000,
      sentinel: 'app/.sentinel',
    });
  });

  const bad: [string, string, RegExp][] = [
    [
      'an interval shorter than a day',
      'verify: { interval: 1h }',
      /verify\.interval: .*shorter than the minimum of 1d/,
    ],
    ['a duration that is not one', 'verify: { maxAge: soon }', /verify\.maxAge: is "soon", not a duration/],
    [
      'maxAge below the interval',
      'verify: { interval: 7d, maxAge: 3d }',
      /verify\.maxAge: is shorter than verify\.interval.*at least as long/,
    ],
    ['no drill at all allowed', 'verify: { concurrency: 0 }', /verify\.concurrency/],
    ['a per-repository cap of 0', 'verify: { perRepository: 0 }', /verify\.perRepository/],
    ['a timeout shorter than a restore', 'verify: { timeout: 30s }', /verify\.timeout: .*minimum of 5m/],
    [
      'an absolute sentinel',
      'verify: { sentinel: /etc/passwd }',
      /verify\.sentinel: "\/etc\/passwd" is absolute.*relative to the volume root/,
    ],
    ['a sentinel outside the volume', 'verify: { sentinel: ../x }', /verify\.sentinel: .*"\.\." segment/],
    ['an unknown key', 'verify: { schedule: weekly }', /verify\.schedule/],
  ];
  for (const [name, yaml, message] of bad) {
    it(`rejects ${name}, naming the field and the fix`, () => {
      assert.throws(
        () => loadConfig(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
        `expected ${message}`,
      );
    });
  }

  const paths: [string, string | undefined][] = [
    ['.lifeboat-sentinel', undefined],
    ['a/b/c', undefined],
    ['', 'is empty or longer than 1024 characters'],
    ['/abs', '"/abs" is absolute'],
    ['a//b', '"a//b" has an empty, "." or ".." segment'],
    ['a/./b', '"a/./b" has an empty, "." or ".." segment'],
    ['a/', '"a/" has an empty, "." or ".." segment'],
  ];
  for (const [path, problem] of paths) {
    it(`sentinel path ${JSON.stringify(path)}: ${problem ?? 'accepted'}`, () => {
      assert.equal(sentinelPathProblem(path), problem);
    });
  }
});
