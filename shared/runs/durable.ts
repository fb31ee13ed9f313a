import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

/**
 * Small helpers over the durable client for activities and HTTP functions.
 * getStatus throws on 404 (durable-functions 3.x): `statusOf` turns that into undefined.
 */
export async function statusOf(client: DurableClient, instanceId: string, options: { showInput?: boolean; showHistory?: boolean; showHistoryOutput?: boolean } = {}): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, options);
  } catch (e) {
    if (e instanceof Error && /HTTP 404/.test(e.message)) return undefined;
    throw e;
  }
}

export const TERMINAL_RUNTIME = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * Starts `name` with a deterministic id unless an instance with that id exists (in any state): arming or
 * starting twice is one instance. Returns whether this call started it.
 */
export async function startOnce(client: DurableClient, name: string, instanceId: string, input: unknown): Promise<boolean> {
  if (await statusOf(client, instanceId)) return false;
  await client.startNew(name, { instanceId, input });
  return true;
}
