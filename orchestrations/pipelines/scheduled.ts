/**
 * `scheduledJob` (input `{ job, scheduledFor?, trigger }`): one run of a feature-refresh or batch-scoring job the
 * policy declares under `jobs`. Started by the schedules timer with the id `scheduledJob:<job>:<scheduled
 * minute>` (a restart or an overlapping tick finds the same instance) or by HTTP.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { type RunJobInput, type RunJobOutput } from '../../shared/jobs/contract';
import type { ScheduledJobInput } from '../../shared/pipelines/contract';
import { PIPELINES } from '../../shared/pipelines/names';
import { PipelineActivities as PLA } from '../contracts/pipelines';
import { Orchestrators as O } from '../contracts/orchestrators';
import { call, callSub } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 4);
retry.backoffCoefficient = 2;

function* scheduledJob(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const input = context.df.getInput<ScheduledJobInput>();
  const instanceId = context.df.instanceId;
  const plan = yield* call(context, PLA.scheduledPlan, { input, instanceId }, retry);
  if (plan.skip) {
    context.df.setCustomStatus({ step: 'skipped', reason: plan.reason });
    return { status: 'skipped', reason: plan.reason };
  }
  context.df.setCustomStatus({
    step: 'running',
    job: plan.name,
    kind: plan.kind,
    ...(plan.model ? { model: plan.model } : {}),
  });
  const jobInput: RunJobInput = {
    ref: plan.job.ref,
    vars: plan.job.vars,
    idempotencyKey: instanceId,
    label: `${plan.kind} ${plan.name}`,
    timeoutSeconds: plan.job.timeoutSeconds,
  };
  let result: RunJobOutput | undefined;
  let error: string | undefined;
  try {
    result = yield* callSub(context, O.runJob, jobInput, `${instanceId}:job`);
  } catch (e) {
    error = (e instanceof Error ? e.message : String(e)).slice(0, 1_000);
  }
  const outcome = result?.state ?? 'ERROR';
  yield* call(context, PLA.scheduledFinish, { instanceId, plan, result, error, outcome }, retry);
  context.df.setCustomStatus({
    step: 'done',
    job: plan.name,
    kind: plan.kind,
    outcome,
    ...(plan.model ? { model: plan.model } : {}),
  });
  return {
    status: outcome,
    job: plan.name,
    kind: plan.kind,
    ...(result ? { runRef: result.runRef, resultSummary: result.resultSummary } : {}),
    ...(error ? { error } : {}),
  };
}

df.app.orchestration(PIPELINES.scheduled, scheduledJob);
