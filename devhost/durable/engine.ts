/**
 * The local Durable Task engine: runs orchestration episodes and activities for one task hub on a DurableStore.
 *
 * Invariants:
 * - One episode per instance at a time (`busy` from dispatch until its commit is done).
 * - An episode's history, status, custom status, output, new work items, timers, sub-orchestration starts and
 *   parent notifications commit in one transaction; effects (running activities, arming timers, waking other
 *   instances) happen only after that commit. A crash before it re-runs the episode from the same messages.
 * - Activities run at least once: the work item is deleted in the same transaction that stores its result.
 * - No polling: work is dispatched on in-process signals (commit callbacks, one timeout for the earliest timer).
 * - Time comes only from the injected clock (`EngineOptions.clock`): history timestamps, instance times, and the wait
 *   for the earliest durable timer. An episode's decisions are the pure functions of episode.ts.
 * - Running instances keep their history in memory (like extended sessions); it is read from disk only after a
 *   restart. Terminal instances are dropped from memory.
 * - In memory, history events are kept in the form the SDK turns them into (Timestamp as a Date), and the same
 *   objects are handed to every episode: durable-functions 3.5.0 writes nothing on history events except that
 *   string→Date conversion (Utils.parseTimestampsAsDates), so no per-episode deep copy is needed.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HostLogger } from '../host/types';
import { systemClock, type Clock, type ClockTimer } from '../lib/clock';
import { CommitQueue } from '../lib/commit-queue';
import { EntityRunner } from './entities';
import {
  customStatusOf,
  episodeOutcome,
  errorText,
  ev,
  iso,
  orchestratorPayload,
  readInvocation,
  triageInbox,
  type PendingMsg,
} from './episode';
import { DEFAULT_HTTP_TIMEOUT_MS, runDurableHttp } from './http-activity';
import { HTTP_ACTIVITY, replayActions, type Allocation, type ReplayOptions } from './replay';
import { rewindHistory, type ChildState } from './rewind';
import type { DurableStore } from './store';
import { MinHeap } from '../lib/heap';
import { versionMismatch, type VersioningOptions } from './versioning';
import {
  EventType,
  isTerminal,
  type ActivityItem,
  type EntityOperation,
  type HistoryEvent,
  type InboxMessage,
  type InstanceRow,
  type ParentRef,
  type RuntimeStatusName,
  type TimerItem,
} from './types';

export interface EngineOptions {
  store: DurableStore;
  hubName: string;
  logger: HostLogger;
  maxConcurrentOrchestrators: number;
  maxConcurrentActivities: number;
  maxShortTimerMs: number;
  longTimerIntervalMs: number;
  /** TimeSpan strings sent to the SDK (must parse to the two numbers above). */
  maxShortTimerSpan: string;
  longTimerIntervalSpan: string;
  /** Canonical orchestrator name for a (case-insensitive) name, or undefined. */
  resolveOrchestrator(name: string): string | undefined;
  resolveActivity(name: string): string | undefined;
  invokeOrchestrator(name: string, payload: unknown, instanceId: string): Promise<unknown>;
  invokeActivity(name: string, input: unknown, instanceId: string): Promise<unknown>;
  resolveEntity(name: string): string | undefined;
  invokeEntity(name: string, payload: unknown, entityId: string): Promise<unknown>;
  /** host.json defaultVersion / versionMatchStrategy / versionFailureStrategy (undefined: no versioning). */
  versioning?: VersioningOptions;
  /** host.json overridableExistingInstanceStates: 'AnyState' lets startNew replace a running instance. */
  overridableExistingInstanceStates?: 'NonRunningStates' | 'AnyState';
  /** Timeout of one durable HTTP request (callHttp). */
  httpTimeoutMs?: number;
  /** host.json httpSettings.defaultAsyncRequestSleepTimeMilliseconds: poll interval for a 202 without Retry-After. */
  httpPollDefaultMs?: number;
  /**
   * Time source (default the system clock): every history timestamp and `updatedAt` is read from it and durable
   * timers (user timers, long-timer segments, retry and 202 poll timers) wait on it. Work loops keep real timers.
   */
  clock?: Clock;
}

interface Runtime {
  row: InstanceRow;
  /** The current execution's history, Timestamps as Dates (see the module invariant). */
  history: HistoryEvent[] | undefined;
  pending: PendingMsg[];
  busy: boolean;
  queued: boolean;
  /** timerId → timer row id, for cancellation. */
  timerRows: Map<number, number>;
  lastEpisodeAt: number;
  /** Set while the instance's version is rejected by this worker (versionFailureStrategy Reject); logged once. */
  versionRejected?: boolean;
}

export class DurableConflictError extends Error {
  readonly status = 409;
}

export interface EngineStats {
  episodes: number;
  activities: number;
  commits: number;
  writes: number;
  activeInstances: number;
  queuedActivities: number;
  timers: number;
}

/** Default of defaultHttpAsyncRequestSleepTimeMillseconds sent to the SDK (poll interval for a 202 without Retry-After). */
const HTTP_POLL_DEFAULT_MS = 30_000;

/** The in-memory (SDK) form of an event: Timestamp as a Date. */
function sdkForm(e: HistoryEvent, isPlayed: boolean): HistoryEvent {
  return { ...e, IsPlayed: isPlayed, Timestamp: e.Timestamp instanceof Date ? e.Timestamp : new Date(e.Timestamp) };
}

function newId(): string {
  return randomUUID().replace(/-/g, '');
}

function newUuid(): string {
  return randomUUID();
}

/** JSON text for a value the SDK may have pre-encoded (activity/continueAsNew string inputs are JSON already). */
export function decodeEncodedInput(v: unknown): string {
  if (typeof v === 'string') {
    try {
      JSON.parse(v);
      return v;
    } catch {
      return JSON.stringify(v);
    }
  }
  return JSON.stringify(v ?? null) ?? 'null';
}

export class DurableEngine {
  readonly commits: CommitQueue;
  private readonly store: DurableStore;
  private readonly log: HostLogger;
  private readonly active = new Map<string, Runtime>();
  private readonly ready: Runtime[] = [];
  private readyHead = 0;
  private runningOrch = 0;
  private readonly activityQueue: ActivityItem[] = [];
  private activityHead = 0;
  private runningActivities = 0;
  private readonly timers = new MinHeap<TimerItem>((a, b) => a.fireAt - b.fireAt || a.rowId - b.rowId);
  private readonly canceledTimerRows = new Set<number>();
  private timerHandle: ClockTimer | undefined;
  private timerDueAt = Infinity;
  private nextRow = 0;
  private stopped = false;
  private readonly completionWaiters = new Map<string, Array<() => void>>();
  /** Instances whose rewind is being committed (a second rewind is refused meanwhile). */
  private readonly rewinding = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  readonly stats = { episodes: 0, activities: 0 };
  /** Hook for benchmarks/tests: called when an activity starts (after dispatch). */
  onActivityStart: ((instanceId: string, name: string) => void) | undefined;
  /** Hook for benchmarks: orchestrator call duration by replayed history length. */
  onEpisode: ((historyLength: number, ms: number) => void) | undefined;

  readonly entities: EntityRunner;
  private readonly clock: Clock;

  constructor(private readonly o: EngineOptions) {
    this.clock = o.clock ?? systemClock;
    this.store = o.store;
    this.log = o.logger;
    this.commits = new CommitQueue(o.store);
    this.entities = new EntityRunner({
      store: o.store,
      clock: this.clock,
      commits: this.commits,
      log: o.logger,
      maxConcurrent: o.maxConcurrentOrchestrators,
      rowId: () => this.rowId(),
      resolveEntity: (name) => o.resolveEntity(name),
      invokeEntity: (name, payload, entityId) => o.invokeEntity(name, payload, entityId),
      deliverToInstance: (instanceId, rowId, message) =>
        this.deliverLocal(instanceId, { source: 'inbox', rowId, executionId: null, message }),
      isInstanceActive: (id) => this.active.has(id),
    });
  }

  private rowId(): number {
    return ++this.nextRow;
  }

  // ---------------------------------------------------------------- start / stop

  /** Load in-flight state and resume: pending activities re-run, due timers fire, waiting instances keep waiting. */
  start(): void {
    this.nextRow = this.store.maxRowId();
    for (const row of this.store.activeInstances()) this.active.set(row.instanceId, this.runtime(row));
    const orphans: { inbox: number[]; timers: number[]; activities: number[] } = {
      inbox: [],
      timers: [],
      activities: [],
    };
    const entityOps: Array<{ entityId: string; rowId: number; op: EntityOperation }> = [];
    for (const m of this.store.loadInbox()) {
      if (m.message.kind === 'entityOp') {
        entityOps.push({ entityId: m.instanceId, rowId: m.rowId, op: m.message.op });
        continue;
      }
      const rt = this.active.get(m.instanceId);
      if (!rt) orphans.inbox.push(m.rowId);
      else rt.pending.push({ source: 'inbox', rowId: m.rowId, executionId: m.executionId, message: m.message });
    }
    for (const t of this.store.loadTimers()) {
      const rt = this.active.get(t.instanceId);
      if (!rt || rt.row.executionId !== t.executionId) orphans.timers.push(t.rowId);
      else {
        rt.timerRows.set(t.timerId, t.rowId);
        this.timers.push(t);
      }
    }
    for (const a of this.store.loadActivities()) {
      const rt = this.active.get(a.instanceId);
      if (!rt || rt.row.executionId !== a.executionId) orphans.activities.push(a.rowId);
      else this.activityQueue.push(a);
    }
    if (orphans.inbox.length || orphans.timers.length || orphans.activities.length) {
      this.store.transaction(() => {
        this.store.deleteInbox(orphans.inbox);
        this.store.deleteTimers(orphans.timers);
        for (const id of orphans.activities) this.store.deleteActivity(id);
      });
    }
    const resumed = this.active.size;
    if (resumed || this.activityQueue.length || this.timers.size) {
      this.log.log('information', 'Durable task hub resumed in-flight work', {
        hub: this.o.hubName,
        instances: resumed,
        activities: this.activityQueue.length - this.activityHead,
        timers: this.timers.size,
      });
    }
    for (const rt of this.active.values()) this.schedule(rt);
    for (const e of entityOps) this.entities.enqueue(e.entityId, e.rowId, e.op);
    this.pumpActivities();
    this.armTimer();
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    this.entities.stop();
    this.timerHandle?.cancel();
    // A shutdown deadline is wall-clock time, not the engine's clock.
    const deadline = Date.now() + deadlineMs;
    while (
      (this.runningOrch > 0 ||
        this.runningActivities > 0 ||
        this.entities.busy ||
        [...this.active.values()].some((r) => r.busy)) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.commits.flush();
  }

  getStats(): EngineStats {
    return {
      episodes: this.stats.episodes,
      activities: this.stats.activities,
      commits: this.commits.commits,
      writes: this.commits.writes,
      activeInstances: this.active.size,
      queuedActivities: this.activityQueue.length - this.activityHead,
      timers: this.timers.size,
    };
  }

  private runtime(row: InstanceRow): Runtime {
    return { row, history: undefined, pending: [], busy: false, queued: false, timerRows: new Map(), lastEpisodeAt: 0 };
  }

  // ---------------------------------------------------------------- client operations

  isActive(instanceId: string): boolean {
    return this.active.has(instanceId);
  }

  /** Start (or restart a finished) instance. Resolves after the start is committed. */
  async startNew(
    name: string,
    instanceId: string | undefined,
    inputJson: string | null,
    version = '',
  ): Promise<string> {
    const id = instanceId ?? newId();
    let existing = this.active.get(id);
    if (existing && this.o.overridableExistingInstanceStates !== 'AnyState') {
      throw new DurableConflictError(
        `An instance with ID '${id}' already exists and is ${existing.row.status}; wait for it to finish, terminate it, or use another instance ID`,
      );
    }
    // overridableExistingInstanceStates AnyState: the running instance is replaced (its pending work is dropped).
    // Wait for an episode in flight so its commit cannot land after the new start.
    for (let i = 0; existing?.busy && i < 6000; i++) {
      await new Promise((r) => setTimeout(r, 5));
      existing = this.active.get(id);
    }
    if (existing?.busy) throw new DurableConflictError(`The instance '${id}' is busy; try again`);
    if (existing) {
      this.active.delete(id);
      for (const r of existing.timerRows.values()) this.canceledTimerRows.add(r);
      this.log.log(
        'information',
        'Running instance replaced by a new start (overridableExistingInstanceStates AnyState)',
        { instanceId: id },
      );
    }
    if (!version && this.o.versioning?.defaultVersion) version = this.o.versioning.defaultVersion;
    const now = this.clock.now();
    const executionId = newId();
    const row: InstanceRow = {
      instanceId: id,
      name,
      version,
      executionId,
      status: 'Pending',
      input: inputJson,
      output: null,
      customStatus: null,
      createdAt: now,
      updatedAt: now,
      parent: null,
    };
    const rt = this.runtime(row);
    rt.history = [];
    this.active.set(id, rt);
    const msg = this.startMessage(row, now);
    try {
      await this.commits.run(() => {
        this.store.deleteInstance(id);
        this.store.upsertInstance(row);
        this.store.insertInbox(msg.rowId, id, msg.executionId, msg.message);
      });
    } catch (e) {
      this.active.delete(id);
      throw e;
    }
    rt.pending.push(msg);
    this.schedule(rt);
    return id;
  }

  private startMessage(row: InstanceRow, now: number): PendingMsg {
    const event = ev(EventType.ExecutionStarted, now, {
      Name: row.name,
      Version: row.version,
      Input: row.input,
      OrchestrationInstance: { InstanceId: row.instanceId, ExecutionId: row.executionId },
      ParentInstance: row.parent
        ? {
            Name: row.parent.name,
            OrchestrationInstance: { InstanceId: row.parent.instanceId, ExecutionId: row.parent.executionId },
            TaskScheduleId: row.parent.taskScheduledId,
          }
        : null,
      Tags: null,
    });
    return { source: 'inbox', rowId: this.rowId(), executionId: row.executionId, message: { kind: 'event', event } };
  }

  /** Deliver a message to a running instance. Returns false when the instance is not active (unknown or finished). */
  async send(instanceId: string, message: InboxMessage): Promise<boolean> {
    const rt = this.active.get(instanceId);
    if (!rt) return false;
    const m: PendingMsg = { source: 'inbox', rowId: this.rowId(), executionId: null, message };
    await this.commits.run(() => this.store.insertInbox(m.rowId, instanceId, null, message));
    const now = this.active.get(instanceId);
    if (now) {
      now.pending.push(m);
      this.schedule(now);
    }
    return true;
  }

  raiseEvent(instanceId: string, name: string, inputJson: string | null): Promise<boolean> {
    return this.send(instanceId, {
      kind: 'event',
      event: ev(EventType.EventRaised, this.clock.now(), { Name: name, Input: inputJson }),
    });
  }

  /**
   * Rewind a Failed instance (rewind.ts): its failed and in-flight work is removed from history and runs again;
   * Failed sub-orchestrations are rewound with it. Resolves after the commit.
   */
  async rewind(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'notFailed'> {
    const root = this.store.getInstance(instanceId);
    if (!root) return 'notFound';
    if (root.status !== 'Failed' || this.active.has(instanceId) || this.rewinding.has(instanceId)) return 'notFailed';
    const plans: Array<{ row: InstanceRow; history: HistoryEvent[]; msg: PendingMsg }> = [];
    const seen = new Set<string>();
    const childState = (id: string): ChildState => {
      if (this.active.has(id)) return 'active';
      return this.store.getInstance(id)?.status === 'Failed' ? 'failed' : 'other';
    };
    const visit = (row: InstanceRow) => {
      if (seen.has(row.instanceId)) return;
      seen.add(row.instanceId);
      const plan = rewindHistory(this.store.loadHistory(row.instanceId), childState);
      const now = this.clock.now();
      const newRow: InstanceRow = { ...row, status: 'Running', output: null, updatedAt: now };
      const msg: PendingMsg = {
        source: 'inbox',
        rowId: this.rowId(),
        executionId: row.executionId,
        message: { kind: 'event', event: ev(EventType.ExecutionRewound, now, { Reason: reason }) },
      };
      plans.push({ row: newRow, history: plan.history, msg });
      for (const child of plan.children) {
        const c = this.store.getInstance(child);
        if (c && c.status === 'Failed' && !this.active.has(child)) visit(c);
      }
    };
    visit(root);
    for (const p of plans) this.rewinding.add(p.row.instanceId);
    try {
      await this.commits.run(() => {
        for (const p of plans) {
          const id = p.row.instanceId;
          this.store.clearHistory(id);
          this.store.appendHistory(
            id,
            0,
            p.history.map((e) => JSON.stringify(e)),
          );
          this.store.updateInstanceState(id, p.row);
          this.store.insertInbox(p.msg.rowId, id, p.msg.executionId, p.msg.message);
        }
      });
    } finally {
      for (const p of plans) this.rewinding.delete(p.row.instanceId);
    }
    for (const p of plans) {
      if (this.active.has(p.row.instanceId)) continue;
      const rt = this.runtime(p.row);
      rt.history = p.history.map((e) => sdkForm(e, true));
      rt.pending.push(p.msg);
      this.active.set(p.row.instanceId, rt);
      this.schedule(rt);
    }
    this.log.log('information', 'Instance rewound', { instanceId, instances: plans.length, reason });
    return 'ok';
  }

  /** Resolves when the instance is no longer active (or after timeoutMs). */
  waitForCompletion(instanceId: string, timeoutMs: number): Promise<void> {
    if (!this.active.has(instanceId)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const list = this.completionWaiters.get(instanceId) ?? [];
      this.completionWaiters.set(instanceId, list);
      list.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** Resolves when nothing is queued, running or armed (benchmarks, tests). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    return (
      this.runningOrch === 0 &&
      this.runningActivities === 0 &&
      this.readyHead >= this.ready.length &&
      this.activityHead >= this.activityQueue.length &&
      ![...this.active.values()].some((r) => r.busy || r.pending.length)
    );
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  async historyOf(instanceId: string): Promise<HistoryEvent[]> {
    const rt = this.active.get(instanceId);
    if (rt?.history && !rt.busy) return rt.history;
    return this.store.loadHistory(instanceId);
  }

  // ---------------------------------------------------------------- orchestrator dispatch

  private processable(rt: Runtime): boolean {
    if (!rt.pending.length) return false;
    if (rt.row.status !== 'Suspended') return true;
    return rt.pending.some((m) => m.message.kind === 'resume' || m.message.kind === 'terminate');
  }

  private schedule(rt: Runtime): void {
    if (this.stopped || rt.busy || rt.queued || !this.processable(rt)) return;
    rt.queued = true;
    this.ready.push(rt);
    this.pumpOrchestrators();
  }

  private pumpOrchestrators(): void {
    while (
      !this.stopped &&
      this.runningOrch < this.o.maxConcurrentOrchestrators &&
      this.readyHead < this.ready.length
    ) {
      const rt = this.ready[this.readyHead++]!;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      rt.queued = false;
      if (rt.busy || this.active.get(rt.row.instanceId) !== rt) continue;
      rt.busy = true;
      this.runningOrch++;
      void this.episode(rt).catch((e: unknown) => {
        this.log.log('error', 'Durable episode failed inside the engine; will retry', {
          instanceId: rt.row.instanceId,
          error: (e as Error).stack ?? String(e),
        });
        rt.history = undefined;
        rt.busy = false;
        setTimeout(() => this.schedule(rt), 1000).unref();
      });
    }
  }

  private ensureHistory(rt: Runtime): void {
    if (rt.history) return;
    rt.history = this.store.loadHistory(rt.row.instanceId).map((e) => sdkForm(e, true));
  }

  private async episode(rt: Runtime): Promise<void> {
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.runningOrch--;
        this.pumpOrchestrators();
      }
    };
    try {
      await this.episodeInner(rt, release);
    } finally {
      release();
    }
  }

  private async episodeInner(rt: Runtime, releaseSlot: () => void): Promise<void> {
    this.ensureHistory(rt);
    const history = rt.history!;
    const row = rt.row;
    const instanceId = row.instanceId;
    const taken = rt.pending;
    rt.pending = [];
    const now0 = this.clock.now();
    const tri = triageInbox(
      taken,
      row,
      history.some((e) => e.EventType === EventType.ExecutionStarted),
      now0,
    );
    const { consumedInbox, consumedTimers, inbound, control, terminateReason } = tri;
    let status = tri.status;
    const started = tri.started;
    for (const timerId of tri.firedTimerIds) rt.timerRows.delete(timerId);
    rt.pending = tri.held.concat(rt.pending);

    // Every event gets a timestamp ≥ the previous episode's and ≥ any timer it fires (long timers depend on it).
    const now = Math.max(now0, tri.maxFireAt, rt.lastEpisodeAt);
    rt.lastEpisodeAt = now;

    if (terminateReason !== undefined) {
      await this.finishTerminated(rt, terminateReason, now, consumedInbox, consumedTimers, releaseSlot);
      return;
    }

    const hasWork = started && inbound.length > 0;
    const mismatch = hasWork ? versionMismatch(row.version, this.o.versioning) : undefined;
    if (mismatch && this.o.versioning?.failureStrategy !== 'Fail') {
      // versionFailureStrategy Reject: leave the work queued for a compatible worker (here: the host restarted with
      // a newer defaultVersion, which reloads the inbox). Control messages were applied above.
      releaseSlot();
      if (!rt.versionRejected) {
        rt.versionRejected = true;
        this.log.log(
          'warning',
          `${mismatch}; the work stays queued until a worker with a compatible defaultVersion runs it (versionFailureStrategy Reject)`,
          { instanceId, orchestration: row.name },
        );
      }
      const consumed = new Set([...consumedInbox, ...consumedTimers]);
      const requeue = taken.filter((m) => m.message.kind === 'event' && consumed.has(m.rowId));
      rt.pending = requeue.concat(rt.pending);
      const keep = new Set(requeue.map((m) => m.rowId));
      const wasStarted = history.some((e) => e.EventType === EventType.ExecutionStarted);
      await this.commitEpisode(rt, {
        consumedInbox: consumedInbox.filter((r) => !keep.has(r)),
        consumedTimers: consumedTimers.filter((r) => !keep.has(r)),
        appended: control,
        status: wasStarted || status === 'Suspended' ? status : 'Pending',
        output: row.output,
        customStatus: row.customStatus,
        hold: true,
      });
      return;
    }
    if (mismatch) {
      releaseSlot();
      const text = `Orchestrator function '${row.name}' failed: ${mismatch} (versionFailureStrategy Fail)`;
      this.log.log('warning', 'Orchestration failed', { instanceId, orchestration: row.name, error: text });
      const appended = [
        ev(EventType.OrchestratorStarted, now),
        ...inbound,
        ...control,
        ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 3, Result: text }),
        ev(EventType.OrchestratorCompleted, now),
      ];
      await this.commitEpisode(rt, {
        consumedInbox,
        consumedTimers,
        appended,
        status: 'Failed',
        output: JSON.stringify(text),
        customStatus: row.customStatus,
        parentNotice: ev(EventType.SubOrchestrationInstanceFailed, now, { Reason: text, Details: text }),
      });
      return;
    }
    if (!hasWork) {
      // Only control messages (or messages for an old execution): record them, no orchestrator call.
      releaseSlot();
      const appended = control;
      await this.commitEpisode(rt, {
        consumedInbox,
        consumedTimers,
        appended,
        status,
        output: row.output,
        customStatus: row.customStatus,
      });
      return;
    }

    const osEvent = ev(EventType.OrchestratorStarted, now);
    const newEvents = [osEvent, ...inbound, ...control].map((e) => sdkForm(e, false));
    const full = history.concat(newEvents);
    const payload = orchestratorPayload(full, history.length, row, {
      longTimerIntervalSpan: this.o.longTimerIntervalSpan,
      maxShortTimerSpan: this.o.maxShortTimerSpan,
      httpPollDefaultMs: this.o.httpPollDefaultMs ?? HTTP_POLL_DEFAULT_MS,
    });

    const invokeStarted = performance.now();
    let invocation: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      invocation = { ok: true, value: await this.o.invokeOrchestrator(row.name, payload, instanceId) };
    } catch (error) {
      invocation = { ok: false, error };
    }
    releaseSlot();
    this.stats.episodes++;
    this.onEpisode?.(payload.history.length, performance.now() - invokeStarted);
    const read = readInvocation(invocation);
    const state = read.state;
    let failure = read.failure;

    const appended: HistoryEvent[] = [...newEvents];
    const effects: Effects = {
      activities: [],
      timers: [],
      children: [],
      immediate: [],
      canceledTimerRows: [],
      entityOps: [],
    };
    const custom = customStatusOf(state, row.customStatus);
    failure ??= custom.failure;

    let continueAsNew: { input: string; carry: HistoryEvent[] } | undefined;
    if (!failure && state) {
      const actions: unknown[] = state.actions?.[0] ?? [];
      let replay;
      try {
        replay = replayActions(full, actions, this.replayOptions(), row.name);
      } catch (e) {
        replay = undefined;
        failure = {
          message: `The local durable engine could not replay the orchestration: ${errorText(e).message}`,
          details: errorText(e).stack,
        };
      }
      if (replay?.unsupported) failure = { message: replay.unsupported, details: '' };
      else if (replay?.nonDeterminism) failure = { message: replay.nonDeterminism, details: '' };
      else if (replay) {
        const lock = replay.newAllocations.find((a) => a.purpose === 'lock' || a.purpose === 'release');
        if (lock)
          failure = {
            message: 'Entity critical sections (context.df.lock) are not supported by the local durable engine',
            details: '',
          };
        else {
          for (const a of replay.newAllocations)
            appended.push(this.schedulingEvent(rt, a, now, effects, replay.canceledTimerIds));
          for (const timerId of replay.canceledTimerIds) {
            const r = rt.timerRows.get(timerId);
            if (r !== undefined) {
              effects.canceledTimerRows.push(r);
              rt.timerRows.delete(timerId);
            }
          }
          if (state.isDone && replay.continueAsNew) {
            continueAsNew = { input: decodeEncodedInput(replay.continueAsNew.input), carry: replay.unconsumedEvents };
          }
        }
      }
    }

    const out = episodeOutcome({
      name: row.name,
      status,
      output: row.output,
      state,
      failure,
      continueAsNewInput: continueAsNew?.input,
      now,
    });
    if (out.failedWith !== undefined)
      this.log.log('warning', 'Orchestration failed', { instanceId, orchestration: row.name, error: out.failedWith });
    if (out.outputError !== undefined)
      this.log.log('warning', 'Orchestration output is not JSON-serialisable', { instanceId, error: out.outputError });
    appended.push(...out.closing);
    status = out.status;

    await this.commitEpisode(rt, {
      consumedInbox,
      consumedTimers,
      appended,
      status,
      output: out.output,
      customStatus: custom.customStatus,
      effects,
      ...(out.parentNotice ? { parentNotice: out.parentNotice } : {}),
      ...(continueAsNew ? { continueAsNew } : {}),
    });
  }

  private replayOptions(): ReplayOptions {
    return {
      maxShortTimerMs: this.o.maxShortTimerMs,
      longTimerIntervalMs: this.o.longTimerIntervalMs,
      httpPollDefaultMs: this.o.httpPollDefaultMs ?? HTTP_POLL_DEFAULT_MS,
    };
  }

  /** The history event for a new allocation, and the work it causes (collected into `effects`). */
  private schedulingEvent(rt: Runtime, a: Allocation, now: number, fx: Effects, canceled: number[]): HistoryEvent {
    const row = rt.row;
    switch (a.kind) {
      case 'task': {
        const inputJson = decodeEncodedInput(a.input);
        const name = a.name ?? '';
        const canonical = a.purpose === 'http' ? HTTP_ACTIVITY : this.o.resolveActivity(name);
        if (a.failWith) {
          // A retry attempt after the retry timeout expired: recorded as failed with the last error, not run.
          fx.immediate.push({
            instanceId: row.instanceId,
            executionId: row.executionId,
            event: ev(EventType.TaskFailed, now, { TaskScheduledId: a.id, ...a.failWith }),
          });
        } else if (!canonical) {
          const reason = `The function '${name}' doesn't exist, is disabled, or is not an activity function. Additional info: the app registers these activities: ${this.o.resolveActivity('*') ?? '(none)'}`;
          fx.immediate.push({
            instanceId: row.instanceId,
            executionId: row.executionId,
            event: ev(EventType.TaskFailed, now, { TaskScheduledId: a.id, Reason: reason, Details: reason }),
          });
        } else
          fx.activities.push({
            rowId: this.rowId(),
            instanceId: row.instanceId,
            executionId: row.executionId,
            taskId: a.id,
            name: canonical,
            input: inputJson,
          });
        return ev(EventType.TaskScheduled, now, { EventId: a.id, Name: name, Version: '', Input: `[${inputJson}]` });
      }
      case 'timer': {
        const fireAt = (a.fireAt ?? new Date(now)).getTime();
        if (!canceled.includes(a.id)) {
          const rowId = this.rowId();
          fx.timers.push({
            rowId,
            instanceId: row.instanceId,
            executionId: row.executionId,
            timerId: a.id,
            fireAt,
            event: ev(EventType.TimerFired, fireAt, { TimerId: a.id, FireAt: iso(fireAt) }),
          });
        }
        return ev(EventType.TimerCreated, now, { EventId: a.id, FireAt: iso(fireAt) });
      }
      case 'suborch': {
        const childId = a.instanceId ?? `${row.executionId}:${a.id}`;
        const name = a.name ?? '';
        const inputJson = a.input === undefined ? null : (JSON.stringify(a.input) ?? null);
        const canonical = this.o.resolveOrchestrator(name);
        const version = a.version || this.o.versioning?.defaultVersion || '';
        const fail = (reason: string) =>
          fx.immediate.push({
            instanceId: row.instanceId,
            executionId: row.executionId,
            event: ev(EventType.SubOrchestrationInstanceFailed, now, {
              TaskScheduledId: a.id,
              Reason: reason,
              Details: reason,
            }),
          });
        if (a.failWith)
          fx.immediate.push({
            instanceId: row.instanceId,
            executionId: row.executionId,
            event: ev(EventType.SubOrchestrationInstanceFailed, now, { TaskScheduledId: a.id, ...a.failWith }),
          });
        else if (!canonical)
          fail(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
        else if (this.active.has(childId) || fx.children.some((c) => c.instanceId === childId))
          fail(`An orchestration with instance ID '${childId}' already exists and is still running.`);
        else {
          fx.children.push({
            instanceId: childId,
            name: canonical,
            version,
            executionId: newId(),
            status: 'Pending',
            input: inputJson,
            output: null,
            customStatus: null,
            createdAt: now,
            updatedAt: now,
            parent: { instanceId: row.instanceId, executionId: row.executionId, taskScheduledId: a.id, name: row.name },
          });
        }
        return ev(EventType.SubOrchestrationInstanceCreated, now, {
          EventId: a.id,
          Name: name,
          Version: version,
          InstanceId: childId,
          Input: inputJson,
        });
      }
      default: {
        // SignalEntity / CallEntity: a request message to the entity; a call's reply comes back as EventRaised{Name: id}.
        const entityId = a.instanceId ?? '';
        const isSignal = a.purpose === 'signal';
        const requestId = newUuid();
        const inputJson = a.input === undefined ? null : (JSON.stringify(a.input) ?? null);
        const op: EntityOperation = {
          name: a.name ?? '',
          input: inputJson,
          isSignal,
          ...(isSignal ? {} : { id: requestId, parent: row.instanceId }),
        };
        const target = /^@([^@]*)@/.exec(entityId)?.[1] ?? '';
        if (!this.o.resolveEntity(target)) {
          if (!isSignal) {
            const payload = JSON.stringify({
              result: JSON.stringify(`No entity function named '${target}' is registered`),
              exceptionType: 'Error',
            });
            fx.immediate.push({
              instanceId: row.instanceId,
              executionId: row.executionId,
              event: ev(EventType.EventRaised, now, { Name: requestId, Input: payload }),
            });
          } else
            this.log.log('warning', 'Signal to an entity function that does not exist was dropped', {
              instanceId: row.instanceId,
              entityId,
            });
        } else fx.entityOps.push({ entityId, rowId: this.rowId(), op });
        const request = {
          op: op.name,
          ...(isSignal ? { signal: true } : {}),
          input: inputJson ?? undefined,
          id: requestId,
          parent: row.instanceId,
          parentExecution: row.executionId,
        };
        return ev(EventType.EventSent, now, {
          EventId: a.id,
          Name: 'op',
          InstanceId: entityId,
          Input: JSON.stringify(request),
        });
      }
    }
  }

  private async finishTerminated(
    rt: Runtime,
    reason: string,
    now: number,
    consumedInbox: number[],
    consumedTimers: number[],
    releaseSlot: () => void,
  ): Promise<void> {
    releaseSlot();
    const appended = [
      ev(EventType.ExecutionTerminated, now, { Input: reason }),
      ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 5, Result: reason }),
    ];
    const notice = ev(EventType.SubOrchestrationInstanceFailed, now, {
      Reason: `The sub-orchestration '${rt.row.instanceId}' was terminated: ${reason}`,
      Details: reason,
    });
    await this.commitEpisode(rt, {
      consumedInbox,
      consumedTimers,
      appended,
      status: 'Terminated',
      output: JSON.stringify(reason),
      customStatus: rt.row.customStatus,
      parentNotice: notice,
    });
  }

  private commitEpisode(rt: Runtime, ep: EpisodeCommit): Promise<void> {
    const row = rt.row;
    const id = row.instanceId;
    const updatedAt = this.clock.now();
    const terminal = isTerminal(ep.status);
    const fx = ep.effects ?? {
      activities: [],
      timers: [],
      children: [],
      immediate: [],
      canceledTimerRows: [],
      entityOps: [],
    };
    const appendedSdk = ep.appended.map((e) =>
      sdkForm(e, !(e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted)),
    );
    const appendedJson = appendedSdk.map((e) => JSON.stringify(e));
    const fromSeq = rt.history!.length;
    const cont = ep.continueAsNew;
    const newExecution = cont ? newId() : row.executionId;
    const startMsgs: PendingMsg[] = [];
    const childStarts: Array<{ row: InstanceRow; msg: PendingMsg }> = fx.children.map((c) => ({
      row: c,
      msg: this.startMessage(c, updatedAt),
    }));
    const immediate: Array<{ instanceId: string; msg: PendingMsg }> = fx.immediate.map((i) => ({
      instanceId: i.instanceId,
      msg: {
        source: 'inbox',
        rowId: this.rowId(),
        executionId: i.executionId,
        message: { kind: 'event', event: i.event },
      },
    }));
    let parentMsg: { instanceId: string; msg: PendingMsg } | undefined;
    if (terminal && row.parent && ep.parentNotice) {
      parentMsg = {
        instanceId: row.parent.instanceId,
        msg: {
          source: 'inbox',
          rowId: this.rowId(),
          executionId: row.parent.executionId,
          message: { kind: 'event', event: { ...ep.parentNotice, TaskScheduledId: row.parent.taskScheduledId } },
        },
      };
    }
    const newRow: InstanceRow = {
      ...row,
      status: cont ? 'Running' : ep.status,
      output: cont ? null : ep.output,
      customStatus: ep.customStatus,
      updatedAt,
      executionId: newExecution,
      input: cont ? cont.input : row.input,
    };
    if (cont) {
      startMsgs.push(this.startMessage(newRow, updatedAt));
      for (const e of cont.carry)
        startMsgs.push({
          source: 'inbox',
          rowId: this.rowId(),
          executionId: null,
          message: {
            kind: 'event',
            event: {
              ...e,
              IsPlayed: false,
              Timestamp: e.Timestamp instanceof Date ? e.Timestamp.toISOString() : e.Timestamp,
            },
          },
        });
    }

    return new Promise<void>((resolve) => {
      this.commits.enqueue(
        () => {
          const s = this.store;
          s.deleteInbox(ep.consumedInbox);
          s.deleteTimers(ep.consumedTimers);
          s.deleteTimers(fx.canceledTimerRows);
          if (cont) {
            s.clearHistory(id);
            s.deleteTimers([...rt.timerRows.values()]);
          } else s.appendHistory(id, fromSeq, appendedJson);
          s.updateInstanceState(id, newRow);
          for (const a of fx.activities) s.insertActivity(a);
          for (const t of fx.timers) s.insertTimer(t);
          for (const c of childStarts) {
            s.deleteInstance(c.row.instanceId);
            s.upsertInstance(c.row);
            s.insertInbox(c.msg.rowId, c.row.instanceId, c.msg.executionId, c.msg.message);
          }
          for (const m of immediate) s.insertInbox(m.msg.rowId, m.instanceId, m.msg.executionId, m.msg.message);
          for (const e of fx.entityOps) s.insertInbox(e.rowId, e.entityId, null, { kind: 'entityOp', op: e.op });
          for (const m of startMsgs) s.insertInbox(m.rowId, id, m.executionId, m.message);
          if (parentMsg)
            s.insertInbox(parentMsg.msg.rowId, parentMsg.instanceId, parentMsg.msg.executionId, parentMsg.msg.message);
          if (terminal) s.deletePendingWork(id);
        },
        (error) => {
          if (error) {
            this.log.log('error', 'Durable commit failed; the episode will be retried', {
              instanceId: id,
              error: error.message,
            });
            rt.history = undefined;
            rt.busy = false;
            setTimeout(() => this.reloadAndSchedule(id), 1000).unref();
            return;
          }
          this.afterCommit(rt, {
            newRow,
            appendedSdk,
            cont: !!cont,
            startMsgs,
            childStarts,
            immediate,
            parentMsg,
            fx,
            terminal,
            hold: ep.hold === true,
          });
          resolve();
        },
      );
    });
  }

  private reloadAndSchedule(instanceId: string): void {
    const row = this.store.getInstance(instanceId);
    const rt = this.active.get(instanceId);
    if (!rt) return;
    if (!row || isTerminal(row.status)) {
      this.active.delete(instanceId);
      return;
    }
    rt.row = row;
    const pending = this.store.loadInbox().filter((m) => m.instanceId === instanceId);
    rt.pending = pending.map((m) => ({
      source: 'inbox',
      rowId: m.rowId,
      executionId: m.executionId,
      message: m.message,
    }));
    this.schedule(rt);
  }

  private afterCommit(rt: Runtime, c: AfterCommit): void {
    const id = rt.row.instanceId;
    rt.row = c.newRow;
    if (c.cont) {
      rt.history = [];
      rt.timerRows.clear();
      rt.pending = c.startMsgs.concat(rt.pending);
    } else {
      for (const e of c.appendedSdk) rt.history!.push(e);
    }
    for (const r of c.fx.canceledTimerRows) this.canceledTimerRows.add(r);
    for (const t of c.fx.timers) {
      rt.timerRows.set(t.timerId, t.rowId);
      this.timers.push(t);
    }
    if (c.fx.timers.length) this.armTimer();
    for (const a of c.fx.activities) this.activityQueue.push(a);
    for (const cs of c.childStarts) {
      const crt = this.runtime(cs.row);
      crt.history = [];
      crt.pending.push(cs.msg);
      this.active.set(cs.row.instanceId, crt);
      this.schedule(crt);
    }
    for (const m of c.immediate) this.deliverLocal(m.instanceId, m.msg);
    for (const e of c.fx.entityOps) this.entities.enqueue(e.entityId, e.rowId, e.op);
    rt.busy = false;
    if (c.terminal) {
      this.active.delete(id);
      for (const r of rt.timerRows.values()) this.canceledTimerRows.add(r);
      const waiters = this.completionWaiters.get(id);
      if (waiters) {
        this.completionWaiters.delete(id);
        for (const w of waiters) w();
      }
    } else if (!c.hold) this.schedule(rt);
    if (c.parentMsg) this.deliverLocal(c.parentMsg.instanceId, c.parentMsg.msg);
    this.pumpActivities();
    this.checkIdle();
  }

  private deliverLocal(instanceId: string, msg: PendingMsg): void {
    const rt = this.active.get(instanceId);
    if (!rt) return;
    rt.pending.push(msg);
    this.schedule(rt);
  }

  // ---------------------------------------------------------------- activities

  private pumpActivities(): void {
    while (
      !this.stopped &&
      this.runningActivities < this.o.maxConcurrentActivities &&
      this.activityHead < this.activityQueue.length
    ) {
      const item = this.activityQueue[this.activityHead++]!;
      if (this.activityHead > 1024 && this.activityHead * 2 > this.activityQueue.length) {
        this.activityQueue.splice(0, this.activityHead);
        this.activityHead = 0;
      }
      this.runningActivities++;
      void this.runActivity(item);
    }
    this.checkIdle();
  }

  private async runActivity(item: ActivityItem): Promise<void> {
    let event: HistoryEvent;
    const rt0 = this.active.get(item.instanceId);
    if (!rt0 || rt0.row.executionId !== item.executionId) {
      // The instance finished or moved on (terminated, continued as new): drop the work item.
      this.runningActivities--;
      this.commits.enqueue(
        () => this.store.deleteActivity(item.rowId),
        () => this.pumpActivities(),
      );
      return;
    }
    this.onActivityStart?.(item.instanceId, item.name);
    try {
      const input = JSON.parse(item.input) as unknown;
      const result =
        item.name === HTTP_ACTIVITY
          ? await runDurableHttp(input, this.o.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS)
          : await this.o.invokeActivity(item.name, input, item.instanceId);
      let text: string;
      try {
        text = JSON.stringify(result ?? null) ?? 'null';
      } catch (e) {
        throw new Error(
          `Activity '${item.name}' returned a value that cannot be serialised to JSON: ${errorText(e).message}`,
        );
      }
      event = ev(EventType.TaskCompleted, this.clock.now(), { TaskScheduledId: item.taskId, Result: text });
    } catch (e) {
      event = this.activityFailure(item, e);
    }
    this.stats.activities++;
    this.runningActivities--;
    const rt = this.active.get(item.instanceId);
    const deliver = !!rt && rt.row.executionId === item.executionId;
    const msg: PendingMsg = {
      source: 'inbox',
      rowId: this.rowId(),
      executionId: item.executionId,
      message: { kind: 'event', event },
    };
    this.commits.enqueue(
      () => {
        this.store.deleteActivity(item.rowId);
        if (deliver) this.store.insertInbox(msg.rowId, item.instanceId, item.executionId, msg.message);
      },
      (error) => {
        if (error) {
          this.log.log('error', 'Could not store an activity result; the activity will run again', {
            instanceId: item.instanceId,
            activity: item.name,
            error: error.message,
          });
          this.activityQueue.push(item);
        } else if (deliver) this.deliverLocal(item.instanceId, msg);
        this.pumpActivities();
      },
    );
    this.pumpActivities();
  }

  private activityFailure(item: ActivityItem, e: unknown): HistoryEvent {
    const { message, stack } = errorText(e);
    const reason = `Activity function '${item.name}' failed:  ${message}`;
    const details = JSON.stringify({ Message: message, StackTrace: stack });
    let failureDetails: Record<string, unknown> | undefined;
    try {
      const p = JSON.parse(message) as Record<string, unknown>;
      if (p && typeof p === 'object' && 'errorType' in p && 'errorMessage' in p && 'properties' in p) {
        failureDetails = {
          ErrorType: p['errorType'],
          ErrorMessage: p['errorMessage'],
          StackTrace: p['stackTrace'] ?? stack,
          IsNonRetriable: p['isNonRetriable'] ?? false,
          Properties: p['properties'],
        };
      }
    } catch {
      /* plain message */
    }
    this.log.log('warning', 'Activity failed', { instanceId: item.instanceId, activity: item.name, error: message });
    return ev(EventType.TaskFailed, this.clock.now(), {
      TaskScheduledId: item.taskId,
      Reason: reason,
      Details: details,
      ...(failureDetails ? { FailureDetails: failureDetails } : {}),
    });
  }

  // ---------------------------------------------------------------- timers

  private armTimer(): void {
    if (this.stopped) return;
    const next = this.timers.peek();
    if (!next) return;
    if (next.fireAt >= this.timerDueAt && this.timerHandle) return;
    this.timerHandle?.cancel();
    this.timerDueAt = next.fireAt;
    // The clock caps the delay (a later timer is re-armed when this one fires early against it).
    this.timerHandle = this.clock.schedule(next.fireAt - this.clock.now(), () => {
      this.timerHandle = undefined;
      this.timerDueAt = Infinity;
      this.fireTimers();
    });
  }

  private fireTimers(): void {
    const now = this.clock.now();
    const orphans: number[] = [];
    for (let t = this.timers.peek(); t && t.fireAt <= now; t = this.timers.peek()) {
      this.timers.pop();
      if (this.canceledTimerRows.delete(t.rowId)) continue;
      const rt = this.active.get(t.instanceId);
      if (!rt || rt.row.executionId !== t.executionId) {
        orphans.push(t.rowId);
        continue;
      }
      rt.pending.push({
        source: 'timer',
        rowId: t.rowId,
        executionId: t.executionId,
        message: { kind: 'event', event: t.event },
      });
      this.schedule(rt);
    }
    if (orphans.length)
      this.commits.enqueue(
        () => this.store.deleteTimers(orphans),
        () => undefined,
      );
    this.armTimer();
  }
}

interface Effects {
  entityOps: Array<{ entityId: string; rowId: number; op: EntityOperation }>;
  activities: ActivityItem[];
  timers: TimerItem[];
  children: InstanceRow[];
  immediate: Array<{ instanceId: string; executionId: string; event: HistoryEvent }>;
  canceledTimerRows: number[];
}

interface EpisodeCommit {
  consumedInbox: number[];
  consumedTimers: number[];
  appended: HistoryEvent[];
  status: RuntimeStatusName;
  output: string | null;
  customStatus: string | null;
  effects?: Effects;
  parentNotice?: HistoryEvent;
  continueAsNew?: { input: string; carry: HistoryEvent[] };
  /** Do not reschedule after the commit (work held back: version rejected). */
  hold?: boolean;
}

interface AfterCommit {
  newRow: InstanceRow;
  appendedSdk: HistoryEvent[];
  cont: boolean;
  startMsgs: PendingMsg[];
  childStarts: Array<{ row: InstanceRow; msg: PendingMsg }>;
  immediate: Array<{ instanceId: string; msg: PendingMsg }>;
  parentMsg: { instanceId: string; msg: PendingMsg } | undefined;
  fx: Effects;
  terminal: boolean;
  hold: boolean;
}

export type { ParentRef };
