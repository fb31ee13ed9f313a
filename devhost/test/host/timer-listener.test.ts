/**
 * The timer listener's schedule-status decisions (Azure's ScheduleMonitor rules) against a real status store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TimerListener, type TimerInput } from '../../timer/listener';
import { createSchedule, UTC } from '../../timer/schedule';
import { StatusStore } from '../../timer/status-store';

const at = (iso: string) => Date.parse(iso);

function setup(options: { schedule?: string; runOnStartup?: boolean; useMonitor?: boolean; now: string }) {
  const store = new StatusStore(mkdtempSync(join(tmpdir(), 'devhost-timer-')));
  const calls: { input: TimerInput; reason: string }[] = [];
  let resolveFirst: () => void = () => undefined;
  const firstCall = new Promise<void>((r) => (resolveFirst = r));
  const listener = new TimerListener({
    name: 'job',
    schedule: createSchedule(options.schedule ?? '0 */5 * * * *', UTC),
    zone: UTC,
    runOnStartup: options.runOnStartup ?? false,
    useMonitor: options.useMonitor ?? true,
    store,
    now: () => at(options.now),
    invoke: async (input, reason) => {
      calls.push({ input, reason });
      resolveFirst();
    },
  });
  return { store, calls, listener, firstCall };
}

describe('timer listener', () => {
  it('records the first next occurrence for a new monitored timer and does not run it', async () => {
    const { store, calls, listener } = setup({ now: '2024-01-01T00:01:00Z' });
    listener.start();
    await listener.stop(100);
    expect(store.read('job')).toEqual({
      last: null,
      next: at('2024-01-01T00:05:00Z'),
      lastUpdated: at('2024-01-01T00:01:00Z'),
    });
    expect(listener.nextOccurrence).toBe(at('2024-01-01T00:05:00Z'));
    expect(calls).toHaveLength(0);
  });

  it('runs once with isPastDue when the recorded next occurrence has passed, then records the run', async () => {
    const t = setup({ now: '2024-01-01T01:00:00Z' });
    t.store.write('job', {
      last: at('2024-01-01T00:40:00Z'),
      next: at('2024-01-01T00:45:00Z'),
      lastUpdated: at('2024-01-01T00:40:00Z'),
    });
    t.listener.start();
    await t.firstCall;
    await t.listener.stop(1000);
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]).toEqual({
      reason: 'pastDue',
      input: {
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: '2024-01-01T00:40:00+00:00',
          next: '2024-01-01T00:45:00+00:00',
          lastUpdated: '2024-01-01T00:40:00+00:00',
        },
        isPastDue: true,
      },
    });
    expect(t.store.read('job')).toEqual({
      last: at('2024-01-01T01:00:00Z'),
      next: at('2024-01-01T01:05:00Z'),
      lastUpdated: at('2024-01-01T01:00:00Z'),
    });
  });

  it('treats a changed schedule as a new one instead of a missed run', async () => {
    // Stored for an hourly schedule; the function now runs every 5 minutes.
    const t = setup({ now: '2024-01-01T03:00:30Z' });
    t.store.write('job', {
      last: at('2024-01-01T01:00:00Z'),
      next: at('2024-01-01T02:00:00Z'),
      lastUpdated: at('2024-01-01T01:00:00Z'),
    });
    t.listener.start();
    await t.listener.stop(100);
    expect(t.calls).toHaveLength(0);
    expect(t.store.read('job')).toEqual({
      last: null,
      next: at('2024-01-01T03:05:00Z'),
      lastUpdated: at('2024-01-01T03:00:30Z'),
    });
  });

  it('runs on start-up when asked, with scheduleStatus null when the timer is not monitored', async () => {
    const t = setup({ now: '2024-01-01T00:01:00Z', runOnStartup: true, useMonitor: false });
    t.listener.start();
    await t.firstCall;
    await t.listener.stop(1000);
    expect(t.calls[0]).toEqual({
      reason: 'runOnStartup',
      input: { schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false },
    });
    expect(t.store.read('job')).toBeUndefined();
  });

  it('gives a monitored first run the .NET default dates for last and lastUpdated', async () => {
    const t = setup({ now: '2024-01-01T00:01:00Z', runOnStartup: true });
    t.listener.start();
    await t.firstCall;
    await t.listener.stop(1000);
    expect(t.calls[0]!.input.scheduleStatus).toEqual({
      last: '0001-01-01T00:00:00',
      next: '2024-01-01T00:05:00+00:00',
      lastUpdated: '0001-01-01T00:00:00',
    });
  });
});
