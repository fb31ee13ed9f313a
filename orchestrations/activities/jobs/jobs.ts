/**
 * Activities of the `runJob` sub-orchestration: start (idempotent by key, then records run → owner so job-finished
 * events find the instance), status, cancel. Inputs are validated here: history is data, not trusted types.
 */
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { JobSpec } from '../../../shared/policy/job-spec';
import { JOB_ACTIVITIES, type JobStartResult, type JobStatusResult } from '../../../shared/jobs/contract';
import { recordJobRunOwner } from '../../../shared/jobs/owners';
import { jobRunnerFromEnv } from '../../../shared/jobs/runner';

const RunRefSchema = z.object({
  runner: z.enum(['databricks', 'local']),
  runId: z.string().min(1),
  key: z.string(),
  startedAt: z.string(),
  timeoutMs: z.number(),
  url: z.string().optional(),
});

const StartInput = z.object({ job: JobSpec, idempotencyKey: z.string().min(1), label: z.string(), ownerInstanceId: z.string().min(1) });
const RefInput = z.object({ ref: RunRefSchema });

export async function jobStart(raw: unknown, context: InvocationContext): Promise<JobStartResult> {
  const input = StartInput.parse(raw);
  const ref = await jobRunnerFromEnv().start(input.job, input.idempotencyKey);
  await recordJobRunOwner({ runId: ref.runId, instanceId: input.ownerInstanceId, label: input.label, runner: ref.runner, startedAt: ref.startedAt });
  context.info('job started', { runId: ref.runId, runner: ref.runner, instanceId: input.ownerInstanceId, label: input.label });
  return { runRef: ref.runId, ref };
}

export async function jobStatus(raw: unknown): Promise<JobStatusResult> {
  const { ref } = RefInput.parse(raw);
  const s = await jobRunnerFromEnv().get(ref);
  const out: JobStatusResult = { state: s.state };
  if (s.resultSummary) out.resultSummary = s.resultSummary;
  if (s.outputTail) out.outputTail = s.outputTail;
  return out;
}

export async function jobCancel(raw: unknown, context: InvocationContext): Promise<void> {
  const { ref } = RefInput.parse(raw);
  await jobRunnerFromEnv().cancel(ref);
  context.info('job cancelled', { runId: ref.runId, runner: ref.runner });
}

df.app.activity(JOB_ACTIVITIES.start, { handler: jobStart });
df.app.activity(JOB_ACTIVITIES.status, { handler: jobStatus });
df.app.activity(JOB_ACTIVITIES.cancel, { handler: jobCancel });
