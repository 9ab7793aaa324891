import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schedulePeriodMs } from './schedule-period.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('schedulePeriodMs', () => {
  const table: [string, number | undefined][] = [
    ['17 * * * *', HOUR],
    ['H * * * *', HOUR],
    ['@hourly', HOUR],
    ['34 2 * * *', DAY],
    ['H 2 * * *', DAY],
    ['@daily', DAY],
    ['H 2 * * 0', 7 * DAY],
    ['0 2 * * 7', 7 * DAY],
    ['@weekly', 7 * DAY],
    ['*/15 * * * *', 15 * MIN],
    ['0/20 * * * *', 20 * MIN],
    ['0 */6 * * *', 6 * HOUR],
    ['0 2,14 * * *', 12 * HOUR],
    ['0 1,2 * * *', 23 * HOUR],
    ['0 2 * * 1-5', 3 * DAY],
    // Both day fields restricted: either matches (the 1st, or any Sunday), so the gap is at most a week.
    ['0 0 1 * 0', 7 * DAY],
    ['@monthly', 31 * DAY],
    ['0 0 1 1 *', 366 * DAY],
    ['@yearly', 366 * DAY],
    ['0 0 30 2 *', undefined],
    ['not a schedule', undefined],
    ['61 * * * *', undefined],
    ['* * *', undefined],
  ];
  for (const [schedule, period] of table) {
    it(`${schedule} → ${period === undefined ? 'unreadable' : `${period / MIN} min`}`, () => {
      assert.equal(schedulePeriodMs(schedule), period);
    });
  }

  it('answers the same when asked again, also after more distinct schedules than it remembers', () => {
    for (let round = 0; round < 2; round++) {
      for (let minute = 0; minute < 60; minute++)
        for (const hours of ['*', '*/2', '*/3', '*/4', '*/6']) {
          const every = hours === '*' ? 1 : Number(hours.slice(2));
          assert.equal(schedulePeriodMs(`${minute} ${hours} * * *`), every * HOUR);
        }
    }
    assert.equal(schedulePeriodMs('@daily'), DAY);
  });
});
