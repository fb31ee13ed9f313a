/**
 * One timer function's listener, following the Functions host's TimerListener:
 * - with monitoring, the stored status decides whether an occurrence was missed while the host was down; a missed
 *   occurrence runs once at start-up with `isPastDue: true` (however many were missed);
 * - otherwise `runOnStartup` runs it once at start-up;
 * - the next run is armed only after the current one finished, so runs of one timer never overlap; occurrences that
 *   pass during a long run collapse into one immediate run;
 * - a failing run is logged by the host and never stops the schedule.
 */
import { systemClock, type Clock, type ClockTimer } from '../lib/clock';
import type { ScheduleStatus, StatusStore } from './status-store';
import { DEFAULT_TIMER_DATE, formatTimerDate, type TimerSchedule, type TimeZone } from './schedule';

/** The trigger value, exactly as `@azure/functions` hands `Timer` to a handler. */
export interface TimerInput {
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  isPastDue: boolean;
}

export interface TimerListenerOptions {
  name: string;
  schedule: TimerSchedule;
  zone: TimeZone;
  runOnStartup: boolean;
  useMonitor: boolean;
  store: StatusStore;
  invoke(input: TimerInput, reason: 'schedule' | 'pastDue' | 'runOnStartup'): Promise<void>;
  /** The host's clock: occurrences are computed from its time and waited for on it (default the system clock). */
  clock?: Clock;
  /** Overrides only the time read (tests of the past-due rules); waits still use `clock`. */
  now?: () => number;
}

// setTimeout holds at most 2^31-1 ms (24.8 days); longer waits are re-armed in steps.
const MAX_DELAY = 2_147_483_647;

export class TimerListener {
  private status: ScheduleStatus | undefined;
  private handle: ClockTimer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly clock: Clock;

  constructor(private readonly o: TimerListenerOptions) {
    const clock = o.clock ?? systemClock;
    this.clock = clock;
    this.now = o.now ?? (() => clock.now());
  }

  get nextOccurrence(): number | undefined {
    return this.status?.next;
  }

  /** Decides past-due / run-on-startup and arms the timer. Never invokes synchronously. */
  start(): void {
    const now = this.now();
    let pastDue = false;
    if (this.o.useMonitor) {
      const stored = this.o.store.read(this.o.name);
      pastDue = this.checkPastDue(now, stored);
      this.status = stored;
    }
    const next = this.o.schedule.next(now);
    if (next === undefined) return;
    this.status ??= { last: null, next, lastUpdated: null };
    if (pastDue) this.arm(0, 'pastDue', this.status.next);
    else if (this.o.runOnStartup) this.arm(0, 'runOnStartup');
    else this.armNext();
  }

  /** Azure's ScheduleMonitor.CheckPastDueAsync; mutates and persists `stored` when the schedule changed. */
  private checkPastDue(now: number, stored: ScheduleStatus | undefined): boolean {
    const s = this.o.schedule;
    let recordedNext: number;
    if (!stored) {
      const next = s.next(now);
      if (next === undefined) return false;
      this.o.store.write(this.o.name, { last: null, next, lastUpdated: now });
      recordedNext = next;
    } else {
      const base = stored.last ?? stored.lastUpdated ?? now;
      let expected = s.next(base);
      let lastUpdated = base;
      if (expected === undefined) return false;
      if (stored.next !== expected) {
        // The schedule changed since the status was written: recompute instead of reporting a false past-due.
        if (now > expected) {
          expected = s.next(now) ?? expected;
          lastUpdated = now;
        }
        stored.last = null;
        stored.next = expected;
        stored.lastUpdated = lastUpdated;
        this.o.store.write(this.o.name, stored);
      }
      recordedNext = stored.next;
    }
    return now > recordedNext;
  }

  private armNext(): void {
    if (!this.status) return;
    this.arm(Math.max(1, this.status.next - this.now()), 'schedule');
  }

  private arm(delay: number, reason: 'schedule' | 'pastDue' | 'runOnStartup', originalSchedule?: number): void {
    if (this.stopped) return;
    const capped = delay > MAX_DELAY;
    this.handle = this.clock.schedule(Math.min(delay, MAX_DELAY), () => {
      this.handle = undefined;
      if (capped) return this.armNext();
      this.running = this.fire(reason, originalSchedule).finally(() => {
        this.running = undefined;
        this.armNext();
      });
    });
  }

  private async fire(reason: 'schedule' | 'pastDue' | 'runOnStartup', _originalSchedule?: number): Promise<void> {
    if (this.stopped || !this.status) return;
    const invocationTime = this.now();
    const isPastDue = reason === 'pastDue';
    const st = this.status;
    const z = this.o.zone;
    const input: TimerInput = {
      schedule: { adjustForDST: this.o.schedule.adjustForDST },
      scheduleStatus: this.o.useMonitor
        ? {
            last: st.last === null ? DEFAULT_TIMER_DATE : formatTimerDate(st.last, z),
            next: formatTimerDate(st.next, z),
            lastUpdated: st.lastUpdated === null ? DEFAULT_TIMER_DATE : formatTimerDate(st.lastUpdated, z),
          }
        : null,
      isPastDue,
    };
    try {
      await this.o.invoke(input, reason);
    } catch {
      // Logged by the host with the invocation id; the schedule goes on.
    }
    // A timer that fires slightly early must not compute the same `next` twice (a restart would then run it twice).
    const adjusted = reason === 'schedule' && st.next > invocationTime ? st.next : invocationTime;
    const next = this.o.schedule.next(adjusted);
    if (next === undefined) return;
    this.status = { last: adjusted, next, lastUpdated: adjusted };
    if (this.o.useMonitor) this.o.store.write(this.o.name, this.status);
  }

  /** Stops arming; waits (bounded) for a running invocation. */
  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    this.handle?.cancel();
    this.handle = undefined;
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, deadlineMs).unref())]);
  }
}
