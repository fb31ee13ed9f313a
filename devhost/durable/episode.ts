/**
 * The pure parts of one orchestrator episode (engine.ts wires them): inbox triage (which messages the episode takes,
 * holds or drops, and the status they lead to), reading the SDK's answer (OrchestratorState or a failure), and the
 * outcome (what the episode commits: status, output, custom status, closing history events, the parent's notice).
 *
 * Invariants:
 * - No I/O, no clock, no randomness: time comes in as `now`; the same inputs give the same result.
 * - Triage consumes every message it does not hold (a message for an old execution is consumed and dropped);
 *   after a terminate every later message is consumed unread.
 */
import { EventType, type HistoryEvent, type InboxMessage, type InstanceRow, type RuntimeStatusName } from './types';

/** A message waiting for an instance: from its inbox, or a durable timer that came due. */
export interface PendingMsg {
  source: 'inbox' | 'timer';
  rowId: number;
  executionId: string | null;
  message: InboxMessage;
}

const EXECUTION_SCOPED = new Set<number>([
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.TimerFired,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
]);
const OUT_OF_PROC = '\n\n$OutOfProcData$:';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A new history event at `ts` (stored form: Timestamp as ISO text). */
export function ev(type: number, ts: number, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: iso(ts), ...fields };
}

export function errorText(e: unknown): { message: string; stack: string } {
  if (e instanceof Error) return { message: e.message, stack: e.stack ?? '' };
  return { message: String(e), stack: '' };
}

// ---------------------------------------------------------------- inbox triage

export interface Triage {
  /** Messages kept for later (the instance is suspended). */
  held: PendingMsg[];
  consumedInbox: number[];
  consumedTimers: number[];
  /** New events for the orchestrator (ExecutionStarted first). */
  inbound: HistoryEvent[];
  /** ExecutionSuspended / ExecutionResumed events. */
  control: HistoryEvent[];
  status: RuntimeStatusName;
  started: boolean;
  terminateReason: string | undefined;
  /** Latest FireAt of the timers taken (0 when none): the episode's time must not be before it. */
  maxFireAt: number;
  /** Timer ids of the TimerFired events taken (their timer rows are gone). */
  firedTimerIds: number[];
}

/** Sort the messages an episode took: control, events for this execution, held while suspended, dropped. */
export function triageInbox(
  taken: readonly PendingMsg[],
  row: Pick<InstanceRow, 'status' | 'executionId'>,
  historyStarted: boolean,
  now: number,
): Triage {
  const t: Triage = {
    held: [],
    consumedInbox: [],
    consumedTimers: [],
    inbound: [],
    control: [],
    status: row.status,
    started: historyStarted,
    terminateReason: undefined,
    maxFireAt: 0,
    firedTimerIds: [],
  };
  const consume = (m: PendingMsg) => (m.source === 'timer' ? t.consumedTimers : t.consumedInbox).push(m.rowId);
  for (const m of taken) {
    if (t.terminateReason !== undefined) {
      consume(m);
      continue;
    }
    const msg = m.message;
    if (msg.kind === 'terminate') {
      t.consumedInbox.push(m.rowId);
      t.terminateReason = msg.reason;
      continue;
    }
    if (msg.kind === 'suspend' || msg.kind === 'resume') {
      t.consumedInbox.push(m.rowId);
      if (msg.kind === 'suspend' && t.status !== 'Suspended') {
        t.status = 'Suspended';
        t.control.push(ev(EventType.ExecutionSuspended, now, { Reason: msg.reason }));
      } else if (msg.kind === 'resume' && t.status === 'Suspended') {
        t.status = t.started ? 'Running' : 'Pending';
        t.control.push(ev(EventType.ExecutionResumed, now, { Reason: msg.reason }));
      }
      continue;
    }
    if (t.status === 'Suspended') {
      t.held.push(m);
      continue;
    }
    consume(m);
    if (msg.kind !== 'event') continue;
    const e = msg.event;
    if (EXECUTION_SCOPED.has(e.EventType) && m.executionId !== row.executionId) continue;
    if (e.EventType === EventType.ExecutionStarted) {
      if (t.started || m.executionId !== row.executionId) continue;
      t.started = true;
      if (t.status === 'Pending') t.status = 'Running';
      t.inbound.unshift(e);
      continue;
    }
    if (e.EventType === EventType.TimerFired) {
      const fireAt = Date.parse(String(e.FireAt));
      if (fireAt > t.maxFireAt) t.maxFireAt = fireAt;
      t.firedTimerIds.push(Number(e.TimerId));
    }
    t.inbound.push(e);
  }
  return t;
}

// ---------------------------------------------------------------- the SDK call

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What the orchestrator function is invoked with (durable-protocol.md): the full history and the engine's limits. */
export function orchestratorPayload(
  history: HistoryEvent[],
  replayedLength: number,
  row: Pick<InstanceRow, 'instanceId' | 'input' | 'parent'>,
  o: { longTimerIntervalSpan: string; maxShortTimerSpan: string; httpPollDefaultMs: number },
) {
  return {
    history,
    input: parseJson(row.input),
    instanceId: row.instanceId,
    isReplaying: replayedLength > 0,
    parentInstanceId: row.parent?.instanceId ?? null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: o.longTimerIntervalSpan,
    maximumShortTimerDuration: o.maxShortTimerSpan,
    defaultHttpAsyncRequestSleepTimeMillseconds: o.httpPollDefaultMs,
  };
}

export interface OrchestratorState {
  isDone?: boolean;
  actions?: unknown[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
  failureDetails?: unknown;
}

export interface EpisodeFailure {
  message: string;
  details: string;
  failureDetails?: unknown;
}

/** What the orchestrator call gave: its state, or the failure (with the custom status it set, when it said). */
export function readInvocation(result: { ok: true; value: unknown } | { ok: false; error: unknown }): {
  state?: OrchestratorState;
  failure?: EpisodeFailure;
} {
  if (result.ok) {
    const state = result.value as OrchestratorState | undefined;
    if (state && typeof state === 'object' && Array.isArray(state.actions)) return { state };
    return readInvocation({
      ok: false,
      error: new Error('the orchestrator returned no OrchestratorState (is it registered with df.app.orchestration?)'),
    });
  }
  const { message, stack } = errorText(result.error);
  const idx = message.indexOf(OUT_OF_PROC);
  if (idx < 0) return { failure: { message, details: stack } };
  try {
    // The SDK reports an orchestrator exception as its OrchestratorState JSON after a marker.
    const s = JSON.parse(message.slice(idx + OUT_OF_PROC.length)) as OrchestratorState;
    const failure: EpisodeFailure = {
      message: s.error ?? 'unknown error',
      details: s.error ?? '',
      ...(s.failureDetails ? { failureDetails: s.failureDetails } : {}),
    };
    return s.customStatus !== undefined ? { state: { customStatus: s.customStatus }, failure } : { failure };
  } catch {
    return { failure: { message, details: stack } };
  }
}

/** The custom status to store (JSON text), or a failure when it exceeds 16 KB of UTF-16 as in Azure. */
export function customStatusOf(
  state: OrchestratorState | undefined,
  previous: string | null,
): { customStatus: string | null; failure?: EpisodeFailure } {
  if (!state || state.customStatus === undefined) return { customStatus: previous };
  const text = JSON.stringify(state.customStatus) ?? null;
  const kb = text ? Math.floor((text.length * 2) / 1024) : 0;
  if (text && kb > 16)
    return {
      customStatus: previous,
      failure: {
        message: `The UTF-16 size of the JSON-serialized custom status must not exceed 16 KB. The current payload size is ${kb} KB.`,
        details: '',
      },
    };
  return { customStatus: text };
}

// ---------------------------------------------------------------- outcome

export interface Outcome {
  status: RuntimeStatusName;
  output: string | null;
  /** Events after the scheduling events: the ending (if any), then OrchestratorCompleted. */
  closing: HistoryEvent[];
  parentNotice?: HistoryEvent;
  /** The failure text when the instance failed (logged by the engine). */
  failedWith?: string;
  /** Set when the output could not be serialised to JSON (the instance fails with output null). */
  outputError?: string;
}

/** What the episode ends with, from the failure, continue-as-new input or the SDK's final state. */
export function episodeOutcome(o: {
  name: string;
  status: RuntimeStatusName;
  output: string | null;
  state: OrchestratorState | undefined;
  failure: EpisodeFailure | undefined;
  continueAsNewInput: string | undefined;
  now: number;
}): Outcome {
  const { now } = o;
  const closing: HistoryEvent[] = [];
  let out: Outcome;
  if (o.failure) {
    const f = o.failure;
    const text = f.message.startsWith('Non-Deterministic')
      ? f.message
      : `Orchestrator function '${o.name}' failed: ${f.message}`;
    const fd = f.failureDetails ? { FailureDetails: f.failureDetails } : {};
    closing.push(ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 3, Result: text, ...fd }));
    out = {
      status: 'Failed',
      output: JSON.stringify(text),
      closing,
      parentNotice: ev(EventType.SubOrchestrationInstanceFailed, now, {
        Reason: text,
        Details: f.details || text,
        ...fd,
      }),
      failedWith: text,
    };
  } else if (o.continueAsNewInput !== undefined) {
    closing.push(ev(EventType.ContinueAsNew, now, { OrchestrationStatus: 2, Result: o.continueAsNewInput }));
    out = { status: o.status, output: o.output, closing };
  } else if (o.state?.isDone) {
    let text: string;
    let status: RuntimeStatusName = 'Completed';
    let outputError: string | undefined;
    try {
      text = JSON.stringify(o.state.output ?? null) ?? 'null';
    } catch (e) {
      text = 'null';
      status = 'Failed';
      outputError = errorText(e).message;
    }
    closing.push(ev(EventType.ExecutionCompleted, now, { OrchestrationStatus: 1, Result: text }));
    out = {
      status,
      output: text,
      closing,
      parentNotice: ev(EventType.SubOrchestrationInstanceCompleted, now, { Result: text }),
      ...(outputError !== undefined ? { outputError } : {}),
    };
  } else out = { status: o.status, output: o.output, closing };
  closing.push(ev(EventType.OrchestratorCompleted, now));
  return out;
}
