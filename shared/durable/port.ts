/**
 * The durable port: everything the app asks of Durable Functions from outside an orchestrator (the router, HTTP
 * functions, timers, activities), in the app's own types. One adapter implements it over durable-functions'
 * DurableClient (`durable-functions.ts`, built in trigger files with `durablePortFor(context)`); shared/ modules take
 * this port, never the DurableClient.
 *
 * Invariants every implementation keeps:
 * - At most one instance per deterministic id: `startOnce` starts only when no instance has the id (any status); two
 *   racing callers both see one instance ('started' for one, 'exists' for the other) whatever status code the engine
 *   refuses the second start with.
 * - `raise` never reports success for an instance that has finished ('gone') or never existed ('not-found').
 * - A failure that may pass (engine unreachable, a start refused for another reason) is a retryable
 *   TransientError (DURABLE_UNAVAILABLE, DURABLE_START_FAILED, DURABLE_RAISE_FAILED, DURABLE_LIST_FAILED).
 */

/** Runtime statuses after which an instance never runs again (ids may then be reused by `ensureRunning`). */
export const TERMINAL_RUNTIME_STATUSES: ReadonlySet<string> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);

/** Finished statuses the history purge removes (never Running, Pending or Suspended). */
export type PurgeableStatus = 'Completed' | 'Failed' | 'Terminated';

/** One instance as the durable HTTP API describes it; times as ISO strings. */
export interface InstanceStatus {
  instanceId: string;
  /** The orchestration (function) name. */
  name: string;
  /** `Running`, `Pending`, `Suspended`, `Completed`, `Failed`, `Terminated`, ... */
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  input?: unknown;
  output?: unknown;
  customStatus?: unknown;
  /** History events (only with `showHistory`), in the durable HTTP API's shape (`EventType`, `Timestamp`, ...). */
  history?: readonly Record<string, unknown>[];
}

export interface StatusOptions {
  showInput?: boolean;
  showHistory?: boolean;
  showHistoryOutput?: boolean;
}

/** One bounded page of instances created in [from, to); `next` resumes the listing, absent on the last page. */
export interface InstancePage {
  instances: InstanceStatus[];
  next?: string;
}

export interface DurablePort {
  /** The instance, or undefined when no instance has this id. */
  status(instanceId: string, options?: StatusOptions): Promise<InstanceStatus | undefined>;
  /**
   * Start `name` as `instanceId` unless an instance with that id exists (any status): at most one run per id.
   * The input carries the caller's trace context (`trace.traceparent`) when tracing is on.
   */
  startOnce(name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
  /** A long-lived instance: start it when missing or finished; 'running' when it runs (also when a racer started it). */
  ensureRunning(name: string, instanceId: string, input: unknown): Promise<'started' | 'running'>;
  /** Raise `eventName` into `instanceId`: 'not-found' when no such instance, 'gone' when it has finished. */
  raise(instanceId: string, eventName: string, payload: unknown): Promise<'raised' | 'not-found' | 'gone'>;
  /** One page of instances created in [from, to) (at most `top`, with input), resuming at `token`. */
  listPage(q: { from: string; to: string; top: number; token?: string }): Promise<InstancePage>;
  /** Every instance (no inputs); for the console's small views. */
  listAll(): Promise<InstanceStatus[]>;
  terminate(instanceId: string, reason: string): Promise<void>;
  suspend(instanceId: string, reason: string): Promise<void>;
  resume(instanceId: string, reason: string): Promise<void>;
  /** Delete one instance's history. */
  purge(instanceId: string): Promise<void>;
  /** Delete the history of instances in `statuses` created before `createdBefore`; answers how many were deleted. */
  purgeFinished(createdBefore: Date, statuses: readonly PurgeableStatus[]): Promise<number>;
}
