import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors';
import type { JobSpec } from '../../policy/job-spec';
import type { DatabricksJobsClient } from '../databricks/client';
import { runLifecycle } from '../databricks/types';
import { type JobRunner, type JobStatus, type RunRef, isTerminal } from './port';

/**
 * Databricks jobs through `jobs/run-now` with an idempotency token derived from the key (the key itself
 * when it fits Databricks' 64-character limit and charset, else `sc-` + a SHA-256 prefix). The spec's
 * timeout is enforced on get(): a run still going past it is cancelled and reported TIMED_OUT.
 */
export function idempotencyToken(key: string): string {
  if (key.length > 0 && key.length <= 64 && /^[A-Za-z0-9._:-]+$/.test(key)) return key;
  return `sc-${createHash('sha256').update(key).digest('hex').slice(0, 61)}`;
}

export class DatabricksJobRunner implements JobRunner {
  constructor(
    private readonly client: DatabricksJobsClient,
    private readonly options: { now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(spec: JobSpec, key: string, signal?: AbortSignal): Promise<RunRef> {
    if (spec.runner !== 'databricks')
      throw new ValidationError('JOB_RUNNER_MISMATCH', `the Databricks runner cannot run a '${spec.runner}' job`);
    const { runId } = await this.client.runNow(
      { jobId: spec.jobId, jobParameters: spec.parameters, idempotencyToken: idempotencyToken(key) },
      signal,
    );
    const ref: RunRef = {
      runner: 'databricks',
      runId: String(runId),
      key,
      startedAt: new Date(this.now()).toISOString(),
      timeoutMs: spec.timeoutMs,
    };
    return ref;
  }

  async get(ref: RunRef, signal?: AbortSignal): Promise<JobStatus> {
    const run = await this.client.getRun(Number(ref.runId), signal);
    const { state, message } = runLifecycle(run);
    const withUrl: RunRef = run.run_page_url ? { ...ref, url: run.run_page_url } : ref;
    if (!isTerminal(state) && this.now() - Date.parse(ref.startedAt) > ref.timeoutMs) {
      await this.client.cancelRun(Number(ref.runId), signal);
      return {
        ref: withUrl,
        state: 'TIMED_OUT',
        terminal: true,
        resultSummary: `no result within ${ref.timeoutMs} ms: run cancelled`,
        outputTail: '',
      };
    }
    const status: JobStatus = {
      ref: withUrl,
      state,
      terminal: isTerminal(state),
      resultSummary: `${state}${message && message !== state ? `: ${message}` : ''}`,
      outputTail: (run.state?.state_message ?? '').slice(-2000),
    };
    if (run.end_time) status.endedAt = new Date(run.end_time).toISOString();
    return status;
  }

  async cancel(ref: RunRef, signal?: AbortSignal): Promise<void> {
    await this.client.cancelRun(Number(ref.runId), signal);
  }
}
