/**
 * The replay simulation (devhost/durable/replay.ts) against the real durable-functions 3.5.0 executor: the harness
 * (test/durable/harness.ts) feeds histories to the SDK's own orchestrator handler, lets `replayActions` decide the new sequence ids,
 * answers them, and checks that the SDK completes with the expected output and that no replay is flagged as
 * non-deterministic — both with all pending events per episode (batch) and one event per episode.
 */
import * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { replayActions, retryDelayMs, parseTimeSpan, type Allocation } from '../../devhost/durable/replay';
import { EventType, type HistoryEvent } from '../../devhost/durable/types';
import { OrchestratorHarness, REPLAY_OPTIONS } from './harness';

type Gen = df.OrchestrationHandler;

const DAY = 24 * 3600 * 1000;
const OPTS = REPLAY_OPTIONS;

interface DriveResult {
  output: unknown;
  history: HistoryEvent[];
  allocations: Allocation[];
  episodes: number;
  canceled: number[];
  continueAsNew?: { input: unknown };
  unconsumed: HistoryEvent[];
}

type Responder = (a: Allocation, attempt: number) => HistoryEvent | undefined;

/**
 * Runs `fn` in the harness (test/durable/harness.ts: the SDK's own handler + replayActions, every episode checked
 * for non-determinism) until it ends, firing each pending timer in turn.
 */
async function drive(
  fn: Gen,
  opts: { mode: 'batch' | 'single'; input?: unknown; events?: Array<[string, unknown]>; respond?: Responder },
): Promise<DriveResult> {
  const respond: Responder =
    opts.respond ??
    ((a) =>
      a.kind === 'task'
        ? {
            EventType: EventType.TaskCompleted,
            EventId: -1,
            IsPlayed: false,
            Timestamp: new Date().toISOString(),
            TaskScheduledId: a.id,
            Result: JSON.stringify(`${a.name}:${String(a.input)}`),
          }
        : undefined);
  const h = new OrchestratorHarness(fn, {
    mode: opts.mode,
    input: opts.input ?? null,
    respond,
    name: 'T',
    instanceId: 'i1',
  });
  await h.start(opts.events ?? []);
  while (h.status === 'Running' && h.episodes <= 400) {
    if (!(await h.fireNextTimer()))
      throw new Error(
        `stuck after ${h.episodes} episodes; history ${JSON.stringify(h.history.map((e) => e.EventType))}`,
      );
  }
  if (h.status === 'Running') throw new Error('too many episodes');
  const r = h.lastReplay!;
  return {
    output: h.output,
    history: h.history,
    allocations: h.allocations,
    episodes: h.episodes,
    canceled: r.canceledTimerIds,
    ...(r.continueAsNew ? { continueAsNew: r.continueAsNew } : {}),
    unconsumed: r.unconsumedEvents,
  };
}

const ok = (a: Allocation, result: unknown): HistoryEvent => ({
  EventType: EventType.TaskCompleted,
  EventId: -1,
  IsPlayed: false,
  Timestamp: new Date().toISOString(),
  TaskScheduledId: a.id,
  Result: JSON.stringify(result),
});
const fail = (a: Allocation, msg: string): HistoryEvent => ({
  EventType: EventType.TaskFailed,
  EventId: -1,
  IsPlayed: false,
  Timestamp: new Date().toISOString(),
  TaskScheduledId: a.id,
  Reason: msg,
  Details: '',
});

describe.each(['batch', 'single'] as const)('replayActions with the real SDK (%s delivery)', (mode) => {
  it('numbers a sequence densely and completes', async () => {
    const r = await drive(
      function* (ctx) {
        const a: unknown = yield ctx.df.callActivity('A', 'x');
        const b: unknown = yield ctx.df.callActivity('B', a);
        return [a, b];
      },
      { mode },
    );
    expect(r.output).toEqual(['A:"x"', 'B:"A:\\"x\\""']);
    expect(r.allocations.map((a) => a.id)).toEqual([0, 1]);
  });

  it('fan-out with retries: a timer id after every failure, then a new attempt id', async () => {
    const r = await drive(
      function* (ctx) {
        const tasks = [0, 1, 2].map((i) => ctx.df.callActivityWithRetry('Flaky', new df.RetryOptions(1000, 3), i));
        const all: unknown = yield ctx.df.Task.all(tasks);
        return all;
      },
      {
        mode,
        respond: (a, n) =>
          a.kind !== 'task' ? undefined : a.input === 1 && n <= 2 ? fail(a, `f${n}`) : ok(a, `ok${String(a.input)}`),
      },
    );
    expect(r.output).toEqual(['ok0', 'ok1', 'ok2']);
    const purposes = r.allocations.map((a) => a.purpose);
    expect(purposes.filter((p) => p === 'retryTimer')).toHaveLength(2);
    expect(purposes.filter((p) => p === 'retryAttempt')).toHaveLength(2);
  });

  it('retry exhausted: the last failure is thrown after its (immediate) timer and can be caught', async () => {
    const r = await drive(
      function* (ctx) {
        try {
          yield ctx.df.callActivityWithRetry('Bad', new df.RetryOptions(500, 2), 'z');
          return 'no';
        } catch (e) {
          return (e as Error).message;
        }
      },
      { mode, respond: (a, n) => (a.kind === 'task' ? fail(a, `bad ${n}`) : undefined) },
    );
    expect(String(r.output)).toContain('bad 2');
    const timers = r.allocations.filter((a) => a.purpose === 'retryTimer');
    expect(timers).toHaveLength(2);
  });

  it('buffers early events and re-uses one timer across several Task.any calls (identity, not equality)', async () => {
    const r = await drive(
      function* (ctx) {
        const deadline = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 3600_000));
        const got: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const evt = ctx.df.waitForExternalEvent('tick');
          const winner: unknown = yield ctx.df.Task.any([evt, deadline]);
          if (winner === deadline) break;
          got.push(evt.result);
        }
        deadline.cancel();
        return got;
      },
      {
        mode,
        events: [
          ['tick', 1],
          ['tick', 2],
          ['tick', 3],
        ],
      },
    );
    expect(r.output).toEqual([1, 2, 3]);
    expect(r.allocations.filter((a) => a.kind === 'timer')).toHaveLength(1);
    expect(r.canceled).toEqual([0]);
  });

  it('splits a 10-day timer into 3-day segments until the rest fits a short timer (schema V3 long timers)', async () => {
    const r = await drive(
      function* (ctx) {
        yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 10 * DAY));
        return 'woke';
      },
      { mode },
    );
    expect(r.output).toBe('woke');
    // 3-day segments while more than maximumShortTimerDuration (6 days) remains, then the final fire time.
    const segments = r.allocations.filter((a) => a.purpose === 'segment');
    expect(segments).toHaveLength(3);
    expect(segments.at(-1)!.fireAt!.getTime() - segments[0]!.fireAt!.getTime()).toBe(7 * DAY);
  });

  it('sub-orchestration with retry allocates like activities', async () => {
    const r = await drive(
      function* (ctx) {
        const child: unknown = yield ctx.df.callSubOrchestratorWithRetry('Child', new df.RetryOptions(10, 3), { a: 1 });
        return child;
      },
      {
        mode,
        respond: (a, n) =>
          a.kind === 'suborch'
            ? n === 1
              ? {
                  EventType: EventType.SubOrchestrationInstanceFailed,
                  EventId: -1,
                  IsPlayed: false,
                  Timestamp: new Date().toISOString(),
                  TaskScheduledId: a.id,
                  Reason: 'child failed',
                  Details: '',
                }
              : {
                  EventType: EventType.SubOrchestrationInstanceCompleted,
                  EventId: -1,
                  IsPlayed: false,
                  Timestamp: new Date().toISOString(),
                  TaskScheduledId: a.id,
                  Result: '"child ok"',
                }
            : undefined,
      },
    );
    expect(r.output).toBe('child ok');
    expect(r.allocations.map((a) => a.kind)).toEqual(['suborch', 'timer', 'suborch']);
  });

  it('continueAsNew reports the new input and the events the code never consumed', async () => {
    const r = await drive(
      function* (ctx) {
        const first: unknown = yield ctx.df.waitForExternalEvent('e');
        ctx.df.continueAsNew({ first });
        return undefined;
      },
      {
        mode: 'batch',
        events: [
          ['e', 'one'],
          ['e', 'two'],
          ['other', 3],
        ],
      },
    );
    expect(r.continueAsNew).toEqual({ input: { first: 'one' } });
    expect(r.unconsumed.map((e) => e.Input)).toEqual(['"two"', '3']);
  });
});

describe('non-determinism', () => {
  it('flags a changed activity name at its sequence id, naming both', () => {
    const history: HistoryEvent[] = [
      { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: '2024-01-01T00:00:00Z' },
      { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: true, Timestamp: '2024-01-01T00:00:00Z' },
      {
        EventType: EventType.TaskScheduled,
        EventId: 0,
        IsPlayed: true,
        Timestamp: '2024-01-01T00:00:00Z',
        Name: 'Old',
      },
    ];
    const r = replayActions(history, [{ actionType: 0, functionName: 'New', input: null }], OPTS, 'MyOrch');
    expect(r.nonDeterminism).toContain("orchestration 'MyOrch'");
    expect(r.nonDeterminism).toContain("history event 0 is TaskScheduled 'Old'");
    expect(r.nonDeterminism).toContain("CallActivity 'New'");
  });

  it('flags a timer replaced by an activity, and a scheduled task that disappeared', () => {
    const base: HistoryEvent[] = [
      { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: true, Timestamp: '2024-01-01T00:00:00Z' },
      { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: true, Timestamp: '2024-01-01T00:00:00Z' },
      {
        EventType: EventType.TimerCreated,
        EventId: 0,
        IsPlayed: true,
        Timestamp: '2024-01-01T00:00:00Z',
        FireAt: '2024-01-02T00:00:00Z',
      },
    ];
    expect(replayActions(base, [{ actionType: 0, functionName: 'A' }], OPTS).nonDeterminism).toContain('TimerCreated');
    expect(replayActions(base, [], OPTS).nonDeterminism).toContain('no longer schedules anything');
  });
});

describe('helpers', () => {
  it('parses .NET TimeSpans', () => {
    expect(parseTimeSpan('3.00:00:00')).toBe(3 * DAY);
    expect(parseTimeSpan('00:00:01.5')).toBe(1500);
    expect(parseTimeSpan('1 day')).toBeUndefined();
  });

  it('computes DTFx retry delays: exponential, capped, zero after the last attempt', () => {
    const o = {
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 5,
      backoffCoefficient: 2,
      maxRetryIntervalInMilliseconds: 300,
    };
    expect([1, 2, 3, 4, 5].map((f) => retryDelayMs(o, f))).toEqual([100, 200, 300, 300, 0]);
  });
});
