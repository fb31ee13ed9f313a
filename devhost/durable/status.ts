/**
 * The `DurableOrchestrationStatus` JSON the Azure extension answers with (durable-protocol.md §6.4), shared by the
 * HTTP API and the CLI. Times are formatted to the second like the extension (`ToString("s") + "Z"`).
 * `historyEvents` is also sent as `history` because durable-functions 3.x reads `history` (durable-js #620).
 */
import { EVENT_TYPE_NAMES, EventType, STATUS_BY_NUMBER, type HistoryEvent, type InstanceRow } from './types';

export function toSecondIso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface StatusOptions {
  showInput?: boolean;
  history?: HistoryEvent[];
  showHistoryOutput?: boolean;
}

export function statusJson(row: InstanceRow, o: StatusOptions = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.status,
    input: o.showInput === false ? null : parseJson(row.input),
    customStatus: parseJson(row.customStatus),
    output: parseJson(row.output),
    createdTime: toSecondIso(row.createdAt),
    lastUpdatedTime: toSecondIso(row.updatedAt),
  };
  if (o.history) {
    const h = formatHistory(o.history, o.showHistoryOutput === true, o.showInput !== false);
    body['historyEvents'] = h;
    body['history'] = h;
  }
  return body;
}

const DROPPED = new Set<number>([
  EventType.OrchestratorStarted,
  EventType.OrchestratorCompleted,
  EventType.TaskScheduled,
  EventType.SubOrchestrationInstanceCreated,
]);

/** The extension's post-processed history: string event types, scheduling events folded into their completions. */
export function formatHistory(
  history: HistoryEvent[],
  showOutput: boolean,
  showInput: boolean,
): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  for (const e of history)
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      scheduled.set(e.EventId, e);
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    if (DROPPED.has(e.EventType)) continue;
    const { EventType: type, EventId: _id, IsPlayed: _p, TaskScheduledId, TimerId: _t, Result, Input, ...rest } = e;
    const item: Record<string, unknown> = { EventType: EVENT_TYPE_NAMES[type] ?? String(type), ...rest };
    if (type === EventType.ExecutionStarted) {
      item['FunctionName'] = e.Name;
      delete item['Name'];
    }
    if (TaskScheduledId !== undefined) {
      const s = scheduled.get(TaskScheduledId);
      if (s) {
        item['FunctionName'] = s.Name;
        item['ScheduledTime'] = s.Timestamp;
      }
    }
    if (type === EventType.ExecutionCompleted && typeof e.OrchestrationStatus === 'number')
      item['OrchestrationStatus'] = STATUS_BY_NUMBER[e.OrchestrationStatus] ?? e.OrchestrationStatus;
    if (Result !== undefined && showOutput) item['Result'] = parseJson(Result);
    if (Input !== undefined && showInput)
      item['Input'] = type === EventType.ExecutionTerminated ? Input : parseJson(Input);
    out.push(item);
  }
  return out;
}
