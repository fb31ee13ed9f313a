import type { JobSpec } from '../../policy/job-spec';

/**
 * The JobRunner port: start a job idempotently, observe it, cancel it. Implemented for Databricks
 * (Jobs API) and for the embedded mode (local commands). Activities call it; orchestrations never do.
 *
 * Invariants every implementation keeps:
 * - start() with the same idempotency key returns the same run, also across process restarts.
 * - get() never throws for a known run because the run failed: failure is a state.
 * - A run exceeding its spec's timeoutMs ends TIMED_OUT (the runner cancels it).
 * - outputTail and resultSummary are for people: bounded size, never environment values.
 */
export type JobState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'TIMED_OUT';

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT']);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/** Serialisable reference to a started run (stored in orchestration history and records). */
export interface RunRef {
  runner: 'databricks' | 'local';
  runId: string;
  key: string;
  /** When the run was started (ISO), for timeout enforcement. */
  startedAt: string;
  timeoutMs: number;
  url?: string;
}

export interface JobStatus {
  ref: RunRef;
  state: JobState;
  terminal: boolean;
  resultSummary: string;
  outputTail: string;
  exitCode?: number;
  endedAt?: string;
}

export interface JobRunner {
  start(spec: JobSpec, idempotencyKey: string, signal?: AbortSignal): Promise<RunRef>;
  get(ref: RunRef, signal?: AbortSignal): Promise<JobStatus>;
  cancel(ref: RunRef, signal?: AbortSignal): Promise<void>;
}
