/**
 * Wire shapes shared by the durable engine: history events (DTFx `EventType` numbering, PascalCase fields as the
 * Azure extension serialises them), runtime statuses and inbox messages.
 *
 * Invariant: history events are plain JSON objects; `Timestamp` is an ISO string (the SDK turns it into a Date on
 * its own copy of the payload, so the engine never hands it an object it keeps).
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
  /** DTFx's rewind marker; the SDK ignores it, the engine uses it to run the rewound episode. */
  ExecutionRewound: 21,
} as const;

export const EVENT_TYPE_NAMES: Record<number, string> = {
  0: 'ExecutionStarted',
  1: 'ExecutionCompleted',
  2: 'ExecutionFailed',
  3: 'ExecutionTerminated',
  4: 'TaskScheduled',
  5: 'TaskCompleted',
  6: 'TaskFailed',
  7: 'SubOrchestrationInstanceCreated',
  8: 'SubOrchestrationInstanceCompleted',
  9: 'SubOrchestrationInstanceFailed',
  10: 'TimerCreated',
  11: 'TimerFired',
  12: 'OrchestratorStarted',
  13: 'OrchestratorCompleted',
  14: 'EventSent',
  15: 'EventRaised',
  16: 'ContinueAsNew',
  17: 'GenericEvent',
  18: 'HistoryState',
  19: 'ExecutionSuspended',
  20: 'ExecutionResumed',
  21: 'ExecutionRewound',
};

/**
 * A history event as sent to the SDK. Only the fields the engine uses are typed; the rest pass through.
 * `Timestamp` is an ISO string on disk and a Date in memory (the form the SDK converts it to, see engine.ts).
 */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string | Date;
  Name?: string;
  Input?: string | null;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: unknown;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: number;
  [field: string]: unknown;
}

export const RuntimeStatus = {
  Running: 'Running',
  Completed: 'Completed',
  ContinuedAsNew: 'ContinuedAsNew',
  Failed: 'Failed',
  Canceled: 'Canceled',
  Terminated: 'Terminated',
  Pending: 'Pending',
  Suspended: 'Suspended',
} as const;
export type RuntimeStatusName = (typeof RuntimeStatus)[keyof typeof RuntimeStatus];

export const STATUS_NUMBER: Record<RuntimeStatusName, number> = {
  Running: 0,
  Completed: 1,
  ContinuedAsNew: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  Pending: 6,
  Suspended: 7,
};
export const STATUS_BY_NUMBER: Record<number, RuntimeStatusName> = {
  0: 'Running',
  1: 'Completed',
  2: 'ContinuedAsNew',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'Pending',
  7: 'Suspended',
};

export const ALL_STATUSES = Object.keys(STATUS_NUMBER) as RuntimeStatusName[];

export function isTerminal(status: string): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated' || status === 'Canceled';
}

/** Where a sub-orchestration reports back to. */
export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
}

/**
 * An orchestrator inbox message. `executionId` is set for messages that belong to one execution (task results,
 * timers, sub-orchestration results): they are dropped when the instance moved on (continueAsNew, restart).
 */
export type InboxMessage =
  | { kind: 'event'; event: HistoryEvent }
  | { kind: 'entityOp'; op: EntityOperation }
  | { kind: 'terminate'; reason: string }
  | { kind: 'suspend'; reason: string }
  | { kind: 'resume'; reason: string };

/** One operation for an entity: a signal (no reply) or a call from an orchestrator (reply by EventRaised `id`). */
export interface EntityOperation {
  name: string;
  /** JSON text of the input, or null. */
  input: string | null;
  isSignal: boolean;
  /** Request id the caller waits on (calls only). */
  id?: string;
  /** Calling orchestration instance (calls only). */
  parent?: string;
}

export interface EntityRow {
  entityId: string;
  name: string;
  key: string;
  state: string | null;
  exists: boolean;
  updatedAt: number;
}

/** `@<name lowercased>@<key>`, the scheduler id durable-functions uses for entities. */
export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

/** The committed row of an instance. JSON columns hold JSON text (or null). */
export interface InstanceRow {
  instanceId: string;
  name: string;
  version: string;
  executionId: string;
  status: RuntimeStatusName;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdAt: number;
  updatedAt: number;
  parent: ParentRef | null;
}

export interface ActivityItem {
  rowId: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** The value handed to the activity, as JSON text ('null' when none). */
  input: string;
}

export interface TimerItem {
  rowId: number;
  instanceId: string;
  executionId: string;
  timerId: number;
  fireAt: number;
  event: HistoryEvent;
}

export interface InboxItem {
  rowId: number;
  instanceId: string;
  executionId: string | null;
  message: InboxMessage;
}
