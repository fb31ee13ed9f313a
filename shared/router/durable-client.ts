/**
 * The one way the app starts instances with deterministic ids and raises events, over durable-functions'
 * DurableClient, written for what the real Durable extension answers, not only the local host:
 * - Starting an id that is still running is refused with 409 by the local host but with 500 by the extension's
 *   HTTP API. A failed start is therefore decided by re-reading the status: an instance that now exists and has not
 *   finished is "exists"; anything else is a transient failure (Service Bus / the activity retries).
 * - durable-functions 3.x resolves raiseEvent silently when the instance has finished (the extension answers 410),
 *   so "gone" is decided by reading the status before raising. An instance finishing between that read and the
 *   raise can still drop the event; callers that must not lose it re-read state afterwards (the approval store,
 *   the job poll loop), as they already do.
 */
import type { DurableClient } from 'durable-functions';
import { TransientError } from '../errors';
import type { DurablePort } from './route';
import { withTraceInput } from '../telemetry/trace';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const TERMINAL_RUNTIME_STATUSES: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** The runtime status of `instanceId`, undefined when no instance has this id. */
export async function runtimeStatusOf(client: DurableClient, instanceId: string): Promise<string | undefined> {
  try {
    const status = await client.getStatus(instanceId);
    return String(status.runtimeStatus);
  } catch (e) {
    if (/HTTP 404/.test(message(e))) return undefined;
    throw new TransientError('DURABLE_UNAVAILABLE', `Could not read the status of ${instanceId}: ${message(e)}`, { cause: e });
  }
}

/**
 * Start `name` as `instanceId`; 'exists' when the id is taken by an instance that has not finished (whatever status
 * code the engine used to refuse). Callers decide beforehand whether a finished instance may be replaced.
 */
export async function startNewOrExists(client: DurableClient, name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'> {
  try {
    // Tracing: the caller's trace context rides in the input (`trace.traceparent`; nothing added with telemetry off).
    await client.startNew(name, { instanceId, input: withTraceInput(input) });
    return 'started';
  } catch (e) {
    const status = await runtimeStatusOf(client, instanceId).catch(() => undefined);
    if (status !== undefined && !TERMINAL_RUNTIME_STATUSES.has(status)) return 'exists';
    throw new TransientError('DURABLE_START_FAILED', `Could not start ${name} ${instanceId}: ${message(e)}`, { cause: e });
  }
}

type Starter = (name: string, instanceId: string, input: unknown) => Promise<'started' | 'exists'>;

/**
 * Start `name` as `instanceId` unless an instance with that id exists (any status): at most one run per id.
 * `startOnce(client)` gives the same as a function of (name, instanceId, input) for dependency bags.
 */
export function startOnce(client: DurableClient): Starter;
export function startOnce(client: DurableClient, name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
export function startOnce(client: DurableClient, ...args: [] | [string, string, unknown]): Starter | Promise<'started' | 'exists'> {
  const run: Starter = async (name, instanceId, input) => ((await runtimeStatusOf(client, instanceId)) !== undefined ? 'exists' : startNewOrExists(client, name, instanceId, input));
  return args.length === 0 ? run : run(args[0], args[1], args[2]);
}

/**
 * A long-lived instance (e.g. a retraining coordinator): start it when it is missing or has finished; 'running' when
 * it is already there (also when a concurrent caller started it first).
 */
export async function ensureRunning(client: DurableClient, name: string, instanceId: string, input: unknown): Promise<'started' | 'running'> {
  const status = await runtimeStatusOf(client, instanceId);
  if (status !== undefined && !TERMINAL_RUNTIME_STATUSES.has(status)) return 'running';
  return (await startNewOrExists(client, name, instanceId, input)) === 'started' ? 'started' : 'running';
}

/** Raise `eventName` into `instanceId`: 'not-found' when no such instance, 'gone' when it has finished. */
export async function raiseIfActive(client: DurableClient, instanceId: string, eventName: string, payload: unknown): Promise<'raised' | 'not-found' | 'gone'> {
  const status = await runtimeStatusOf(client, instanceId);
  if (status === undefined) return 'not-found';
  if (TERMINAL_RUNTIME_STATUSES.has(status)) return 'gone';
  try {
    await client.raiseEvent(instanceId, eventName, payload);
    return 'raised';
  } catch (e) {
    if (/No instance with ID/.test(message(e))) return 'not-found';
    throw new TransientError('DURABLE_RAISE_FAILED', `Could not raise ${eventName} into ${instanceId}: ${message(e)}`, { cause: e });
  }
}

export function durablePortFromClient(client: DurableClient): DurablePort {
  return {
    getRuntimeStatus: (instanceId) => runtimeStatusOf(client, instanceId),
    startNew: (orchestration, instanceId, input) => startNewOrExists(client, orchestration, instanceId, input),
    raiseEvent: (instanceId, eventName, payload) => raiseIfActive(client, instanceId, eventName, payload),
  };
}
