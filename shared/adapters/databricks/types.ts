import { z } from 'zod';

/** Databricks Jobs API 2.2 shapes (databricks-sdk service/jobs). Parsed leniently; unknown fields dropped. */
const RunState = z.object({
  life_cycle_state: z.string().optional(),
  result_state: z.string().optional(),
  state_message: z.string().optional(),
  user_cancelled_or_timedout: z.boolean().optional(),
});
const RunStatus = z.object({
  state: z.string().optional(),
  termination_details: z
    .object({ code: z.string().optional(), type: z.string().optional(), message: z.string().optional() })
    .optional(),
});

export const JobRun = z.object({
  job_id: z.number().optional(),
  run_id: z.number(),
  number_in_job: z.number().optional(),
  run_name: z.string().optional(),
  run_page_url: z.string().optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  state: RunState.optional(),
  status: RunStatus.optional(),
  tasks: z
    .array(
      z.object({
        task_key: z.string().optional(),
        run_id: z.number().optional(),
        state: RunState.optional(),
        status: RunStatus.optional(),
      }),
    )
    .optional()
    .default([]),
  next_page_token: z.string().optional(),
});
export type JobRun = z.output<typeof JobRun>;

export const Job = z.object({
  job_id: z.number(),
  creator_user_name: z.string().optional(),
  created_time: z.number().optional(),
  settings: z.record(z.string(), z.unknown()).optional().default({}),
});
export type Job = z.output<typeof Job>;

export const Responses = {
  runNow: z.object({ run_id: z.number(), number_in_job: z.number().optional() }),
  submit: z.object({ run_id: z.number() }),
  run: JobRun,
  job: Job,
  empty: z.object({}),
};

export type RunLifecycle = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'TIMED_OUT';

/**
 * A run's lifecycle in JobRunner terms. `state` (result_state) is read first because it alone says
 * TIMEDOUT; `status` (the newer field) is the fallback. Unknown values: non-terminal states stay
 * RUNNING, unknown terminal results are FAILED (Databricks may add values).
 */
export function runLifecycle(run: Pick<JobRun, 'state' | 'status'>): { state: RunLifecycle; message: string } {
  const lc = run.state?.life_cycle_state;
  const rs = run.state?.result_state;
  const msg = run.state?.state_message || run.status?.termination_details?.message || '';
  if (lc) {
    if (lc === 'QUEUED' || lc === 'PENDING' || lc === 'BLOCKED' || lc === 'WAITING_FOR_RETRY')
      return { state: 'PENDING', message: msg || lc };
    if (lc === 'RUNNING' || lc === 'TERMINATING') return { state: 'RUNNING', message: msg || lc };
    if (lc === 'SKIPPED') return { state: 'CANCELED', message: msg || 'run skipped' };
    if (lc === 'INTERNAL_ERROR') return { state: 'FAILED', message: msg || 'internal error' };
    if (lc === 'TERMINATED') {
      if (rs === 'SUCCESS' || rs === 'SUCCESS_WITH_FAILURES') return { state: 'SUCCEEDED', message: msg || rs };
      if (rs === 'TIMEDOUT') return { state: 'TIMED_OUT', message: msg || 'run timed out' };
      if (rs === 'CANCELED' || rs === 'UPSTREAM_CANCELED') return { state: 'CANCELED', message: msg || rs };
      return { state: 'FAILED', message: msg || rs || 'failed' };
    }
  }
  const st = run.status?.state;
  if (st === 'TERMINATED') {
    const code = run.status?.termination_details?.code;
    if (code === 'SUCCESS' || code === 'SUCCESS_WITH_FAILURES') return { state: 'SUCCEEDED', message: msg || code };
    if (code === 'USER_CANCELED' || code === 'CANCELED' || code === 'SKIPPED')
      return { state: 'CANCELED', message: msg || code };
    return { state: 'FAILED', message: msg || code || 'failed' };
  }
  if (st === 'RUNNING' || st === 'TERMINATING') return { state: 'RUNNING', message: msg || st };
  return { state: 'PENDING', message: msg || st || 'unknown state' };
}
