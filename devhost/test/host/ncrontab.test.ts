import { describe, expect, it } from 'vitest';
import { isSubMinute, nextWallOccurrence, parseCron } from '../../timer/ncrontab';
import {
  createSchedule,
  formatTimerDate,
  parseTimeSpanSchedule,
  timeZoneFromSettings,
  UTC,
} from '../../timer/schedule';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `n` occurrences of `expr` after `from` (UTC). */
function nextN(expr: string, from: string, n: number): (string | undefined)[] {
  const s = createSchedule(expr, UTC);
  const out: (string | undefined)[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    out.push(iso(next));
    if (next === undefined) break;
    t = next;
  }
  return out;
}

describe('NCRONTAB parsing', () => {
  it('reads six fields with seconds first', () => {
    expect(nextN('*/15 * * * * *', '2024-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-01T00:00:15.000Z',
      '2024-01-01T00:00:30.000Z',
      '2024-01-01T00:00:45.000Z',
    ]);
  });

  it('reads five fields as minute-based with seconds = 0, as the Functions host does', () => {
    expect(nextN('*/5 * * * *', '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-01T00:05:00.000Z',
      '2024-01-01T00:10:00.000Z',
    ]);
  });

  it('supports lists, ranges and stepped ranges', () => {
    expect(nextN('0 0 9-17/4,20 * * *', '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-01T09:00:00.000Z',
      '2024-01-01T13:00:00.000Z',
      '2024-01-01T17:00:00.000Z',
      '2024-01-01T20:00:00.000Z',
      '2024-01-02T09:00:00.000Z',
    ]);
  });

  it('reads `n/s` as from n to the end of the range every s', () => {
    expect(nextN('5/20 * * * * *', '2024-01-01T00:00:00Z', 4)).toEqual([
      '2024-01-01T00:00:05.000Z',
      '2024-01-01T00:00:25.000Z',
      '2024-01-01T00:00:45.000Z',
      '2024-01-01T00:01:05.000Z',
    ]);
  });

  it('accepts month and day names in any case, short or long', () => {
    // 2024-01-01 is a Monday.
    expect(nextN('0 30 9 * Jan,FEB MON-wed', '2024-01-01T10:00:00Z', 3)).toEqual([
      '2024-01-02T09:30:00.000Z',
      '2024-01-03T09:30:00.000Z',
      '2024-01-08T09:30:00.000Z',
    ]);
    expect(nextN('0 0 12 * * Friday', '2024-01-01T00:00:00Z', 1)).toEqual(['2024-01-05T12:00:00.000Z']);
    expect(nextN('0 0 0 1 march *', '2024-01-01T00:00:00Z', 1)).toEqual(['2024-03-01T00:00:00.000Z']);
  });

  it('requires both day-of-month and day-of-week to match (NCrontab semantics, not Vixie OR)', () => {
    // The 13th that is a Friday: September 2024, then December 2024.
    expect(nextN('0 0 0 13 * 5', '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-09-13T00:00:00.000Z',
      '2024-12-13T00:00:00.000Z',
    ]);
  });

  it('finds Feb 29 in the next leap year and skips months without day 31', () => {
    expect(nextN('0 0 0 29 2 *', '2024-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
    expect(nextN('0 0 0 31 * *', '2024-01-31T00:00:00Z', 2)).toEqual([
      '2024-03-31T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
    ]);
  });

  it('returns the next occurrence strictly after the given time', () => {
    expect(nextN('0 0 * * * *', '2024-01-01T05:00:00Z', 1)).toEqual(['2024-01-01T06:00:00.000Z']);
    expect(nextN('0 0 * * * *', '2024-01-01T05:00:00.500Z', 1)).toEqual(['2024-01-01T06:00:00.000Z']);
  });

  it.each([
    ['0 0 25 * * *', /hour value 25 is out of range 0-23/],
    ['0 0 * * 13 *', /month value 13 is out of range 1-12/],
    ['0 0 * * * 7', /day-of-week value 7 is out of range 0-6/],
    ['0 */0 * * * *', /step "0" must be a whole number of at least 1/],
    ['0 0 * * * FOO', /day-of-week value "FOO" is not a number or a name/],
    ['0 0 10-5 * * *', /hour range "10-5" runs backwards/],
    ['0 0 * * *  * *', /expected 6 fields/],
    ['0 0,,1 * * * *', /empty list item/],
  ])('rejects %s naming the field and the problem', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
    expect(() => createSchedule(expr)).toThrow(/was not recognized as a valid cron expression or timespan string/);
  });

  it('rejects a schedule that can never occur', () => {
    expect(() => createSchedule('0 0 0 30 2 *')).toThrow(/never occurs/);
    expect(nextWallOccurrence(parseCron('0 0 0 31 4 *'), at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('schedule monitoring threshold', () => {
  it.each([
    ['*/5 * * * * *', true],
    ['10,20,45 * * * * *', true],
    ['0 * * * * *', false],
    ['* */20 * * * *', false],
    ['* 1-5 * * * *', false],
    ['0 */5 * * * *', false],
  ])('%s is sub-minute: %s (as Azure decides useMonitor)', (expr, expected) => {
    expect(isSubMinute(parseCron(expr))).toBe(expected);
  });
});

describe('TimeSpan schedules', () => {
  it('reads hh:mm:ss and d.hh:mm:ss as a constant interval', () => {
    expect(parseTimeSpanSchedule('00:05:00')).toBe(300_000);
    expect(parseTimeSpanSchedule('1.02:00:00')).toBe(26 * 3_600_000);
    expect(parseTimeSpanSchedule('00:00:01.5')).toBe(1500);
    expect(parseTimeSpanSchedule('25:00:00')).toBeUndefined();
    const s = createSchedule('00:00:30');
    expect(s.description).toBe('Constant: 00:00:30');
    expect(s.subMinute).toBe(true);
    expect(s.next(at('2024-01-01T00:00:00Z'))).toBe(at('2024-01-01T00:00:30Z'));
  });

  it('rejects text that is neither cron nor a TimeSpan', () => {
    expect(() => createSchedule('every five minutes')).toThrow(/was not recognized/);
    expect(() => createSchedule('00:00:00')).toThrow(/was not recognized/);
  });
});

describe('time zones', () => {
  it('uses UTC unless WEBSITE_TIME_ZONE is set, ignoring TZ', () => {
    expect(timeZoneFromSettings({ TZ: 'America/New_York' }).name).toBe('UTC');
  });

  it('evaluates wall-clock schedules in WEBSITE_TIME_ZONE', () => {
    const zone = timeZoneFromSettings({ WEBSITE_TIME_ZONE: 'America/New_York' });
    const s = createSchedule('0 0 9 * * *', zone);
    // 09:00 EST = 14:00 UTC in January; 09:00 EDT = 13:00 UTC in July.
    expect(iso(s.next(at('2024-01-10T00:00:00Z')))).toBe('2024-01-10T14:00:00.000Z');
    expect(iso(s.next(at('2024-07-10T00:00:00Z')))).toBe('2024-07-10T13:00:00.000Z');
    expect(formatTimerDate(at('2024-01-10T14:00:00Z'), zone)).toBe('2024-01-10T09:00:00-05:00');
  });

  it('fires a wall time inside the spring-forward gap once, just after the gap, and a repeated wall time once', () => {
    const zone = timeZoneFromSettings({ WEBSITE_TIME_ZONE: 'America/New_York' });
    // 2024-03-10 02:30 does not exist in New York (02:00 -> 03:00 EDT).
    const gap = createSchedule('0 30 2 * * *', zone);
    expect(iso(gap.next(at('2024-03-10T05:00:00Z')))).toBe('2024-03-10T07:30:00.000Z');
    // 2024-11-03 01:30 happens twice; the first (EDT, 05:30 UTC) fires, then the next day.
    const twice = createSchedule('0 30 1 * * *', zone);
    const first = twice.next(at('2024-11-03T04:00:00Z'));
    expect(iso(first)).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(twice.next(first!))).toBe('2024-11-04T06:30:00.000Z');
  });

  it('rejects an unknown zone naming the setting', () => {
    expect(() => timeZoneFromSettings({ WEBSITE_TIME_ZONE: 'Mars/Olympus' })).toThrow(
      /WEBSITE_TIME_ZONE "Mars\/Olympus" is not a known IANA time zone/,
    );
  });
});

describe('Timer dates', () => {
  it('formats like the Functions host (offset, fraction only when non-zero)', () => {
    expect(formatTimerDate(at('2024-01-01T00:05:00Z'), UTC)).toBe('2024-01-01T00:05:00+00:00');
    expect(formatTimerDate(at('2024-01-01T00:05:00.250Z'), UTC)).toBe('2024-01-01T00:05:00.25+00:00');
  });
});
