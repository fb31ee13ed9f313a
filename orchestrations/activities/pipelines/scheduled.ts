/** Activities of `scheduledJob`: plan (policy `jobs` entry → job spec) and record the outcome. */
import type { InvocationContext } from '@azure/functions';
import type { RunJobOutput } from '../../../shared/jobs/contract';
import { jobSpecFromDef, jobTimeoutSeconds } from '../../../shared/policy';
import { loadPolicy } from '../../../shared/policy/load';
import type { ScheduledJobInput, ScheduledPlan } from '../../../shared/pipelines/contract';
import { PIPELINES } from '../../../shared/pipelines/names';
import { runsSettings } from '../../../shared/runs/settings';
import { runStepStore } from '../../../shared/runs/store';
import { PipelineActivities } from '../../contracts/pipelines';
import { registerActivity } from '../register';

registerActivity(PipelineActivities.scheduledPlan, {
  handler: async (
    raw: { input: ScheduledJobInput; instanceId: string },
    ctx: InvocationContext,
  ): Promise<ScheduledPlan> => {
    const settings = runsSettings();
    const now = new Date().toISOString();
    const policy = await loadPolicy(settings.policyPath);
    const def = policy.jobs[raw.input.job];
    let plan: ScheduledPlan;
    if (!def) plan = { skip: true, reason: `no job '${raw.input.job}' under jobs in the policy` };
    else if (!def.enabled) plan = { skip: true, reason: `job '${raw.input.job}' is disabled in the policy` };
    else {
      const vars: Record<string, string> = {
        'job.name': raw.input.job,
        'job.kind': def.kind,
        'schedule.time': raw.input.scheduledFor ?? now,
        'trigger.kind': raw.input.trigger,
        'instance.id': raw.instanceId,
        'model.name': def.model ?? '',
      };
      const job = {
        ref: { kind: 'scheduled' as const, job: raw.input.job },
        vars,
        runner: def.job.runner,
        timeoutSeconds: jobTimeoutSeconds(def.job),
      };
      plan = {
        skip: false,
        name: raw.input.job,
        kind: def.kind,
        job,
        startedAt: now,
        ...(def.model ? { model: def.model } : {}),
      };
    }
    await runStepStore(settings).upsert([
      {
        instanceId: raw.instanceId,
        name: 'plan',
        at: now,
        workflow: PIPELINES.scheduled,
        kind: 'job.plan',
        status: plan.skip ? 'skipped' : 'planned',
        title: plan.skip
          ? `skipped: ${plan.reason}`
          : `${plan.kind} job ${plan.name} (${raw.input.trigger}${raw.input.scheduledFor ? ` for ${raw.input.scheduledFor}` : ''})`,
        data: {
          input: raw.input,
          ...(plan.skip
            ? {}
            : {
                runner: plan.job.runner,
                parameters: jobSpecFromDef(policy.jobs[plan.name]!.job, plan.job.vars).parameters,
              }),
        },
      },
    ]);
    ctx.info('scheduled job planned', { instanceId: raw.instanceId, job: raw.input.job, skip: plan.skip });
    return plan;
  },
});

registerActivity(PipelineActivities.scheduledFinish, {
  handler: async (
    input: { instanceId: string; plan: ScheduledPlan; result?: RunJobOutput; error?: string; outcome: string },
    ctx: InvocationContext,
  ) => {
    const settings = runsSettings();
    const name = input.plan.skip ? '' : input.plan.name;
    await runStepStore(settings).upsert([
      {
        instanceId: input.instanceId,
        name: 'outcome',
        at: new Date().toISOString(),
        workflow: PIPELINES.scheduled,
        kind: 'job.outcome',
        status: input.outcome,
        title: `job ${name} ${input.outcome}${input.result?.resultSummary ? ` - ${input.result.resultSummary}` : input.error ? ` - ${input.error}` : ''}`,
        data: { result: input.result, error: input.error },
      },
    ]);
    ctx.info('scheduled job finished', { instanceId: input.instanceId, job: name, outcome: input.outcome });
    return true;
  },
});
