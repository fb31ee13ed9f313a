/**
 * `retrainingRun`: one retraining of one model. Its instance id is the retraining run id, which the training
 * job receives as the `retraining_run_id` parameter and must put on the version it registers as the tag
 * `stagecraft.retraining_run_id`: that is how the promotion of the new version links back to this run.
 *
 * Invariant: whatever happens (job failed, timed out, could not start), the coordinator gets a
 * `run-finished` notice, so a model is never left "running" forever.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { RunJobInput } from '../../shared/jobs/contract';
import { type FinishInput, RunInput, type RunOutput } from '../../shared/retraining/contract';
import { RETRAINING } from '../../shared/retraining/names';
import { RetrainingActivities as RA } from '../contracts/retraining';
import { Orchestrators as O } from '../contracts/orchestrators';
import { call, callSub } from '../lib/typed';

const retry = new df.RetryOptions(1_000, 5);
retry.backoffCoefficient = 2;

function* retrainingRun(context: OrchestrationContext): Generator<Task, RunOutput, unknown> {
  const run = RunInput.parse(context.df.getInput());
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const finish: FinishInput = { run, startedAt, outcome: 'ERROR' };
  try {
    context.df.setCustomStatus({ step: 'preparing', model: run.model, trigger: run.triggerKind });
    const prep = yield* call(context, RA.runPrepare, run, retry);
    if ('refused' in prep) throw new Error(`${prep.refused.code}: ${prep.refused.message}`);
    context.df.setCustomStatus({ step: 'training', model: run.model, trigger: run.triggerKind });
    const jobInput: RunJobInput = {
      ref: { kind: 'training', model: run.model },
      vars: prep.vars,
      idempotencyKey: run.runId,
      label: `retrain ${run.model}`,
      timeoutSeconds: prep.timeoutSeconds,
    };
    const result = yield* callSub(context, O.runJob, jobInput, `${run.runId}:job`);
    finish.outcome = result.state;
    finish.job = result;
  } catch (e) {
    finish.outcome = 'ERROR';
    finish.error = e instanceof Error ? e.message.slice(0, 2_000) : String(e);
  }
  context.df.setCustomStatus({ step: 'finished', model: run.model, outcome: finish.outcome });
  yield* call(context, RA.runFinish, finish, retry);
  const out: RunOutput = {
    runId: run.runId,
    model: run.model,
    outcome: finish.outcome,
    startedAt,
    finishedAt: context.df.currentUtcDateTime.toISOString(),
  };
  if (finish.job) out.jobRunRef = finish.job.runRef;
  const summary = finish.job?.resultSummary ?? finish.error;
  if (summary !== undefined) out.summary = summary;
  return out;
}

df.app.orchestration(RETRAINING.run, retrainingRun);
