import { RestClient, type RestClientOptions } from '../http/rest-client';
import { type Job, type JobRun, Responses } from './types';

/**
 * Databricks Jobs API 2.2 client. Auth (PAT, OAuth or Entra for Azure Databricks), retries and typed
 * errors come from RestClient.
 *
 * Invariant: run-now and runs/submit are retried after ambiguous failures (5xx, timeouts) ONLY when an
 * idempotency_token is sent; Databricks then guarantees one run per token and answers with the existing
 * run id. Tokens are at most 64 characters (checked here, before the call).
 */
export type DatabricksClientOptions = Omit<RestClientOptions, 'service'>;

const API = '/api/2.2/jobs';

function checkToken(token: string | undefined): void {
  if (token !== undefined && (token.length === 0 || token.length > 64)) {
    throw new RangeError(`idempotency_token must be 1-64 characters, got ${token.length}`);
  }
}

export interface RunNowRequest {
  jobId: number;
  jobParameters?: Record<string, string>;
  idempotencyToken?: string;
  queue?: boolean;
  only?: string[];
}

export interface SubmitRunRequest {
  runName: string;
  tasks: Record<string, unknown>[];
  idempotencyToken?: string;
  timeoutSeconds?: number;
  /** Other runs/submit fields passed as is (environments, git_source, webhook_notifications, tags...). */
  extra?: Record<string, unknown>;
}

export class DatabricksJobsClient {
  readonly http: RestClient;

  constructor(options: DatabricksClientOptions) {
    this.http = new RestClient({ service: 'databricks', ...options });
  }

  async runNow(r: RunNowRequest, signal?: AbortSignal): Promise<{ runId: number; numberInJob?: number }> {
    checkToken(r.idempotencyToken);
    const body: Record<string, unknown> = { job_id: r.jobId };
    if (r.jobParameters) body.job_parameters = r.jobParameters;
    if (r.idempotencyToken) body.idempotency_token = r.idempotencyToken;
    if (r.queue !== undefined) body.queue = { enabled: r.queue };
    if (r.only) body.only = r.only;
    const res = await this.http.request({
      method: 'POST',
      path: `${API}/run-now`,
      body,
      idempotent: r.idempotencyToken !== undefined,
      schema: Responses.runNow,
      signal,
    });
    return res.number_in_job === undefined
      ? { runId: res.run_id }
      : { runId: res.run_id, numberInJob: res.number_in_job };
  }

  async submitRun(r: SubmitRunRequest, signal?: AbortSignal): Promise<{ runId: number }> {
    checkToken(r.idempotencyToken);
    const body: Record<string, unknown> = { ...r.extra, run_name: r.runName, tasks: r.tasks };
    if (r.idempotencyToken) body.idempotency_token = r.idempotencyToken;
    if (r.timeoutSeconds !== undefined) body.timeout_seconds = r.timeoutSeconds;
    const res = await this.http.request({
      method: 'POST',
      path: `${API}/runs/submit`,
      body,
      idempotent: r.idempotencyToken !== undefined,
      schema: Responses.submit,
      signal,
    });
    return { runId: res.run_id };
  }

  async getRun(runId: number, signal?: AbortSignal): Promise<JobRun> {
    return this.http.request({
      method: 'GET',
      path: `${API}/runs/get`,
      query: { run_id: runId },
      schema: Responses.run,
      signal,
    });
  }

  /** Asynchronous on Databricks: the run reaches CANCELED later; poll getRun. Cancelling a finished run is a no-op. */
  async cancelRun(runId: number, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API}/runs/cancel`,
      body: { run_id: runId },
      idempotent: true,
      signal,
    });
  }

  async getJob(jobId: number, signal?: AbortSignal): Promise<Job> {
    return this.http.request({
      method: 'GET',
      path: `${API}/get`,
      query: { job_id: jobId },
      schema: Responses.job,
      signal,
    });
  }

  /** Replaces ALL settings of a job (release deployment). Read them first with getJob to record before/after. */
  async resetJob(jobId: number, newSettings: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `${API}/reset`,
      body: { job_id: jobId, new_settings: newSettings },
      idempotent: true,
      signal,
    });
  }
}
