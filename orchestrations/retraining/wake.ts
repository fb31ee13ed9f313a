/**
 * `retrainingWake`: sleeps until `dueAt`, then raises a `wake` RetrainTrigger into the coordinator. One per
 * (model, purpose, due time): the instance id is derived from them, so arming twice starts it once.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { dateAt } from '../../shared/retraining/dates';
import type { WakeInput } from '../../shared/retraining/contract';
import { RETRAINING } from '../../shared/retraining/names';
import { RetrainingActivities as RA } from '../contracts/retraining';
import { call } from '../lib/typed';

const retry = new df.RetryOptions(1_000, 5);
retry.backoffCoefficient = 2;

function* retrainingWake(context: OrchestrationContext): Generator<Task, string, unknown> {
  const input = context.df.getInput<WakeInput>();
  const due = dateAt(input.dueAt);
  if (due.getTime() > context.df.currentUtcDateTime.getTime()) yield context.df.createTimer(due);
  yield* call(context, RA.raise, { instanceId: input.coordinatorId, payload: { kind: 'wake', id: input.id } }, retry);
  return input.id;
}

df.app.orchestration(RETRAINING.wake, retrainingWake);
