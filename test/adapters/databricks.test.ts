import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, StagecraftError, TransientError, ValidationError } from '../../shared/errors';
import { bearerAuth } from '../../shared/adapters/http';
import { DatabricksJobsClient, type DatabricksClientOptions, runLifecycle } from '../../shared/adapters/databricks';
import {
  DatabricksJobRunner,
  idempotencyToken,
  isTerminal,
  type JobStatus,
  type RunRef,
} from '../../shared/adapters/jobs';
import { type FakeDatabricks, startFakeDatabricks, startJsonServer, type JsonServer } from '../fakes';

let fake: FakeDatabricks;
let sleeps: number[];

function client(o: Partial<DatabricksClientOptions> = {}): DatabricksJobsClient {
  return new DatabricksJobsClient({
    baseUrl: fake.url,
    auth: bearerAuth('dapi-test'),
    timeoutMs: 2000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...o,
  });
}

async function caught(p: Promise<unknown>): Promise<StagecraftError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StagecraftError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** Polls until the run is terminal (the fake advances on its own schedule). */
async function settle(runner: DatabricksJobRunner, ref: RunRef): Promise<JobStatus> {
  for (;;) {
    const s = await runner.get(ref);
    if (s.terminal) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Runs move only when a test advances them, except for jobs seeded with an automatic behaviour.
beforeAll(async () => {
  fake = await startFakeDatabricks({ defaults: { manual: true } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  sleeps = [];
  fake.requests.length = 0;
  fake.clearFailures();
  fake.setLatency(0);
});

describe('Databricks Jobs 2.2 client against the fake', () => {
  it('run-now with the same idempotency_token returns the same run', async () => {
    const job = fake.seedJob({ name: 'validate' });
    const c = client();
    const a = await c.runNow({
      jobId: job.job_id,
      jobParameters: { model_name: 'bc', model_version: '3' },
      idempotencyToken: 'promote-bc-3-validate',
    });
    const b = await c.runNow({
      jobId: job.job_id,
      jobParameters: { model_name: 'bc', model_version: '3' },
      idempotencyToken: 'promote-bc-3-validate',
    });
    expect(b.runId).toBe(a.runId);
    expect(fake.state.runs.size).toBeGreaterThanOrEqual(1);
    expect(fake.requests[0]?.path).toBe('/api/2.2/jobs/run-now');
    expect(fake.requests[0]?.body).toMatchObject({
      job_id: job.job_id,
      idempotency_token: 'promote-bc-3-validate',
      job_parameters: { model_version: '3' },
    });
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer dapi-test');
  });

  it('retries run-now after a 500 only when it carries an idempotency token, and still creates one run', async () => {
    const job = fake.seedJob();
    fake.injectFailure({ path: '/run-now', status: 500, times: 1 });
    const before = fake.state.runs.size;
    await client().runNow({ jobId: job.job_id, idempotencyToken: 'retry-safe-1' });
    expect(fake.state.runs.size).toBe(before + 1);
    expect(sleeps).toHaveLength(1);
    fake.injectFailure({ path: '/run-now', status: 500, times: 1 });
    expect(await caught(client().runNow({ jobId: job.job_id }))).toBeInstanceOf(TransientError);
    expect(fake.requests.filter((r) => r.path.endsWith('/run-now'))).toHaveLength(3);
  });

  it('retries 429 with Retry-After even without a token (the request was not processed)', async () => {
    const job = fake.seedJob();
    fake.injectFailure({ path: '/run-now', status: 429, retryAfter: '1' });
    await client().runNow({ jobId: job.job_id });
    expect(sleeps).toEqual([1000]);
  });

  it('refuses an idempotency token over 64 characters before calling', async () => {
    await expect(client().runNow({ jobId: 1, idempotencyToken: 'x'.repeat(65) })).rejects.toThrow(/1-64 characters/);
    expect(fake.requests).toHaveLength(0);
  });

  it('submits a one-time run with a token, follows its lifecycle to SUCCESS, and cancels another', async () => {
    const c = client();
    const { runId } = await c.submitRun({
      runName: 'smoke',
      idempotencyToken: 'smoke-1',
      timeoutSeconds: 600,
      tasks: [{ task_key: 't', notebook_task: { notebook_path: '/x' } }],
    });
    expect(
      (await c.submitRun({ runName: 'smoke', idempotencyToken: 'smoke-1', tasks: [{ task_key: 't' }] })).runId,
    ).toBe(runId);
    expect(runLifecycle(await c.getRun(runId)).state).toBe('PENDING');
    fake.advance(runId, 'RUNNING');
    expect(runLifecycle(await c.getRun(runId)).state).toBe('RUNNING');
    fake.advance(runId, 'SUCCESS');
    expect(runLifecycle(await c.getRun(runId))).toMatchObject({ state: 'SUCCEEDED' });
    const other = await c.submitRun({ runName: 'cancel-me', tasks: [{ task_key: 't' }] });
    await c.cancelRun(other.runId);
    expect(runLifecycle(await c.getRun(other.runId)).state).toBe('CANCELED');
  });

  it('reads and resets a job definition (release deployment) and records before/after', async () => {
    const job = fake.seedJob({ name: 'train', max_concurrent_runs: 1 });
    const c = client();
    expect((await c.getJob(job.job_id)).settings).toMatchObject({ name: 'train', max_concurrent_runs: 1 });
    await c.resetJob(job.job_id, { name: 'train', max_concurrent_runs: 2 });
    expect((await c.getJob(job.job_id)).settings).toEqual({ name: 'train', max_concurrent_runs: 2 });
    expect(fake.state.resets.at(-1)).toMatchObject({
      job_id: job.job_id,
      before: { max_concurrent_runs: 1 },
      after: { max_concurrent_runs: 2 },
    });
  });

  it('types errors: unknown job on get → NotFound, on run-now → validation', async () => {
    const nf = await caught(client().getJob(999_999));
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.code).toBe('DATABRICKS_RESOURCE_DOES_NOT_EXIST');
    const inv = await caught(client().runNow({ jobId: 999_999, idempotencyToken: 'nope' }));
    expect(inv).toBeInstanceOf(ValidationError);
    expect(inv.code).toBe('DATABRICKS_INVALID_PARAMETER_VALUE');
  });

  it('times out a slow answer and reports DATABRICKS_TIMEOUT', async () => {
    fake.setLatency(300);
    const e = await caught(client({ timeoutMs: 40, retry: { maxAttempts: 2 } }).getRun(1));
    expect(e.code).toBe('DATABRICKS_TIMEOUT');
  });
});

describe('run lifecycle mapping', () => {
  it('maps Databricks states to JobRunner states, TIMEDOUT included', () => {
    expect(runLifecycle({ state: { life_cycle_state: 'QUEUED' } }).state).toBe('PENDING');
    expect(runLifecycle({ state: { life_cycle_state: 'TERMINATING' } }).state).toBe('RUNNING');
    expect(
      runLifecycle({ state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS_WITH_FAILURES' } }).state,
    ).toBe('SUCCEEDED');
    expect(runLifecycle({ state: { life_cycle_state: 'TERMINATED', result_state: 'TIMEDOUT' } }).state).toBe(
      'TIMED_OUT',
    );
    expect(runLifecycle({ state: { life_cycle_state: 'TERMINATED', result_state: 'UPSTREAM_FAILED' } }).state).toBe(
      'FAILED',
    );
    expect(runLifecycle({ state: { life_cycle_state: 'INTERNAL_ERROR' } }).state).toBe('FAILED');
    expect(
      runLifecycle({ status: { state: 'TERMINATED', termination_details: { code: 'USER_CANCELED' } } }).state,
    ).toBe('CANCELED');
    expect(runLifecycle({ status: { state: 'QUEUED' } }).state).toBe('PENDING');
  });
});

describe('Databricks JobRunner', () => {
  it('starts idempotently by key and follows the run to SUCCEEDED with the run page URL', async () => {
    const job = fake.seedJob({ name: 'check' }, { behavior: { manual: false, pendingMs: 30, runningMs: 60 } });
    const runner = new DatabricksJobRunner(client());
    const spec = {
      runner: 'databricks' as const,
      jobId: job.job_id,
      parameters: { model_version: '7' },
      timeoutMs: 60_000,
    };
    const a = await runner.start(spec, 'promote:bc:7:check');
    const b = await runner.start(spec, 'promote:bc:7:check');
    expect(b.runId).toBe(a.runId);
    const s = await settle(runner, a);
    expect(s.state).toBe('SUCCEEDED');
    expect(isTerminal(s.state)).toBe(true);
    expect(s.ref.url).toMatch(/#job\/\d+\/run\/\d+/);
  });

  it('reports a failed job as FAILED with its message', async () => {
    const job = fake.seedJob(
      { name: 'bad' },
      {
        behavior: {
          manual: false,
          pendingMs: 0,
          runningMs: 10,
          result: 'FAILED',
          message: 'AssertionError: auc below 0.9',
        },
      },
    );
    const runner = new DatabricksJobRunner(client());
    const s = await settle(
      runner,
      await runner.start({ runner: 'databricks', jobId: job.job_id, parameters: {}, timeoutMs: 60_000 }, 'k-fail'),
    );
    expect(s).toMatchObject({ state: 'FAILED', resultSummary: expect.stringContaining('auc below 0.9') as unknown });
  });

  it('cancels a run that exceeds its timeout and reports TIMED_OUT', async () => {
    const job = fake.seedJob({ name: 'hang' }, { behavior: { manual: true } });
    let now = Date.parse('2026-05-14T09:00:00Z');
    const runner = new DatabricksJobRunner(client(), { now: () => now });
    const ref = await runner.start(
      { runner: 'databricks', jobId: job.job_id, parameters: {}, timeoutMs: 60_000 },
      'k-hang',
    );
    expect((await runner.get(ref)).state).toBe('PENDING');
    now += 61_000;
    expect(await runner.get(ref)).toMatchObject({ state: 'TIMED_OUT', terminal: true });
    expect(fake.lifecycle(Number(ref.runId))).toMatchObject({
      life_cycle_state: 'TERMINATED',
      result_state: 'CANCELED',
    });
  });

  it('derives a Databricks-safe idempotency token from long or unusual keys, stable per key', () => {
    expect(idempotencyToken('promote:bc:7:check')).toBe('promote:bc:7:check');
    const long = idempotencyToken(`promote/${'x'.repeat(100)}`);
    expect(long).toHaveLength(64);
    expect(long).toBe(idempotencyToken(`promote/${'x'.repeat(100)}`));
    expect(idempotencyToken('a b')).not.toBe(idempotencyToken('a_b'));
  });
});

describe('job-finished notifications from the fake', () => {
  let receiver: JsonServer;
  const received: unknown[] = [];
  beforeAll(async () => {
    receiver = await startJsonServer((method) =>
      method === 'POST'
        ? (r) => {
            received.push(r.body);
            return {};
          }
        : undefined,
    );
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('posts the documented jobs.on_success payload once when a run finishes', async () => {
    const db = await startFakeDatabricks({
      defaults: { manual: true },
      notificationUrl: `${receiver.url}/api/databricks-jobs`,
    });
    try {
      const job = db.seedJob({ name: 'nightly' });
      const c = new DatabricksJobsClient({ baseUrl: db.url });
      const { runId } = await c.runNow({ jobId: job.job_id, idempotencyToken: 'n-1' });
      db.advance(runId, 'RUNNING');
      db.advance(runId, 'SUCCESS');
      await c.getRun(runId);
      await db.close();
      expect(received).toEqual([
        {
          event_type: 'jobs.on_success',
          workspace_id: '1234567890123456',
          run: { run_id: String(runId) },
          job: { job_id: String(job.job_id), name: 'nightly' },
        },
      ]);
    } finally {
      await db.close().catch(() => undefined);
    }
  });
});
