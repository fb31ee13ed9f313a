/**
 * The `runJob` sub-orchestration contract, shared with every workflow that runs a job (promotion checks and
 * deployments, CI suites, retraining). Callers use `context.df.callSubOrchestrator(RUN_JOB, input, childId)`.
 *
 * Invariants:
 * - `idempotencyKey` makes starting the job idempotent (Databricks `idempotency_token`, local run key): a replayed or
 *   retried start returns the same run. A caller that wants a fresh attempt passes a new key.
 * - The sub-orchestration never throws for a job outcome: FAILED, CANCELED and TIMED_OUT are values. It throws only
 *   when the input is invalid or the job cannot be started at all.
 */
import { z } from 'zod';
import type { JobState, RunRef } from '../adapters/jobs/port';
import { JobSpec } from '../policy/job-spec';

export const RUN_JOB = 'runJob';

export const RunJobInput = z.object({
  job: JobSpec,
  /** ≤ 64 chars is what Databricks accepts; longer keys are hashed by the start activity. */
  idempotencyKey: z.string().min(1).max(512),
  label: z.string().min(1).max(200),
  timeoutSeconds: z.number().positive().max(7 * 86_400),
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

export interface JobStartInput {
  job: z.output<typeof JobSpec>;
  idempotencyKey: string;
  label: string;
  ownerInstanceId: string;
}

export interface JobStartResult {
  /** The provider's run id (Databricks run_id, local run id): job-finished events name it. */
  runRef: string;
  /** The runner's reference, passed back to the status and cancel activities. */
  ref: RunRef;
}

export interface JobRefInput {
  ref: RunRef;
}

/** Activity names (registered in orchestrations/activities/jobs/). */
export const JOB_ACTIVITIES = { start: 'jobStart', status: 'jobStatus', cancel: 'jobCancel' } as const;
