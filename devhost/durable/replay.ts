/**
 * Replays an orchestrator's returned actions against its history the way durable-functions 3.x's
 * TaskOrchestrationExecutor does (durable-protocol.md §3.2, §4.7), to learn what the SDK cannot tell us:
 * which sequence id belongs to which action, which ids are new this episode, which timers were cancelled,
 * which raised events were never consumed, and whether the code still matches its history (§4.8).
 *
 * Invariants (mirrored from the SDK, verified against 3.5.0 source):
 * - Ids are dense 0..N-1 per execution, allocated depth-first when a yielded task is tracked, +1 per
 *   SignalEntity, +N per ReleaseEntities; WaitForExternalEvent and ContinueAsNew take none.
 * - A completion for a key nobody tracks yet is deferred FIFO per key (so early events are buffered).
 * - Retry: after every failed attempt (including the last) one timer id, then (if attempts remain) one attempt id.
 * - Long timers (schema V3): decided against currentUtcDateTime when first seen; one segment id at a time.
 * - The same action object appearing twice in one episode's action list (a task re-used in a second
 *   Task.any/all) is one task: identity, not equality, decides.
 */
import { EventType, type HistoryEvent } from './types';

export type AllocKind = 'task' | 'timer' | 'suborch' | 'eventSent';
export type AllocPurpose =
  | 'activity'
  | 'retryAttempt'
  | 'timer'
  | 'retryTimer'
  | 'segment'
  | 'suborch'
  | 'signal'
  | 'entityCall'
  | 'lock'
  | 'release'
  | 'http';

/** The activity name DTFx schedules a durable HTTP call (CallHttp) under. */
export const HTTP_ACTIVITY = 'BuiltIn::HttpActivity';

/** A failure to record for an attempt without running it (retry timeout expired, or a non-retriable failure). */
export interface RetryStop {
  Reason: string;
  Details: string;
  FailureDetails?: unknown;
}

/** The history event that records an allocation of this kind as scheduled. */
export function scheduledEventType(kind: AllocKind): number {
  return kind === 'task'
    ? EventType.TaskScheduled
    : kind === 'timer'
      ? EventType.TimerCreated
      : kind === 'suborch'
        ? EventType.SubOrchestrationInstanceCreated
        : EventType.EventSent;
}

export interface Allocation {
  id: number;
  kind: AllocKind;
  purpose: AllocPurpose;
  /** Activity / sub-orchestration name, entity operation. */
  name?: string;
  /** The action's input as the SDK encoded it (activity strings are pre-encoded JSON). */
  input?: unknown;
  /** Timers: when to fire. */
  fireAt?: Date;
  /** Sub-orchestrations: explicit instance id (if any). Entities: the target scheduler id. */
  instanceId?: string;
  version?: string;
  /** The raw action (entities, locks). */
  action?: Record<string, unknown>;
  /**
   * Retry attempts after the retry timeout expired: the SDK still counts attempts up to maxNumberOfAttempts, so the
   * engine records each remaining attempt as failed with the last real failure instead of running it.
   */
  failWith?: RetryStop;
}

export interface ReplayOptions {
  maxShortTimerMs: number;
  longTimerIntervalMs: number;
  /** Poll interval for a 202 without Retry-After (the `defaultHttpAsyncRequestSleepTimeMillseconds` sent). */
  httpPollDefaultMs?: number;
}

export interface ReplayResult {
  allocations: Allocation[];
  /** Ids allocated in this replay that have no scheduling event in the history yet, in allocation order. */
  newAllocations: Allocation[];
  /** Timer ids whose action is cancelled and that have not fired. */
  canceledTimerIds: number[];
  /** EventRaised events the code never received (carried over by continueAsNew). */
  unconsumedEvents: HistoryEvent[];
  continueAsNew?: { input: unknown };
  /** Set when the code no longer matches the history (§4.8). */
  nonDeterminism?: string;
  /** Set when the code used an action the local engine does not run (e.g. callHttp). */
  unsupported?: string;
}

type State = 0 | 1 | 2; // running, completed, failed
const RUNNING = 0;
const DONE = 1;
const FAILED = 2;

interface BaseNode {
  state: State;
  parent: Compound | undefined;
}
interface Leaf extends BaseNode {
  t: 'leaf';
  alloc: Omit<Allocation, 'id'>;
  id: number | undefined;
  action: Record<string, unknown> | undefined;
  /** Long timer this segment belongs to (for cancellation). */
  long?: Compound;
  /** The completion event that resolved it (retry: last failure; HTTP polling: the response). */
  event?: HistoryEvent;
}
interface EventLeaf extends BaseNode {
  t: 'event';
  name: string;
}
interface Compound extends BaseNode {
  t: 'all' | 'any' | 'retry' | 'long' | 'httppoll';
  children: Node[];
  action: Record<string, unknown>;
  firstErrorSet?: boolean;
  // retry
  attempt?: number;
  waitingOnTimer?: boolean;
  inner?: Omit<Allocation, 'id'>;
  retryOptions?: {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
    retryTimeoutInMilliseconds?: number;
  };
  /** Retry: currentUtcDateTime when the first attempt was scheduled (DTFx measures the retry timeout from it). */
  firstAttemptAt?: number;
  /** Retry: no further real attempt (timeout expired or non-retriable); remaining attempts fail with this. */
  stop?: RetryStop;
  /** HTTP polling: the original request. */
  request?: Record<string, unknown>;
  // long timer
  finalFireAt?: Date;
}
type Node = Leaf | EventLeaf | Compound;

class Unsupported extends Error {}

const SCHEDULING_TYPES = new Set<number>([
  EventType.TaskScheduled,
  EventType.TimerCreated,
  EventType.SubOrchestrationInstanceCreated,
  EventType.EventSent,
]);

export function isSchedulingEvent(e: HistoryEvent): boolean {
  return SCHEDULING_TYPES.has(e.EventType);
}

function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

function headerValue(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (headers as Record<string, unknown>)[key];
}

/**
 * What the SDK's CallHttpWithPollingTask does with a completed HTTP call: on 202 with a Location header, a timer
 * (Retry-After seconds, else the default) and another CallHttp, which the engine sends as a GET to the Location
 * (as the extension's CreateLocationPollRequest: same headers except x-functions-key, same token source).
 */
export function pollTarget(
  e: HistoryEvent | undefined,
  request: Record<string, unknown>,
  defaultMs: number,
): { delayMs: number; request: Record<string, unknown> } | undefined {
  if (!e) return undefined;
  let res: { statusCode?: unknown; headers?: unknown } | null;
  try {
    res = JSON.parse(String(e.Result ?? 'null')) as typeof res;
  } catch {
    return undefined;
  }
  if (!res || res.statusCode !== 202) return undefined;
  const location = headerValue(res.headers, 'Location');
  if (!location) return undefined;
  const retryAfter = headerValue(res.headers, 'Retry-After');
  // moment.duration(value, 's') as the SDK computes it: a number of seconds, anything else 0.
  const seconds = retryAfter === undefined || retryAfter === null || retryAfter === '' ? undefined : Number(retryAfter);
  const delayMs = seconds === undefined ? defaultMs : Number.isFinite(seconds) ? seconds * 1000 : 0;
  let uri = String(Array.isArray(location) ? location[0] : location);
  try {
    uri = new URL(uri, String(request['uri'])).href;
  } catch {
    /* left as sent: the request fails with a clear error */
  }
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((request['headers'] as Record<string, unknown> | undefined) ?? {}))
    if (k.toLowerCase() !== 'x-functions-key') headers[k] = v;
  const poll: Record<string, unknown> = { method: 'GET', uri, headers, asynchronousPatternEnabled: true };
  if (request['tokenSource'] !== undefined) poll['tokenSource'] = request['tokenSource'];
  return { delayMs, request: poll };
}

/** Retry delay DTFx uses before attempt `failures + 1`: first × coeff^(failures-1), capped. */
export function retryDelayMs(opts: NonNullable<Compound['retryOptions']>, failures: number): number {
  if (failures >= opts.maxNumberOfAttempts) return 0; // the SDK still expects a timer after the last failure
  const coeff = opts.backoffCoefficient ?? 1;
  const max = opts.maxRetryIntervalInMilliseconds ?? 6 * 24 * 3600 * 1000;
  return Math.min(opts.firstRetryIntervalInMilliseconds * Math.pow(coeff, failures - 1), max);
}

/**
 * Replays one episode's actions against the history (see the file comment). One instance per call: the state of
 * the walk (sequence counter, history cursor, open tasks, deferred completions) lives in its fields; `build*`
 * methods turn one action kind into a node, `on*` methods advance one compound kind when a child completes.
 */
export class ActionReplay {
  private now = new Date(0);
  private seq = 0;
  private cursor = 0;
  private current: Node | undefined;
  private finished = false;
  private lastLockSize = 0;
  private continueAsNew: { input: unknown } | undefined;
  private readonly allocations: Allocation[] = [];
  private readonly leaves: Leaf[] = [];
  private readonly openTasks = new Map<string, Leaf>();
  private readonly openEvents = new Map<string, EventLeaf[]>();
  private readonly deferred = new Map<string, HistoryEvent[]>();
  private readonly consumed = new Set<HistoryEvent>();
  private readonly seen = new Map<object, Node>();
  private nonDeterminism: string | undefined;

  constructor(
    private readonly history: readonly HistoryEvent[],
    private readonly actions: readonly unknown[],
    private readonly options: ReplayOptions,
    private readonly orchestrationName = '?',
  ) {}

  run(): ReplayResult {
    const { history } = this;
    const historyIds = new Map<number, HistoryEvent>();
    for (const e of history) if (isSchedulingEvent(e)) historyIds.set(e.EventId, e);
    try {
      for (const e of history) this.replayEvent(e);
    } catch (e) {
      if (e instanceof Unsupported) {
        return {
          allocations: this.allocations,
          newAllocations: [],
          canceledTimerIds: [],
          unconsumedEvents: [],
          unsupported: e.message,
        };
      }
      throw e;
    }
    const newAllocations = this.allocations.filter((a) => !historyIds.has(a.id));
    const canceledTimerIds: number[] = [];
    for (const l of this.leaves) {
      if (l.id === undefined || l.state !== RUNNING || l.alloc.kind !== 'timer') continue;
      const canceled = l.long ? l.long.action['isCanceled'] === true : l.action?.['isCanceled'] === true;
      if (canceled) canceledTimerIds.push(l.id);
    }
    const unconsumedEvents = history.filter((e) => e.EventType === EventType.EventRaised && !this.consumed.has(e));
    return {
      allocations: this.allocations,
      newAllocations,
      canceledTimerIds,
      unconsumedEvents,
      ...(this.continueAsNew ? { continueAsNew: this.continueAsNew } : {}),
      ...(this.nonDeterminism
        ? {
            nonDeterminism: `Non-Deterministic workflow detected: orchestration '${this.orchestrationName}': ${this.nonDeterminism}. The orchestrator code probably changed while this instance was running; restart the instance (or keep the old code path for running instances).`,
          }
        : {}),
    };
  }

  // ---- history walk ----

  private replayEvent(e: HistoryEvent): void {
    if (this.finished) {
      // The code has returned: later events are not delivered (as in the SDK), but every scheduling event in
      // the history must still match something the code scheduled (as in DTFx).
      if (!this.nonDeterminism && isSchedulingEvent(e)) this.nonDeterminism = this.checkScheduled(e);
      return;
    }
    switch (e.EventType) {
      case EventType.OrchestratorStarted: {
        const ts = toDate(e.Timestamp);
        if (ts.getTime() > this.now.getTime()) this.now = ts;
        break;
      }
      case EventType.ExecutionStarted:
        this.resume();
        break;
      case EventType.EventSent:
        this.onEventSent(e);
        break;
      case EventType.TaskScheduled:
      case EventType.TimerCreated:
      case EventType.SubOrchestrationInstanceCreated:
        if (!this.nonDeterminism) this.nonDeterminism = this.checkScheduled(e);
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.TimerFired:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
      case EventType.EventRaised:
        this.deliver(e);
        this.resume();
        break;
      default:
        break;
    }
  }

  /** An entity call or lock is answered by the request id it sent, not by its sequence id: re-key it. */
  private onEventSent(e: HistoryEvent): void {
    if (!this.nonDeterminism) this.nonDeterminism = this.checkScheduled(e);
    const task = this.openTasks.get(String(e.EventId));
    if (task && task.t === 'leaf' && (task.alloc.purpose === 'entityCall' || task.alloc.purpose === 'lock')) {
      try {
        const id = (JSON.parse(String(e.Input)) as { id?: unknown }).id;
        this.openTasks.delete(String(e.EventId));
        this.openTasks.set(String(id), task);
      } catch {
        /* malformed: leave keyed by id */
      }
    }
  }

  private checkScheduled(e: HistoryEvent): string | undefined {
    const a = this.allocations[e.EventId];
    const label = () => `${EVENT_LABEL[e.EventType] ?? e.EventType}${e.Name ? ` '${e.Name}'` : ''}`;
    if (!a)
      return `history event ${e.EventId} is ${label()} but the orchestrator no longer schedules anything at that position`;
    const expected = scheduledEventType(a.kind);
    const mismatch =
      expected !== e.EventType ||
      ((a.kind === 'task' || a.kind === 'suborch') &&
        a.name !== e.Name &&
        (a.name ?? '').toLowerCase() !== String(e.Name ?? '').toLowerCase());
    if (!mismatch) return undefined;
    const nowLabel = `${KIND_LABEL[a.kind]}${a.name && a.kind !== 'eventSent' ? ` '${a.name}'` : ''}`;
    return `history event ${e.EventId} is ${label()} but the orchestrator now schedules ${nowLabel} at that position`;
  }

  /** Runs the code's actions forward until one is still pending (or all are done). */
  private resume(): void {
    if (this.current && this.current.state === RUNNING) return;
    while (this.cursor < this.actions.length) {
      const a = this.actions[this.cursor++] as Record<string, unknown>;
      const type = a['actionType'];
      if (type === 9) {
        this.allocate({
          kind: 'eventSent',
          purpose: 'signal',
          name: String(a['operation']),
          instanceId: String(a['instanceId']),
          input: a['input'],
          action: a,
        });
        continue;
      }
      if (type === 14) {
        for (let i = 0; i < this.lastLockSize; i++) this.allocate({ kind: 'eventSent', purpose: 'release', action: a });
        continue;
      }
      if (type === 4) {
        this.continueAsNew = { input: a['input'] };
        continue;
      }
      const node = this.build(a, undefined);
      this.current = node;
      if (node.state !== RUNNING) continue;
      this.track(node);
      if (node.state === RUNNING) return;
    }
    this.finished = true;
  }

  // ---- allocation and tracking ----

  private allocate(a: Omit<Allocation, 'id'>): number {
    const id = this.seq++;
    // Each leaf owns its allocation object (retry attempts copy theirs), so it is completed in place.
    const full = a as Allocation;
    full.id = id;
    this.allocations.push(full);
    return id;
  }

  private leaf(alloc: Omit<Allocation, 'id'>, action: Record<string, unknown> | undefined): Leaf {
    const l: Leaf = { t: 'leaf', alloc, id: undefined, action, state: RUNNING, parent: undefined };
    this.leaves.push(l);
    return l;
  }

  private track(n: Node): void {
    if (n.t === 'all' || n.t === 'any' || n.t === 'retry' || n.t === 'long' || n.t === 'httppoll') {
      // Live array on purpose: completions delivered while tracking may append children (as in the SDK).
      for (const child of n.children) this.track(child);
      return;
    }
    let key: string;
    if (n.t === 'leaf') {
      if (n.id === undefined) {
        n.id = this.allocate(n.alloc);
        this.openTasks.set(String(n.id), n);
      }
      key = String(n.id);
    } else {
      const e = n as EventLeaf;
      const list = this.openEvents.get(e.name) ?? [];
      list.push(e);
      this.openEvents.set(e.name, list);
      key = e.name;
    }
    const queue = this.deferred.get(key);
    if (queue && queue.length) {
      const e = queue.shift()!;
      if (!queue.length) this.deferred.delete(key);
      this.deliver(e);
    }
  }

  private deliver(e: HistoryEvent): void {
    const success =
      e.EventType === EventType.TaskCompleted ||
      e.EventType === EventType.TimerFired ||
      e.EventType === EventType.SubOrchestrationInstanceCompleted ||
      e.EventType === EventType.EventRaised;
    const rawKey =
      e.EventType === EventType.TimerFired
        ? e.TimerId
        : e.EventType === EventType.EventRaised
          ? e.Name
          : e.TaskScheduledId;
    const key = String(rawKey);
    let task: Leaf | EventLeaf | undefined = this.openTasks.get(key);
    if (task) this.openTasks.delete(key);
    else {
      const list = this.openEvents.get(key);
      if (list) {
        task = list.pop();
        if (!list.length) this.openEvents.delete(key);
      }
    }
    if (!task) {
      const q = this.deferred.get(key) ?? [];
      q.push(e);
      this.deferred.set(key, q);
      return;
    }
    this.consumed.add(e);
    if (task.t === 'leaf') task.event = e;
    let ok = success;
    if (ok && task.t === 'leaf' && task.alloc.purpose === 'entityCall') {
      try {
        const payload = JSON.parse(String(e.Input ?? 'null')) as { exceptionType?: unknown } | null;
        if (payload && payload.exceptionType !== undefined) ok = false;
      } catch {
        /* the SDK would throw; treated as success here */
      }
    }
    this.setState(task, ok ? DONE : FAILED);
  }

  // ---- building nodes, one method per action kind ----

  private build(a: Record<string, unknown>, parent: Compound | undefined): Node {
    const existing = this.seen.get(a);
    if (existing) {
      existing.parent = parent;
      return existing;
    }
    let node: Node;
    const type = a['actionType'];
    switch (type) {
      case 0:
        node = this.leaf(activityAlloc(a), a);
        break;
      case 2:
        node = this.leaf(subOrchestrationAlloc(a), a);
        break;
      case 1:
      case 3:
        node = this.buildRetry(a, parent, type === 1 ? activityAlloc(a) : subOrchestrationAlloc(a));
        break;
      case 5:
        node = this.buildTimer(a, parent);
        break;
      case 6:
        node = { t: 'event', name: String(a['externalEventName']), state: RUNNING, parent };
        break;
      case 7:
        node = this.leaf(
          {
            kind: 'eventSent',
            purpose: 'entityCall',
            name: String(a['operation']),
            instanceId: String(a['instanceId']),
            input: a['input'],
            action: a,
          },
          a,
        );
        break;
      case 13:
        node = this.buildLock(a);
        break;
      case 11:
      case 12:
        node = this.buildWhen(a, parent, type === 11 ? 'any' : 'all');
        break;
      case 8:
        node = this.buildHttp(a, parent);
        break;
      default:
        throw new Unsupported(`action type ${String(type)} is not supported by the local durable engine`);
    }
    node.parent = parent;
    this.seen.set(a, node);
    return node;
  }

  /** CallActivityWithRetry / CallSubOrchestratorWithRetry: the first attempt now, more after failures (onRetry). */
  private buildRetry(
    a: Record<string, unknown>,
    parent: Compound | undefined,
    inner: Omit<Allocation, 'id'>,
  ): Compound {
    const c: Compound = {
      t: 'retry',
      children: [],
      action: a,
      state: RUNNING,
      parent,
      attempt: 1,
      waitingOnTimer: false,
      inner,
      retryOptions: a['retryOptions'] as Compound['retryOptions'],
      firstAttemptAt: this.now.getTime(),
    };
    const first = this.leaf(inner, a);
    first.parent = c;
    c.children.push(first);
    return c;
  }

  /** CreateTimer: a short timer is one leaf; a long one (schema V3) is a chain of segments (onLong). */
  private buildTimer(a: Record<string, unknown>, parent: Compound | undefined): Node {
    const fireAt = toDate(a['fireAt']);
    if (fireAt.getTime() - this.now.getTime() > this.options.maxShortTimerMs) {
      const c: Compound = { t: 'long', children: [], action: a, state: RUNNING, parent, finalFireAt: fireAt };
      c.children.push(this.segmentFor(c));
      return c;
    }
    return this.leaf({ kind: 'timer', purpose: 'timer', fireAt }, a);
  }

  private segmentFor(long: Compound): Leaf {
    const final = long.finalFireAt!;
    const fireAt =
      final.getTime() - this.now.getTime() > this.options.maxShortTimerMs
        ? new Date(this.now.getTime() + this.options.longTimerIntervalMs)
        : final;
    const seg = this.leaf({ kind: 'timer', purpose: 'segment', fireAt }, undefined);
    seg.long = long;
    seg.parent = long;
    return seg;
  }

  /** LockEntities: one id; ReleaseEntities later takes one id per locked entity. */
  private buildLock(a: Record<string, unknown>): Leaf {
    const lockSet = (a['lockSet'] as unknown[] | undefined) ?? [];
    this.lastLockSize = lockSet.length;
    return this.leaf({ kind: 'eventSent', purpose: 'lock', action: a }, a);
  }

  /** Task.any / Task.all. */
  private buildWhen(a: Record<string, unknown>, parent: Compound | undefined, t: 'any' | 'all'): Compound {
    const c: Compound = { t, children: [], action: a, state: RUNNING, parent };
    for (const child of (a['compoundActions'] as Record<string, unknown>[] | undefined) ?? [])
      c.children.push(this.build(child, c));
    return c;
  }

  /**
   * Durable HTTP: one BuiltIn::HttpActivity task; with the async pattern (schema V3, the default) the SDK polls a
   * 202 + Location itself with a timer and a new CallHttp, which the engine sends to the Location (onHttpPoll).
   */
  private buildHttp(a: Record<string, unknown>, parent: Compound | undefined): Node {
    const request = (a['httpRequest'] ?? {}) as Record<string, unknown>;
    const http = this.leaf({ kind: 'task', purpose: 'http', name: HTTP_ACTIVITY, input: request }, a);
    if (request['asynchronousPatternEnabled'] === false) return http;
    const c: Compound = { t: 'httppoll', children: [http], action: a, state: RUNNING, parent, request };
    http.parent = c;
    return c;
  }

  // ---- completions, one method per compound kind ----

  private setState(n: Node, s: State): void {
    n.state = s;
    if (!n.parent) return;
    const p = n.parent;
    switch (p.t) {
      case 'all':
        return this.onAll(p, n);
      case 'any':
        return this.onAny(p);
      case 'long':
        return this.onLong(p, n);
      case 'httppoll':
        return this.onHttpPoll(p, n);
      case 'retry':
        return this.onRetry(p, n);
    }
  }

  /** Done when every child is; fails on the first failure (once). */
  private onAll(p: Compound, child: Node): void {
    if (child.state === DONE) {
      if (p.children.every((c) => c.state === DONE)) this.setState(p, DONE);
    } else if (!p.firstErrorSet) {
      p.firstErrorSet = true;
      this.setState(p, FAILED);
    }
  }

  private onAny(p: Compound): void {
    if (p.state === RUNNING) this.setState(p, DONE);
  }

  /** A segment fired: the next segment while the final fire time is ahead, then done as Task.all. */
  private onLong(p: Compound, child: Node): void {
    if (p.finalFireAt!.getTime() > this.now.getTime()) {
      const seg = this.segmentFor(p);
      p.children.push(seg);
      this.track(seg);
    }
    this.onAll(p, child);
  }

  private onHttpPoll(p: Compound, child: Node): void {
    if (child.state === DONE) {
      if (child.t !== 'leaf' || child.alloc.purpose !== 'http') return; // the poll timer: nothing to do
      const poll = pollTarget(child.event, p.request!, this.options.httpPollDefaultMs ?? 30_000);
      if (!poll) {
        this.setState(p, DONE);
        return;
      }
      const timer = this.build(
        { actionType: 5, fireAt: new Date(this.now.getTime() + poll.delayMs), isCanceled: false },
        p,
      );
      const next = this.leaf({ kind: 'task', purpose: 'http', name: HTTP_ACTIVITY, input: poll.request }, undefined);
      next.parent = p;
      p.children.push(timer, next);
      this.track(timer);
      this.track(next);
    } else if (!p.firstErrorSet) {
      p.firstErrorSet = true;
      this.setState(p, FAILED);
    }
  }

  private onRetry(p: Compound, child: Node): void {
    const opts = p.retryOptions!;
    if (p.waitingOnTimer) {
      p.waitingOnTimer = false;
      if (p.attempt! > opts.maxNumberOfAttempts) this.setState(p, FAILED);
      else {
        const attempt = this.leaf(
          {
            ...p.inner!,
            purpose: p.inner!.kind === 'task' ? 'retryAttempt' : 'suborch',
            ...(p.stop ? { failWith: p.stop } : {}),
          },
          undefined,
        );
        attempt.parent = p;
        p.children.push(attempt);
        this.track(attempt);
      }
      return;
    }
    if (child.state === DONE) {
      this.setState(p, DONE);
      return;
    }
    const failures = p.attempt!;
    // DTFx stops retrying once currentUtcDateTime passes firstAttempt + retryTimeout, or on a non-retriable
    // failure. The SDK only counts attempts, so the rest are recorded as failed without running (failWith).
    const failed = child.t === 'leaf' ? child.event : undefined;
    if (!p.stop && failed) {
      const timeout = opts.retryTimeoutInMilliseconds;
      const nonRetriable = (failed.FailureDetails as { IsNonRetriable?: unknown } | undefined)?.IsNonRetriable === true;
      if (
        nonRetriable ||
        (typeof timeout === 'number' && timeout >= 0 && this.now.getTime() >= p.firstAttemptAt! + timeout)
      ) {
        p.stop = {
          Reason: String(failed.Reason ?? ''),
          Details: String(failed.Details ?? ''),
          ...(failed.FailureDetails !== undefined ? { FailureDetails: failed.FailureDetails } : {}),
        };
      }
    }
    const delay = p.stop ? 0 : retryDelayMs(opts, failures);
    const timer = this.leaf(
      { kind: 'timer', purpose: 'retryTimer', fireAt: new Date(this.now.getTime() + delay) },
      undefined,
    );
    timer.parent = p;
    p.children.push(timer);
    this.track(timer);
    p.waitingOnTimer = true;
    p.attempt = failures + 1;
  }
}

function activityAlloc(a: Record<string, unknown>): Omit<Allocation, 'id'> {
  return { kind: 'task', purpose: 'activity', name: String(a['functionName']), input: a['input'] };
}

function subOrchestrationAlloc(a: Record<string, unknown>): Omit<Allocation, 'id'> {
  return {
    kind: 'suborch',
    purpose: 'suborch',
    name: String(a['functionName']),
    input: a['input'],
    ...(typeof a['instanceId'] === 'string' && a['instanceId'] ? { instanceId: a['instanceId'] } : {}),
    ...(typeof a['version'] === 'string' && a['version'] ? { version: a['version'] } : {}),
  };
}

/** What the local engine learns from replaying one episode's actions against its history (an ActionReplay). */
export function replayActions(
  history: readonly HistoryEvent[],
  actions: readonly unknown[],
  options: ReplayOptions,
  orchestrationName = '?',
): ReplayResult {
  return new ActionReplay(history, actions, options, orchestrationName).run();
}

const EVENT_LABEL: Record<number, string> = {
  [EventType.TaskScheduled]: 'TaskScheduled',
  [EventType.TimerCreated]: 'TimerCreated',
  [EventType.SubOrchestrationInstanceCreated]: 'SubOrchestrationInstanceCreated',
  [EventType.EventSent]: 'EventSent',
};
const KIND_LABEL: Record<AllocKind, string> = {
  task: 'CallActivity',
  timer: 'CreateTimer',
  suborch: 'CallSubOrchestrator',
  eventSent: 'an entity message',
};

/** Parse a .NET TimeSpan string ("3.00:00:00", "00:00:05", "1:02:03.5") to milliseconds. */
export function parseTimeSpan(s: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(s.trim());
  if (!m) return undefined;
  const [, d, h, mi, se, frac] = m;
  return (
    ((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(mi)) * 60_000 +
    Number(se) * 1000 +
    (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0)
  );
}
