/**
 * Activities of the `runJob` sub-orchestration: start (resolve the referenced job in the policy, start it idempotent
 * by key, then record run → owner so job-finished events find the instance), status, cancel. Inputs are validated
 * here: history is data, not trusted types. The rendered spec (with declared setting values) never leaves jobStart.
 */
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { appendAudit } from '../../../shared/audit';
import { ValidationError } from '../../../shared/errors';
import { resolveJob } from '../../../shared/jobs/catalog';
import {
  JobStartInput,
  TERMINAL_STATES,
  type JobStartResult,
  type JobStatusResult,
} from '../../../shared/jobs/contract';
import { loadPolicy } from '../../../shared/policy/load';
import { runsSettings } from '../../../shared/runs/settings';
import { recordJobRunOwner } from '../../../shared/jobs/owners';
import { services } from '../../../shared/services';
import { recordJobDuration } from '../../../shared/telemetry/metrics';
import { JobActivities } from '../../contracts/jobs';
import { registerActivity } from '../register';

const RunRefSchema = z.object({
  runner: z.enum(['databricks', 'local']),
  runId: z.string().min(1),
  key: z.string(),
  startedAt: z.string(),
  timeoutMs: z.number(),
  url: z.string().optional(),
});

const RefInput = z.object({ ref: RunRefSchema });

export async function jobStart(raw: unknown, context: InvocationContext): Promise<JobStartResult> {
  const input = JobStartInput.parse(raw);
  // An unreadable policy may be transient (an edit in progress): throw, so the start is retried.
  const policy = await loadPolicy(runsSettings().policyPath);
  let ref;
  try {
    const spec = resolveJob(policy, input.ref, input.vars, process.env);
    ref = await services().jobRunner().start(spec, input.idempotencyKey);
  } catch (e) {
    if (e instanceof ValidationError) {
      context.warn('job refused', {
        code: e.code,
        ref: input.ref,
        label: input.label,
        instanceId: input.ownerInstanceId,
      });
      await appendAudit({
        action: 'job.start',
        actor: 'stagecraft',
        requestId: input.ownerInstanceId,
        target: JSON.stringify(input.ref),
        outcome: 'refused',
        reason: e.code,
      });
      return { refused: { code: e.code, message: e.message } };
    }
    throw e;
  }
  await recordJobRunOwner({
    runId: ref.runId,
    instanceId: input.ownerInstanceId,
    label: input.label,
    runner: ref.runner,
    startedAt: ref.startedAt,
  });
  context.info('job started', {
    runId: ref.runId,
    runner: ref.runner,
    instanceId: input.ownerInstanceId,
    label: input.label,
    ref: input.ref,
  });
  return { runRef: ref.runId, ref };
}

export async function jobStatus(raw: unknown): Promise<JobStatusResult> {
  const { ref } = RefInput.parse(raw);
  const s = await services().jobRunner().get(ref);
  const out: JobStatusResult = { state: s.state };
  // runJob stops polling at a terminal state, so the end of a run is seen here once (at least once on a retry).
  if ((TERMINAL_STATES as readonly string[]).includes(s.state))
    recordJobDuration(ref.runner, s.state, (Date.now() - Date.parse(ref.startedAt)) / 1000);
  if (s.resultSummary) out.resultSummary = s.resultSummary;
  if (s.outputTail) out.outputTail = s.outputTail;
  return out;
}

export async function jobCancel(raw: unknown, context: InvocationContext): Promise<void> {
  const { ref } = RefInput.parse(raw);
  await services().jobRunner().cancel(ref);
  context.info('job cancelled', { runId: ref.runId, runner: ref.runner });
}

registerActivity(JobActivities.start, { handler: jobStart });
registerActivity(JobActivities.status, { handler: jobStatus });
registerActivity(JobActivities.cancel, { handler: jobCancel });
