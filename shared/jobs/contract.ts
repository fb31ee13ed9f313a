/**
 * The `runJob` sub-orchestration contract, shared with every workflow that runs a job (promotion checks and
 * deployments, CI suites, retraining). Callers use `context.df.callSubOrchestrator(RUN_JOB, input, childId)`.
 *
 * Invariants:
 * - `idempotencyKey` makes starting the job idempotent (Databricks `idempotency_token`, local run key): a replayed or
 *   retried start returns the same run. A caller that wants a fresh attempt passes a new key.
 * - The sub-orchestration never throws for a job outcome: FAILED, CANCELED and TIMED_OUT are values. It throws only
 *   when the input is invalid, the policy does not declare the referenced job (message starts with the error code,
 *   e.g. `JOB_NOT_IN_POLICY:`), or the job cannot be started at all.
 * - What runs comes only from the policy: the input names a job by reference (catalog.ts).
 */
import { z } from 'zod';
import type { JobState, RunRef } from '../adapters/jobs/port';
import { JobRef, JobVars } from './catalog';

export const RUN_JOB = 'runJob';

/**
 * What to run is a reference into the policy (shared/jobs/catalog.ts), plus the variables its templates use;
 * never a command. Strict: an input that carries a `job`, `command` or any other field is refused.
 */
export const RunJobInput = z.strictObject({
  ref: JobRef,
  vars: JobVars,
  /** ≤ 64 chars is what Databricks accepts; longer keys are hashed by the start activity. */
  idempotencyKey: z.string().min(1).max(512),
  label: z.string().min(1).max(200),
  /** How long to wait; default the job's own timeout from the policy (returned by the start activity). */
  timeoutSeconds: z
    .number()
    .positive()
    .max(7 * 86_400)
    .optional(),
  pollInitialSeconds: z.number().positive().max(3_600).optional(),
  pollMaxSeconds: z.number().positive().max(3_600).optional(),
});
export type RunJobInput = z.input<typeof RunJobInput>;

export const TERMINAL_STATES = ['SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT'] as const;
export type TerminalJobState = (typeof TERMINAL_STATES)[number];

export const RunJobOutput = z.object({
  runRef: z.string(),
  state: z.enum(TERMINAL_STATES),
  resultSummary: z.string().optional(),
  outputTail: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RunJobOutput = z.output<typeof RunJobOutput>;

/** What the status activity reports; PENDING/RUNNING are not terminal. */
export type JobRunState = JobState;

export interface JobStatusResult {
  state: JobRunState;
  resultSummary?: string;
  outputTail?: string;
}

export const JobStartInput = z.strictObject({
  ref: JobRef,
  vars: JobVars,
  idempotencyKey: z.string().min(1),
  label: z.string(),
  ownerInstanceId: z.string().min(1),
});
export type JobStartInput = z.input<typeof JobStartInput>;

export type JobStartResult =
  | {
      /** The provider's run id (Databricks run_id, local run id): job-finished events name it. */
      runRef: string;
      /** The runner's reference, passed back to the status and cancel activities (its timeoutMs is the job's). */
      ref: RunRef;
    }
  | {
      /** The reference or its variables were refused (JOB_NOT_IN_POLICY, RETRAIN_PARAMETERS_INVALID...): nothing ran. */
      refused: { code: string; message: string };
    };

export interface JobRefInput {
  ref: RunRef;
}

/** Activity names (registered in orchestrations/activities/jobs/). */
export const JOB_ACTIVITIES = { start: 'jobStart', status: 'jobStatus', cancel: 'jobCancel' } as const;
