import type { DurablePort } from '../durable/port';
import { TransientError } from '../errors';
import { RETRAINING } from './names';
import { retrainingCoordinatorId } from './state';
import { RETRAIN_TRIGGER_EVENT } from './trigger';

/**
 * Delivers a trigger to a model's coordinator, starting it first when it does not exist (or ended, e.g. it
 * was terminated by an operator). The same as the router's signal plan with `startIfMissing`.
 */
export async function signalCoordinator(
  durable: Pick<DurablePort, 'ensureRunning' | 'raise'>,
  model: string,
  payload: unknown,
): Promise<string> {
  const id = retrainingCoordinatorId(model);
  await ensureRunning(durable, id, model);
  await raiseTrigger(durable, id, payload);
  return id;
}

/** Start the model's coordinator when it is missing or has finished (e.g. terminated by an operator). */
export async function ensureRunning(
  durable: Pick<DurablePort, 'ensureRunning'>,
  coordinatorId: string,
  model: string,
): Promise<void> {
  await durable.ensureRunning(RETRAINING.coordinator, coordinatorId, { model });
}

/** Raise a trigger into a coordinator that runs: one that ended in between is a retryable failure, never a silent drop. */
export async function raiseTrigger(
  durable: Pick<DurablePort, 'raise'>,
  coordinatorId: string,
  payload: unknown,
): Promise<void> {
  const r = await durable.raise(coordinatorId, RETRAIN_TRIGGER_EVENT, payload);
  if (r !== 'raised')
    throw new TransientError(
      'RETRAIN_COORDINATOR_GONE',
      `the retraining coordinator ${coordinatorId} is ${r === 'gone' ? 'finished' : 'missing'}; try again`,
      { details: { coordinatorId } },
    );
}
