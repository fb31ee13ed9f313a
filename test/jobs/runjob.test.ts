/**
 * The shared `runJob` sub-orchestration through the real local host against the Databricks Jobs fake:
 * idempotent start, run → owner record for the router, wake-up by a job-finished event (the poll timer is set far
 * in the future, so only the event can end the wait), a local job whose end is published by the local runner itself,
 * and cancellation at the overall timeout.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableHeaders, type HostProcess } from '../helpers/host';
import { startFakeDatabricks, type FakeDatabricks } from '../fakes';
import { findJobRunOwner } from '../../shared/jobs/owners';
import { jobFinishedEventName } from '../../shared/router/plan';
import { atStep, finished, startEnv, startHost, stopEnv, type Env } from '../promotion/harness';

let env: Env;
let dbx: FakeDatabricks;
let host: HostProcess;

beforeAll(async () => {
  dbx = await startFakeDatabricks({ defaults: { manual: true } });
  env = await startEnv(() => ({ version: 1 }));
  env.hostEnv['DATABRICKS_HOST'] = dbx.url;
  env.hostEnv['DATABRICKS_TOKEN'] = 'dapi-test-token';
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await dbx?.close();
});

async function startRunJob(instanceId: string, input: unknown): Promise<void> {
  const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/runJob/${encodeURIComponent(instanceId)}`, { method: 'POST', headers: durableHeaders(host.baseUrl, true), body: JSON.stringify(input) });
  expect(res.status).toBe(202);
}

describe('runJob', () => {
  it('starts once per idempotency key, records the owner, and is woken by the job-finished event', async () => {
    const jobId = dbx.seedJob({ name: 'validate' }).job_id;
    const input = { job: { runner: 'databricks', jobId, parameters: { model_name: 'm' }, timeoutMs: 3_600_000 }, idempotencyKey: 'promotion:m:1:validate:1', label: 'validate m v1', timeoutSeconds: 3_600, pollInitialSeconds: 3_600, pollMaxSeconds: 3_600 };
    await startRunJob('job-a', input);
    const waiting = await atStep(host, 'job-a', 'waiting', ['runRef']);
    const runRef = String(waiting.customStatus!['runRef']);
    expect(await findJobRunOwner(runRef, env.hostEnv)).toMatchObject({ runId: runRef, instanceId: 'job-a', runner: 'databricks' });

    await startRunJob('job-b', input);
    const other = await atStep(host, 'job-b', 'waiting', ['runRef']);
    expect(other.customStatus!['runRef']).toBe(runRef);
    expect(dbx.state.runs.size).toBe(1);

    dbx.advance(Number(runRef), 'SUCCESS');
    for (const id of ['job-a', 'job-b']) {
      const raised = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/${encodeURIComponent(jobFinishedEventName(runRef))}`, { method: 'POST', headers: durableHeaders(host.baseUrl, true), body: JSON.stringify({ runId: runRef, outcome: 'success' }) });
      expect(raised.status).toBe(202);
      const done = await finished(host, id, 60_000);
      expect(done.output).toMatchObject({ runRef, state: 'SUCCEEDED' });
    }
  }, 120_000);

  it('a local job that ends publishes job.finished on the bus; the router raises it into the owner (no poll due for an hour)', async () => {
    const input = {
      job: { runner: 'local', command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(0), 300)'], env: {}, parameters: {}, parameterStyle: 'args', timeoutMs: 60_000 },
      idempotencyKey: 'local-wake-1',
      label: 'local wake',
      timeoutSeconds: 3_600,
      pollInitialSeconds: 3_600,
      pollMaxSeconds: 3_600,
    };
    await startRunJob('job-local', input);
    const done = await finished(host, 'job-local', 60_000);
    expect(done.output).toMatchObject({ state: 'SUCCEEDED' });
    const history = await (await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/job-local?showHistory=true`, { headers: durableHeaders(host.baseUrl) })).json() as { historyEvents: Array<{ EventType: string; Name?: string }> };
    const runRef = String((done.output as { runRef: string }).runRef);
    expect(history.historyEvents.some((e) => e.EventType === 'EventRaised' && e.Name === jobFinishedEventName(runRef))).toBe(true);
  }, 120_000);

  it('cancels the job and reports TIMED_OUT when the overall timeout passes', async () => {
    const jobId = dbx.seedJob({ name: 'slow' }).job_id;
    await startRunJob('job-timeout', { job: { runner: 'databricks', jobId, parameters: {}, timeoutMs: 3_600_000 }, idempotencyKey: 'slow-1', label: 'slow', timeoutSeconds: 3, pollInitialSeconds: 1, pollMaxSeconds: 2 });
    const done = await finished(host, 'job-timeout', 60_000);
    expect(done.output).toMatchObject({ state: 'TIMED_OUT' });
    const runRef = String((done.output as { runRef: string }).runRef);
    expect(dbx.requests.some((r) => r.path.endsWith('/runs/cancel') && JSON.stringify(r.body).includes(runRef))).toBe(true);
  }, 120_000);

  it('fails with a message naming the field when its input is invalid', async () => {
    await startRunJob('job-bad', { job: { runner: 'ftp' }, idempotencyKey: '', label: 'x', timeoutSeconds: 0 });
    const done = await finished(host, 'job-bad', 60_000);
    expect(done.runtimeStatus).toBe('Failed');
    expect(JSON.stringify(done.output)).toContain('runJob input is invalid');
  }, 60_000);
});
