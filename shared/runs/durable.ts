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

// Starting with a deterministic id: `startOnce` / `ensureRunning` in shared/router/durable-client.ts (one implementation).
