/** Activities of `retrainingRun`: render the training job from the policy; record the end and notify the coordinator. */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durablePortFor } from '../../../shared/durable/durable-functions';
import { ValidationError } from '../../../shared/errors';
import { runsSettings } from '../../../shared/runs/settings';
import { runStepStore } from '../../../shared/runs/store';
import { type FinishInput, type PrepareResult, RunInput } from '../../../shared/retraining/contract';
import { RETRAINING } from '../../../shared/retraining/names';
import { loadRetrainingPolicy } from '../../../shared/retraining/policy';
import { trainingJob } from '../../../shared/retraining/run';
import { RETRAIN_TRIGGER_EVENT } from '../../../shared/retraining/trigger';
import { RetrainingActivities } from '../../contracts/retraining';
import { registerActivity } from '../register';

registerActivity(RetrainingActivities.runPrepare, {
  handler: async (raw: unknown, ctx: InvocationContext): Promise<PrepareResult> => {
    const run = RunInput.parse(raw);
    const settings = runsSettings();
    const policy = await loadRetrainingPolicy(settings.policyPath, run.model);
    if (!policy.ok) throw new ValidationError(policy.code, policy.message);
    const startedAt = new Date().toISOString();
    let prepared;
    try {
      prepared = trainingJob(policy.retraining, run, startedAt);
    } catch (e) {
      // Refused parameters do not get better with retries: a value, recorded by the run's finish.
      if (e instanceof ValidationError) return { refused: { code: e.code, message: e.message } };
      throw e;
    }
    await runStepStore(settings).upsert([
      {
        instanceId: run.runId,
        name: 'training-job',
        at: startedAt,
        workflow: RETRAINING.run,
        kind: 'retraining.job',
        status: 'started',
        title: `training job (${prepared.runner}) started for ${run.model}`,
        data: { runner: prepared.runner, parameters: prepared.parameters, timeoutSeconds: prepared.timeoutSeconds },
      },
    ]);
    ctx.info('retraining job prepared', { runId: run.runId, model: run.model, runner: prepared.runner });
    return prepared;
  },
});

registerActivity(RetrainingActivities.runFinish, {
  extraInputs: [df.input.durableClient()],
  handler: async (input: FinishInput, ctx: InvocationContext) => {
    const settings = runsSettings();
    const at = new Date().toISOString();
    await runStepStore(settings).upsert([
      {
        instanceId: input.run.runId,
        name: 'finished',
        at,
        workflow: RETRAINING.run,
        kind: 'retraining.finished',
        status: input.outcome,
        title: `retraining of ${input.run.model} ended ${input.outcome}${input.job?.resultSummary ? `: ${input.job.resultSummary}` : input.error ? `: ${input.error}` : ''}`,
        data: { outcome: input.outcome, job: input.job, error: input.error, startedAt: input.startedAt },
      },
    ]);
    const summary = input.job?.resultSummary ?? input.error;
    // A coordinator that has finished drops the notice (as before); a missing one fails the activity.
    const raised = await durablePortFor(ctx).raise(input.run.coordinatorId, RETRAIN_TRIGGER_EVENT, {
      kind: 'run-finished',
      runId: input.run.runId,
      outcome: input.outcome,
      ...(summary !== undefined ? { summary: summary.slice(0, 500) } : {}),
    });
    if (raised === 'not-found') throw new Error(`no coordinator ${input.run.coordinatorId}`);
    ctx.info('retraining run finished', { runId: input.run.runId, model: input.run.model, outcome: input.outcome });
    return true;
  },
});
