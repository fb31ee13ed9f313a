/**
 * In-process orchestrator harness: runs an orchestrator with the SDK's own handler (what `df.app.orchestration`
 * registers) and devhost/durable/replay.ts deciding sequence ids, with no host, no store and a virtual clock.
 *
 * - Activities and sub-orchestrations are answered by the test's handlers (scripted or real functions); a handler
 *   may return `PENDING` to leave the call open (answer it later with `complete`/`fail`).
 * - Timers fire only when the test calls `advance(ms)` (in fire-time order, each in its own episode), so a 3-day
 *   approval deadline takes milliseconds. Cancelled timers never fire.
 * - `raise(name, value)` delivers an external event. Every episode replays the whole history and fails the test
 *   on non-determinism, as the local engine would fail the instance.
 * - Episodes take every ready event at once (batch, as the engine does after downtime) or one at a time (`single`).
 */
import * as df from 'durable-functions';
// Order matters: the capture is installed before the orchestrator modules register themselves.
import { registered } from './harness-capture';
import '../../orchestrations/promotion/modelPromotion';
import '../../orchestrations/promotion/promotionCheck';
import '../../orchestrations/rollback/modelRollback';
import '../../orchestrations/jobs/runJob';
import '../../orchestrations/pipelines/ci';
import '../../orchestrations/pipelines/release';
import '../../orchestrations/pipelines/scheduled';
import '../../orchestrations/retraining/coordinator';
import '../../orchestrations/retraining/run';
import '../../orchestrations/retraining/wake';
import '../../orchestrations/serving/rollout';
import { replayActions, scheduledEventType, type Allocation, type ReplayResult } from '../../devhost/durable/replay';
import { EventType, type HistoryEvent } from '../../devhost/durable/types';

export type Gen = df.OrchestrationHandler;
type SdkOrchestrator = (trigger: unknown, ctx: unknown) => Promise<unknown>;

// The SDK's own orchestrator wrapper, without a host.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createOrchestrator } = require('durable-functions/lib/src/util/testingUtils') as {
  createOrchestrator: (fn: Gen) => SdkOrchestrator;
};

const DAY = 24 * 3600 * 1000;
/** What the local engine and the Azure extension use (schema V3 long timers). */
export const REPLAY_OPTIONS = { maxShortTimerMs: 6 * DAY, longTimerIntervalMs: 3 * DAY };
export const SDK_VERSION = (require('durable-functions/package.json') as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports

/** Returned by a handler to leave its call open. */
export const PENDING: unique symbol = Symbol('pending');

export interface CallInfo {
  /** Sequence id of this call (attempts of a retried call have their own ids). */
  id: number;
  name: string;
  /** Attempt number of this name + input (1 for the first). */
  attempt: number;
  now: Date;
  instanceId?: string;
}
export type Handler = (input: unknown, call: CallInfo) => unknown;

export interface HarnessOptions {
  input?: unknown;
  instanceId?: string;
  /** Virtual start time (default 2024-01-01T00:00:00Z). */
  start?: string;
  activities?: Record<string, Handler>;
  subOrchestrations?: Record<string, Handler>;
  mode?: 'batch' | 'single';
  /**
   * Low level, for calls no handler names: answer with a history event (TaskCompleted, SubOrchestrationInstanceFailed…)
   * or undefined to leave the call open.
   */
  respond?: (a: Allocation, attempt: number) => HistoryEvent | undefined;
  /** Orchestration name used in non-determinism messages. */
  name?: string;
}

export type HarnessStatus = 'Running' | 'Completed' | 'Failed' | 'ContinuedAsNew';

interface SdkState {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** Every registered orchestrator of the app (name → generator). */
export function registeredOrchestrators(): ReadonlyMap<string, Gen> {
  return registered;
}

export function orchestratorNamed(name: string): Gen {
  const fn = registered.get(name);
  if (!fn) throw new Error(`no orchestrator '${name}' registered ; known: ${[...registered.keys()].join(', ')}`);
  return fn;
}

const ev = (e: Omit<HistoryEvent, 'EventId' | 'IsPlayed'> & { EventId?: number }): HistoryEvent =>
  ({ EventId: -1, IsPlayed: false, ...e }) as HistoryEvent;

function decodeInput(a: Allocation): unknown {
  if (a.kind === 'task' && typeof a.input === 'string') {
    try {
      return JSON.parse(a.input) as unknown;
    } catch {
      return a.input;
    }
  }
  return a.input;
}

/** Builds the trigger the Functions host hands the SDK for one episode. */
export function sdkTrigger(
  history: readonly HistoryEvent[],
  input: unknown,
  instanceId: string,
): Record<string, unknown> {
  return {
    history: JSON.parse(JSON.stringify(history)) as unknown,
    input: input ?? null,
    instanceId,
    isReplaying: false,
    parentInstanceId: null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}

/** Runs the SDK over a history once and returns its state (actions of this replay, output, custom status). */
export async function runSdk(
  fn: Gen,
  history: readonly HistoryEvent[],
  input: unknown,
  instanceId: string,
  name = 'orchestrator',
): Promise<SdkState> {
  return (await createOrchestrator(fn)(
    sdkTrigger(history, input, instanceId),
    new df.DummyOrchestrationContext(name, 'inv', () => undefined),
  )) as SdkState;
}

export class OrchestratorHarness {
  readonly instanceId: string;
  readonly name: string;
  status: HarnessStatus = 'Running';
  output: unknown;
  error: string | undefined;
  customStatus: unknown;
  continueAsNew: { input: unknown } | undefined;
  episodes = 0;
  /** Every history event committed so far (IsPlayed set on earlier episodes' events). */
  history: HistoryEvent[] = [];
  /** The latest replay's allocations (sequence ids of everything scheduled). */
  allocations: Allocation[] = [];
  /** The latest episode's replay (cancelled timers, unconsumed events…). */
  lastReplay: ReplayResult | undefined;

  private now: number;
  private readonly inbox: HistoryEvent[] = [];
  private readonly timers = new Map<number, number>();
  private readonly open = new Map<number, Allocation>();
  private readonly attempts = new Map<string, number>();
  private readonly fn: Gen;

  constructor(
    orchestrator: Gen | string,
    private readonly opts: HarnessOptions = {},
  ) {
    this.fn = typeof orchestrator === 'string' ? orchestratorNamed(orchestrator) : orchestrator;
    this.name = opts.name ?? (typeof orchestrator === 'string' ? orchestrator : 'orchestrator');
    this.instanceId = opts.instanceId ?? 'harness-1';
    this.now = Date.parse(opts.start ?? '2024-01-01T00:00:00Z');
  }

  /** The virtual clock. */
  get currentTime(): Date {
    return new Date(this.now);
  }

  /** Calls left open by a PENDING answer (activities, sub-orchestrations), oldest first. */
  get pending(): Allocation[] {
    return [...this.open.values()];
  }

  /** Timers that will fire on `advance`, as [sequence id, fire time]. */
  get pendingTimers(): Array<{ id: number; fireAt: Date }> {
    return [...this.timers.entries()]
      .map(([id, at]) => ({ id, fireAt: new Date(at) }))
      .sort((a, b) => a.fireAt.getTime() - b.fireAt.getTime());
  }

  /** Starts the instance; `events` are raised at the same instant (delivered with the start in batch mode). */
  async start(events: ReadonlyArray<readonly [string, unknown]> = []): Promise<this> {
    this.inbox.push(
      ev({
        EventType: EventType.ExecutionStarted,
        Timestamp: this.iso(),
        Name: this.name,
        Input: JSON.stringify(this.opts.input ?? null),
      }),
    );
    for (const [name, value] of events)
      this.inbox.push(
        ev({ EventType: EventType.EventRaised, Timestamp: this.iso(), Name: name, Input: JSON.stringify(value) }),
      );
    await this.runToIdle();
    return this;
  }

  async raise(name: string, value: unknown): Promise<this> {
    this.inbox.push(
      ev({ EventType: EventType.EventRaised, Timestamp: this.iso(), Name: name, Input: JSON.stringify(value) }),
    );
    await this.runToIdle();
    return this;
  }

  /** Answers an open call (activity or sub-orchestration) by its sequence id. */
  async complete(id: number, result: unknown): Promise<this> {
    const a = this.take(id);
    this.inbox.push(this.success(a, result));
    await this.runToIdle();
    return this;
  }

  async fail(id: number, message: string): Promise<this> {
    const a = this.take(id);
    this.inbox.push(this.failure(a, message));
    await this.runToIdle();
    return this;
  }

  /** Moves the virtual clock forward, firing every timer that falls due, in order, each in its own episode. */
  async advance(ms: number): Promise<this> {
    const until = this.now + ms;
    for (;;) {
      const next = this.pendingTimers[0];
      if (!next || next.fireAt.getTime() > until || this.status !== 'Running') break;
      this.now = Math.max(this.now, next.fireAt.getTime());
      this.timers.delete(next.id);
      this.inbox.push(
        ev({
          EventType: EventType.TimerFired,
          Timestamp: this.iso(),
          TimerId: next.id,
          FireAt: next.fireAt.toISOString(),
        }),
      );
      await this.runToIdle();
    }
    this.now = Math.max(this.now, until);
    return this;
  }

  private take(id: number): Allocation {
    const a = this.open.get(id);
    if (!a)
      throw new Error(
        `no open call with id ${id}; open: ${this.pending.map((p) => `${p.id} ${p.name ?? ''}`).join(', ') || 'none'}`,
      );
    this.open.delete(id);
    return a;
  }

  private iso(): string {
    return new Date(this.now).toISOString();
  }

  private success(a: Allocation, result: unknown): HistoryEvent {
    // As the local engine records it: undefined becomes null.
    const Result = JSON.stringify(result ?? null);
    return ev({
      EventType: a.kind === 'suborch' ? EventType.SubOrchestrationInstanceCompleted : EventType.TaskCompleted,
      Timestamp: this.iso(),
      TaskScheduledId: a.id,
      Result,
    });
  }

  private failure(a: Allocation, message: string): HistoryEvent {
    return ev({
      EventType: a.kind === 'suborch' ? EventType.SubOrchestrationInstanceFailed : EventType.TaskFailed,
      Timestamp: this.iso(),
      TaskScheduledId: a.id,
      Reason: message,
      Details: '',
    });
  }

  private answer(a: Allocation): void {
    const handlers = a.kind === 'suborch' ? this.opts.subOrchestrations : this.opts.activities;
    const handler = a.name !== undefined ? handlers?.[a.name] : undefined;
    const key = `${a.name ?? ''}:${JSON.stringify(a.input)}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    if (!handler) {
      const e = this.opts.respond?.(a, attempt);
      if (e) this.inbox.push(e);
      else this.open.set(a.id, a);
      return;
    }
    let result: unknown;
    try {
      result = handler(decodeInput(a), {
        id: a.id,
        name: a.name ?? '',
        attempt,
        now: new Date(this.now),
        ...(a.instanceId ? { instanceId: a.instanceId } : {}),
      });
    } catch (e) {
      this.inbox.push(this.failure(a, e instanceof Error ? e.message : String(e)));
      return;
    }
    if (result === PENDING) this.open.set(a.id, a);
    else this.inbox.push(this.success(a, result));
  }

  /** Runs episodes while events are ready; a timer already due (a zero retry delay) fires without `advance`. */
  private async runToIdle(): Promise<void> {
    for (;;) {
      if (!this.inbox.length) {
        const due = this.pendingTimers[0];
        if (!due || due.fireAt.getTime() > this.now) return;
        this.timers.delete(due.id);
        this.inbox.push(
          ev({
            EventType: EventType.TimerFired,
            Timestamp: this.iso(),
            TimerId: due.id,
            FireAt: due.fireAt.toISOString(),
          }),
        );
      }
      if (this.status !== 'Running') return;
      const take = this.opts.mode === 'single' ? this.inbox.splice(0, 1) : this.inbox.splice(0);
      await this.episode(take);
    }
  }

  /** Advances the clock to the next pending timer and fires it (and whatever falls due with it). */
  async fireNextTimer(): Promise<boolean> {
    const next = this.pendingTimers[0];
    if (!next) return false;
    await this.advance(Math.max(0, next.fireAt.getTime() - this.now));
    return true;
  }

  private async episode(take: HistoryEvent[]): Promise<void> {
    this.episodes++;
    const full = [
      ...this.history.map((e) => ({ ...e, IsPlayed: true })),
      ev({ EventType: EventType.OrchestratorStarted, Timestamp: this.iso() }),
      ...take,
    ];
    const state = await runSdk(this.fn, full, this.opts.input, this.instanceId, this.name);
    const r = replayActions(full, state.actions[0] ?? [], REPLAY_OPTIONS, this.name);
    if (r.nonDeterminism) throw new Error(r.nonDeterminism);
    if (r.unsupported) throw new Error(r.unsupported);
    this.allocations = r.allocations;
    this.lastReplay = r;
    for (const a of r.newAllocations) {
      const type = scheduledEventType(a.kind);
      full.push(
        ev({
          EventType: type,
          EventId: a.id,
          Timestamp: this.iso(),
          ...(a.name ? { Name: a.name } : {}),
          ...(a.fireAt ? { FireAt: a.fireAt.toISOString() } : {}),
          ...(a.input !== undefined ? { Input: typeof a.input === 'string' ? a.input : JSON.stringify(a.input) } : {}),
          ...(a.instanceId ? { InstanceId: a.instanceId } : {}),
        }),
      );
    }
    for (const id of r.canceledTimerIds) this.timers.delete(id);
    this.history = full;
    this.customStatus = state.customStatus;
    if (state.error !== undefined) {
      this.status = 'Failed';
      this.error = state.error;
      return;
    }
    if (r.continueAsNew) {
      this.status = 'ContinuedAsNew';
      this.continueAsNew = r.continueAsNew;
      return;
    }
    if (state.isDone) {
      this.status = 'Completed';
      this.output = state.output;
      return;
    }
    for (const a of r.newAllocations) {
      if (a.kind === 'timer') {
        if (!r.canceledTimerIds.includes(a.id)) this.timers.set(a.id, a.fireAt!.getTime());
      } else if (a.kind === 'task' || a.kind === 'suborch') this.answer(a);
    }
  }
}

/** Starts an orchestrator in the harness and runs it until it waits (or ends). */
export async function runOrchestrator(
  orchestrator: Gen | string,
  opts: HarnessOptions = {},
): Promise<OrchestratorHarness> {
  return new OrchestratorHarness(orchestrator, opts).start();
}
