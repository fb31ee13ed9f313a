/**
 * The local host's time source. Engines (durable timers, Service Bus lock expiry / scheduled messages / TTL, timer
 * triggers) read time and schedule time-based waits only through a `Clock`, so tests can move time forward instead
 * of sleeping.
 *
 * Invariants:
 * - `systemClock` is wall-clock time: `now()` is `Date.now()` and `schedule` is `setTimeout`.
 * - `TestClock` runs at wall-clock speed plus an offset: `advance(ms)` adds to the offset and at once fires every
 *   scheduled callback that is now due, in due-time order (ties in scheduling order); the others are re-armed for
 *   their remaining time. Nothing ever fires before its due time on the clock, and time never goes backwards.
 * - Use the clock only for waits that mean time passing (a durable timer, a lock that expires). Work loops, polling
 *   and back-pressure keep real `setTimeout`/`setImmediate`: a test that never calls `advance` sees the host behave
 *   exactly as before.
 */
export interface ClockTimer {
  /** Stop the callback from firing; no effect after it fired. */
  cancel(): void;
  /** Do not keep the process alive for this timer alone (as `Timeout.unref`). Returns the timer. */
  unref(): ClockTimer;
}

export interface Clock {
  /** Milliseconds since the epoch on this clock. */
  now(): number;
  /** Run `fn` once, when `ms` have passed on this clock (a negative or NaN delay is 0). */
  schedule(ms: number, fn: () => void): ClockTimer;
}

const delay = (ms: number): number => (Number.isFinite(ms) && ms > 0 ? Math.min(ms, 2_147_483_647) : 0);

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, delay(ms));
    const timer: ClockTimer = {
      cancel: () => clearTimeout(t),
      unref: () => {
        t.unref();
        return timer;
      },
    };
    return timer;
  },
};

/** Sleep on `clock` (resolves when `ms` have passed on it). */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => void clock.schedule(ms, resolve));
}

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
  handle?: NodeJS.Timeout;
  unref: boolean;
  done: boolean;
}

/** Wall-clock time plus an offset that tests move forward with `advance`. */
export class TestClock implements Clock {
  private offset = 0;
  private seq = 0;
  private readonly pending = new Set<Pending>();

  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offset;
  }

  /** How far this clock is ahead of wall-clock time, in ms. */
  get skewMs(): number {
    return this.offset;
  }

  schedule(ms: number, fn: () => void): ClockTimer {
    const p: Pending = { due: this.now() + delay(ms), seq: this.seq++, fn, unref: false, done: false };
    this.pending.add(p);
    this.arm(p);
    const timer: ClockTimer = {
      cancel: () => this.finish(p),
      unref: () => {
        p.unref = true;
        p.handle?.unref();
        return timer;
      },
    };
    return timer;
  }

  /**
   * Move the clock forward by `ms` and fire every callback now due, in due-time order. Resolves after each fired
   * callback had one macrotask turn to run what it started synchronously.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance(ms) needs a non-negative number of ms, got ${ms}`);
    this.offset += ms;
    const now = this.now();
    const due = [...this.pending].filter((p) => p.due <= now).sort((a, b) => a.due - b.due || a.seq - b.seq);
    for (const p of due) {
      if (p.done) continue;
      this.finish(p);
      p.fn();
      await new Promise<void>((r) => setImmediate(r));
    }
    for (const p of this.pending) this.arm(p);
  }

  private arm(p: Pending): void {
    if (p.handle) clearTimeout(p.handle);
    p.handle = setTimeout(
      () => {
        if (p.done) return;
        // The wall clock may be a little early against `due` (timer granularity): re-arm rather than fire early.
        if (this.now() < p.due) return this.arm(p);
        this.finish(p);
        p.fn();
      },
      delay(p.due - this.now()),
    );
    if (p.unref) p.handle.unref();
  }

  private finish(p: Pending): void {
    p.done = true;
    if (p.handle) clearTimeout(p.handle);
    this.pending.delete(p);
  }
}
