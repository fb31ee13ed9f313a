/**
 * The shared `runJob` sub-orchestration through the real local host against the Databricks Jobs fake:
 * idempotent start, run → owner record for the router, wake-up by a job-finished event (the poll timer is set far
 * in the future, so only the event can end the wait), a local job whose end is published by the local runner itself,
 * and cancellation at the overall timeout. The input names a job by reference into the policy: a made-up command or
 * an undeclared reference runs nothing, and a local job sees only the allowlisted and declared environment.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceUntil } from '../../devhost/test/helpers/clock';
import { durableHeaders, type HostProcess } from '../helpers/host';
import { startFakeDatabricks, type FakeDatabricks } from '../fakes';
import { localRunId } from '../../shared/adapters/jobs/local-runner';
import { findJobRunOwner } from '../../shared/jobs/owners';
import { jobFinishedEventName } from '../../shared/router/plan';
import { atStep, finished, startEnv, startHost, status, stopEnv, type Env } from '../promotion/harness';

let env: Env;
let dbx: FakeDatabricks;
let host: HostProcess;

beforeAll(async () => {
  dbx = await startFakeDatabricks({ defaults: { manual: true } });
  const validate = dbx.seedJob({ name: 'validate' }).job_id;
  const slow = dbx.seedJob({ name: 'slow' }).job_id;
  const node = process.execPath;
  env = await startEnv(() => ({
    version: 1,
    jobs: {
      validate: {
        kind: 'feature-refresh',
        job: { runner: 'databricks', jobId: validate, parameters: { model_name: '{{model.name}}' } },
      },
      slow: { kind: 'feature-refresh', job: { runner: 'databricks', jobId: slow } },
      'local-wake': {
        kind: 'feature-refresh',
        job: { runner: 'local', command: node, args: ['-e', 'setTimeout(() => process.exit(0), 300)'] },
      },
      'env-probe': {
        kind: 'batch-scoring',
        job: {
          runner: 'local',
          command: node,
          args: [
            '-e',
            'console.log("KEYS=" + Object.keys(process.env).sort().join(",") + " URI=" + process.env.MLFLOW_TRACKING_URI + " MODE=" + process.env.MODE)',
          ],
          env: { MLFLOW_TRACKING_URI: { setting: 'MLFLOW_TRACKING_URI' }, MODE: 'probe-{{model.name}}' },
        },
      },
    },
  }));
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
  const res = await fetch(
    `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/runJob/${encodeURIComponent(instanceId)}`,
    { method: 'POST', headers: durableHeaders(host.baseUrl, true), body: JSON.stringify(input) },
  );
  expect(res.status).toBe(202);
}

describe('runJob', () => {
  it('starts once per idempotency key, records the owner, and is woken by the job-finished event', async () => {
    const input = {
      ref: { kind: 'scheduled', job: 'validate' },
      vars: { 'model.name': 'm' },
      idempotencyKey: 'promotion:m:1:validate:1',
      label: 'validate m v1',
      timeoutSeconds: 3_600,
      pollInitialSeconds: 3_600,
      pollMaxSeconds: 3_600,
    };
    await startRunJob('job-a', input);
    const waiting = await atStep(host, 'job-a', 'waiting', ['runRef']);
    const runRef = String(waiting.customStatus!['runRef']);
    expect(await findJobRunOwner(runRef, env.hostEnv)).toMatchObject({
      runId: runRef,
      instanceId: 'job-a',
      runner: 'databricks',
    });

    await startRunJob('job-b', input);
    const other = await atStep(host, 'job-b', 'waiting', ['runRef']);
    expect(other.customStatus!['runRef']).toBe(runRef);
    expect(dbx.state.runs.size).toBe(1);
    const runNow = dbx.requests.filter((r) => r.path.endsWith('/run-now'));
    expect(runNow.length).toBeGreaterThan(0);
    for (const r of runNow) expect(JSON.stringify(r.body)).toContain('"model_name":"m"');

    dbx.advance(Number(runRef), 'SUCCESS');
    for (const id of ['job-a', 'job-b']) {
      const raised = await fetch(
        `${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/${encodeURIComponent(jobFinishedEventName(runRef))}`,
        {
          method: 'POST',
          headers: durableHeaders(host.baseUrl, true),
          body: JSON.stringify({ runId: runRef, outcome: 'success' }),
        },
      );
      expect(raised.status).toBe(202);
      const done = await finished(host, id, 60_000);
      expect(done.output).toMatchObject({ runRef, state: 'SUCCEEDED' });
    }
  }, 120_000);

  it('a local job that ends publishes job.finished on the bus; the router raises it into the owner (no poll due for an hour)', async () => {
    const input = {
      ref: { kind: 'scheduled', job: 'local-wake' },
      idempotencyKey: 'local-wake-1',
      label: 'local wake',
      timeoutSeconds: 3_600,
      pollInitialSeconds: 3_600,
      pollMaxSeconds: 3_600,
    };
    await startRunJob('job-local', input);
    const done = await finished(host, 'job-local', 60_000);
    expect(done.output).toMatchObject({ state: 'SUCCEEDED' });
    const history = (await (
      await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/job-local?showHistory=true`, {
        headers: durableHeaders(host.baseUrl),
      })
    ).json()) as { historyEvents: Array<{ EventType: string; Name?: string }> };
    const runRef = String((done.output as { runRef: string }).runRef);
    expect(
      history.historyEvents.some((e) => e.EventType === 'EventRaised' && e.Name === jobFinishedEventName(runRef)),
    ).toBe(true);
  }, 120_000);

  it('cancels the job and reports TIMED_OUT when the overall timeout passes', async () => {
    // A realistic two-hour timeout with polls every 10 to 30 minutes, passed on the host's test clock.
    await startRunJob('job-timeout', {
      ref: { kind: 'scheduled', job: 'slow' },
      idempotencyKey: 'slow-1',
      label: 'slow',
      timeoutSeconds: 7_200,
      pollInitialSeconds: 600,
      pollMaxSeconds: 1_800,
    });
    await advanceUntil(
      host,
      1_800_000,
      async () => ['Completed', 'Failed', 'Terminated'].includes((await status(host, 'job-timeout')).runtimeStatus),
      'job-timeout to pass its timeout',
    );
    const done = await finished(host, 'job-timeout', 60_000);
    expect(done.output).toMatchObject({ state: 'TIMED_OUT' });
    // The wait ended at the timeout, not earlier (the orchestrator's clock is the history's).
    const out = done.output as { startedAt: string; finishedAt: string };
    expect(Date.parse(out.finishedAt) - Date.parse(out.startedAt)).toBeGreaterThanOrEqual(7_200_000);
    const runRef = String((done.output as { runRef: string }).runRef);
    expect(dbx.requests.some((r) => r.path.endsWith('/runs/cancel') && JSON.stringify(r.body).includes(runRef))).toBe(
      true,
    );
  }, 120_000);

  it('fails with a message naming the field when its input is invalid', async () => {
    await startRunJob('job-bad', { job: { runner: 'ftp' }, idempotencyKey: '', label: 'x', timeoutSeconds: 0 });
    const done = await finished(host, 'job-bad', 60_000);
    expect(done.runtimeStatus).toBe('Failed');
    expect(JSON.stringify(done.output)).toContain('runJob input is invalid');
  }, 60_000);

  it('refuses a made-up command posted to the durable API: the command field does not exist, nothing runs', async () => {
    const marker = join(env.dir, 'pwned.txt');
    await startRunJob('job-evil', {
      job: {
        runner: 'local',
        command: '/bin/sh',
        args: ['-c', `env > ${marker}`],
        env: {},
        parameters: {},
        parameterStyle: 'args',
        timeoutMs: 60_000,
      },
      idempotencyKey: 'evil-1',
      label: 'evil',
      timeoutSeconds: 60,
    });
    const done = await finished(host, 'job-evil', 60_000);
    expect(done.runtimeStatus).toBe('Failed');
    expect(JSON.stringify(done.output)).toContain('RUN_JOB_INPUT_INVALID');
    expect(JSON.stringify(done.output)).toMatch(/job.*a job is named by ref, never given as a command/);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);

  it('refuses a reference the policy does not declare with JOB_NOT_IN_POLICY, before anything starts', async () => {
    const before = dbx.state.runs.size;
    await startRunJob('job-undeclared', {
      ref: { kind: 'pipeline-suite', repo: 'evil/repo', suite: 'x' },
      idempotencyKey: 'undeclared-1',
      label: 'undeclared',
    });
    await startRunJob('job-undeclared-2', {
      ref: { kind: 'scheduled', job: 'not-in-policy' },
      idempotencyKey: 'undeclared-2',
      label: 'undeclared',
    });
    for (const id of ['job-undeclared', 'job-undeclared-2']) {
      const done = await finished(host, id, 60_000);
      expect(done.runtimeStatus).toBe('Failed');
      expect(JSON.stringify(done.output)).toContain('JOB_NOT_IN_POLICY');
    }
    expect(dbx.state.runs.size).toBe(before);
    for (const key of ['undeclared-1', 'undeclared-2'])
      expect(existsSync(join(env.dir, 'jobs', `${localRunId(key)}.json`))).toBe(false);
  }, 60_000);

  it('a local job started by the host sees none of its secrets, only PATH/HOME/LANG/TMPDIR and the declared variables', async () => {
    await startRunJob('job-env', {
      ref: { kind: 'scheduled', job: 'env-probe' },
      vars: { 'model.name': 'bc' },
      idempotencyKey: 'env-1',
      label: 'env probe',
    });
    const done = await finished(host, 'job-env', 60_000);
    expect(done.output).toMatchObject({ state: 'SUCCEEDED' });
    const tail = String((done.output as { outputTail?: string }).outputTail);
    const keys = /KEYS=(\S*)/.exec(tail)![1]!.split(',');
    for (const secret of [
      'STAGECRAFT_APPROVER_KEYS',
      'STAGECRAFT_APPROVAL_LINK_SECRETS',
      'DATABRICKS_TOKEN',
      'AzureWebJobsStorage',
      'ServiceBusConnection',
      'STAGECRAFT_POLICY_PATH',
    ]) {
      expect(keys).not.toContain(secret);
    }
    expect(keys.filter((k) => !['PATH', 'HOME', 'LANG', 'TMPDIR'].includes(k)).sort()).toEqual([
      'MLFLOW_TRACKING_URI',
      'MODE',
    ]);
    expect(tail).toContain(`URI=${env.mlflow.url} MODE=probe-bc`);
    for (const value of [env.hostEnv['STAGECRAFT_APPROVER_KEYS']!, 'dapi-test-token'])
      expect(tail).not.toContain(value);
  }, 60_000);
});
