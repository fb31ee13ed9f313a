import { describe, expect, it } from 'vitest';
import { nextPollAt, pollDelayMs, pollPolicy, retryDelayMs } from '../../shared/jobs/backoff';

describe('job poll schedule', () => {
  it('doubles from the initial delay up to the maximum', () => {
    const p = pollPolicy(1, 8);
    expect([0, 1, 2, 3, 4, 5].map((n) => pollDelayMs(p, n))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('never polls past the overall deadline', () => {
    const p = pollPolicy(5, 60);
    expect(nextPollAt(p, 3, 1_000, 10_000)).toBe(10_000);
    expect(nextPollAt(p, 0, 1_000, 10_000)).toBe(6_000);
  });

  it('defaults to 5 s doubling to 60 s, and a maximum below the initial delay is raised to it', () => {
    expect(pollPolicy()).toEqual({ initialMs: 5_000, maxMs: 60_000 });
    expect(pollPolicy(10, 2)).toEqual({ initialMs: 10_000, maxMs: 10_000 });
  });

  it('retries of a failed check back off from the policy backoff, doubling', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(30_000, a))).toEqual([30_000, 60_000, 120_000]);
  });
});
