import { describe, expect, it } from 'vitest';
import { cronMatches, nextCronTime, parseCron } from '../../shared/decisions/cron';

/** What the croner-backed cron keeps from the hand-written one beyond test/decisions/drift-cooldown-cron.test.ts. */
describe('policy cron on croner: UTC, day rule, horizon', () => {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

  it('is UTC whatever the process time zone: a minute inside a European or US DST gap still fires once, on time', () => {
    // 02:30 local did not exist in Berlin on 2026-03-29 nor in New York on 2026-03-08; in UTC every minute exists.
    const c = parseCron('30 2 * * *');
    expect(iso(nextCronTime(c, '2026-03-28T03:00:00Z'))).toBe('2026-03-29T02:30:00.000Z');
    expect(iso(nextCronTime(c, '2026-03-07T03:00:00Z'))).toBe('2026-03-08T02:30:00.000Z');
    // and an hour that repeats locally (autumn) fires once
    expect(iso(nextCronTime(c, '2026-10-25T02:30:00Z'))).toBe('2026-10-26T02:30:00.000Z');
  });

  it('reads a restricted field written as a step (*/2) as restricted, as before: day-of-month OR day-of-week', () => {
    // `*/2` in day-of-month is not `*`: with day-of-week 1 restricted too, odd days OR Mondays match.
    const c = parseCron('0 0 */2 * 1');
    expect(cronMatches(c, '2026-05-03T00:00:00Z')).toBe(true); // 3rd, a Sunday: odd day
    expect(cronMatches(c, '2026-05-04T00:00:00Z')).toBe(true); // 4th, a Monday
    expect(cronMatches(c, '2026-05-06T00:00:00Z')).toBe(false); // 6th, a Wednesday
    expect(cronMatches(c, '2026-05-04T00:00:59.999Z')).toBe(true); // seconds are ignored
  });

  it('answers undefined for a schedule that never fires', () => {
    expect(nextCronTime(parseCron('0 0 30 2 *'), '2026-01-01T00:00:00Z')).toBeUndefined();
  });
});
