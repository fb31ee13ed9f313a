/** The local host's test clock: time moves forward on `advance`, due callbacks fire in order, nothing fires early. */
import { describe, expect, it } from 'vitest';
import { sleepOn, systemClock, TestClock } from '../../lib/clock';

describe('TestClock', () => {
  it('fires due callbacks in due-time order on advance, and only those', async () => {
    const clock = new TestClock();
    const fired: string[] = [];
    clock.schedule(60_000, () => fired.push('b'));
    clock.schedule(30_000, () => fired.push('a'));
    clock.schedule(30_000, () => fired.push('a2'));
    clock.schedule(3_600_000, () => fired.push('late'));
    await clock.advance(59_000);
    expect(fired).toEqual(['a', 'a2']);
    await clock.advance(1_000);
    expect(fired).toEqual(['a', 'a2', 'b']);
    expect(clock.skewMs).toBe(60_000);
  });

  it('moves now() forward with the offset and never backwards', async () => {
    const clock = new TestClock();
    const before = clock.now();
    await clock.advance(86_400_000);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 86_400_000);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });

  it('a cancelled callback never fires; a short wait still fires in real time without advance', async () => {
    const clock = new TestClock();
    let cancelled = false;
    clock.schedule(10, () => (cancelled = true)).cancel();
    await sleepOn(clock, 20);
    await clock.advance(1_000);
    expect(cancelled).toBe(false);
  });

  it('a callback scheduled by a firing callback fires in the same advance when it is due', async () => {
    const clock = new TestClock();
    const fired: number[] = [];
    clock.schedule(1_000, () => {
      fired.push(1);
      clock.schedule(0, () => fired.push(2));
    });
    await clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toEqual([1, 2]);
  });

  it('systemClock reads the wall clock', () => {
    const t = systemClock.now();
    expect(Math.abs(t - Date.now())).toBeLessThan(1_000);
  });
});
