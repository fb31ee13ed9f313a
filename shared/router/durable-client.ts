/**
 * DurablePort over durable-functions' DurableClient. The client reports outcomes as HTTP statuses wrapped in errors;
 * this maps them to the router's small vocabulary.
 */
import type { DurableClient } from 'durable-functions';
import { TransientError } from '../errors';
import type { DurablePort } from './route';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function durablePortFromClient(client: DurableClient): DurablePort {
  return {
    async getRuntimeStatus(instanceId) {
      try {
        const status = await client.getStatus(instanceId);
        return status.runtimeStatus;
      } catch (e) {
        if (/HTTP 404/.test(message(e))) return undefined;
        throw new TransientError('DURABLE_UNAVAILABLE', `Could not read the status of ${instanceId}: ${message(e)}`, { cause: e });
      }
    },
    async startNew(orchestration, instanceId, input) {
      try {
        await client.startNew(orchestration, { instanceId, input });
        return 'started';
      } catch (e) {
        // The engine refuses an id that is already taken with 409 Conflict.
        if (/\b409\b|already exists|Conflict/i.test(message(e))) return 'exists';
        throw new TransientError('DURABLE_START_FAILED', `Could not start ${orchestration} ${instanceId}: ${message(e)}`, { cause: e });
      }
    },
    async raiseEvent(instanceId, eventName, payload) {
      try {
        await client.raiseEvent(instanceId, eventName, payload);
        return 'raised';
      } catch (e) {
        if (/No instance with ID/.test(message(e))) return 'not-found';
        if (/\b410\b/.test(message(e))) return 'gone';
        throw new TransientError('DURABLE_RAISE_FAILED', `Could not raise ${eventName} into ${instanceId}: ${message(e)}`, { cause: e });
      }
    },
  };
}

/** Start `name` as `instanceId` unless an instance with that id exists (any status): at most one run per id. */
export function startOnce(client: DurableClient): (name: string, instanceId: string, input: unknown) => Promise<'started' | 'exists'> {
  const port = durablePortFromClient(client);
  return async (name, instanceId, input) => ((await port.getRuntimeStatus(instanceId)) !== undefined ? 'exists' : port.startNew(name, instanceId, input));
}
