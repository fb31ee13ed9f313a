/** The window a schedules timer tick evaluates (pure): catch-up after downtime, nothing retroactive on a first run. */
import { describe, expect, it } from 'vitest';
import { MAX_TICK_CATCH_UP_MS, tickWindowStart } from '../../shared/pipelines/schedules';

const NOW = Date.parse('2026-11-27T21:03:00Z');

describe('tickWindowStart', () => {
  it('evaluates only the last minute when the timer never ran (.NET default date, or no status at all)', () => {
    expect(tickWindowStart('0001-01-01T00:00:00', NOW)).toBe(NOW - 60_000);
    expect(tickWindowStart(undefined, NOW)).toBe(NOW - 60_000);
    expect(tickWindowStart('not a date', NOW)).toBe(NOW - 60_000);
  });

  it('evaluates everything since the last run, but at most 24 h back after a long downtime', () => {
    expect(tickWindowStart('2026-11-27T19:03:00Z', NOW)).toBe(Date.parse('2026-11-27T19:03:00Z'));
    expect(tickWindowStart('2026-11-20T00:00:00Z', NOW)).toBe(NOW - MAX_TICK_CATCH_UP_MS);
  });

  it('treats a last run in the future (clock skew) as no run', () => {
    expect(tickWindowStart('2026-11-28T00:00:00Z', NOW)).toBe(NOW - 60_000);
  });
});
