import type { DurableClient } from 'durable-functions';
import { ensureRunning } from '../router/durable-client';
import { RETRAINING } from './names';
import { retrainingCoordinatorId } from './state';
import { RETRAIN_TRIGGER_EVENT } from './trigger';

/**
 * Delivers a trigger to a model's coordinator, starting it first when it does not exist (or ended, e.g. it
 * was terminated by an operator). The same as the router's signal plan with `startIfMissing`.
 */
export async function signalCoordinator(client: DurableClient, model: string, payload: unknown): Promise<string> {
  const id = retrainingCoordinatorId(model);
  await ensureRunning(client, RETRAINING.coordinator, id, { model });
  await client.raiseEvent(id, RETRAIN_TRIGGER_EVENT, payload);
  return id;
}
