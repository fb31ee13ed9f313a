/**
 * Issue #17 items 1 and 4: in Azure the app root is a read-only package and Databricks may be reached with the
 * managed identity only. The job runner must start Databricks jobs without touching the file system, refuse local
 * jobs with a clear code, and send an Entra bearer token when no DATABRICKS_TOKEN is set.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURE_DATABRICKS_SCOPE } from '../../shared/adapters/http';
import { StagecraftError } from '../../shared/errors';
import { createJobRunner } from '../../shared/jobs/runner';
import type { JobSpec } from '../../shared/policy/job-spec';
import { type FakeDatabricks, startFakeDatabricks } from '../fakes';

let fake: FakeDatabricks;
let appRoot: string;

beforeAll(async () => {
  fake = await startFakeDatabricks({ defaults: { manual: true } });
  // The deployed app root: read-only (as under run-from-package). Root ignores the mode, so the test also checks
  // that nothing at all appears in it.
  appRoot = mkdtempSync(join(tmpdir(), 'stagecraft-approot-'));
  chmodSync(appRoot, 0o555);
});
afterAll(async () => {
  await fake.close();
  chmodSync(appRoot, 0o755);
  rmSync(appRoot, { recursive: true, force: true });
});

class FakeCredential implements TokenCredential {
  scopes: string[] = [];
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: 'entra-token-for-databricks', expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

const azureEnv = (extra: Record<string, string> = {}) => ({
  WEBSITE_INSTANCE_ID: 'abc123',
  WEBSITE_SKU: 'FlexConsumption',
  DATABRICKS_HOST: fake.url,
  ...extra,
});

async function caught(p: Promise<unknown>): Promise<StagecraftError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StagecraftError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('job runner in Azure (read-only app root)', () => {
  it('starts, polls and cancels a Databricks job without writing anything to the app root', async () => {
    const job = fake.seedJob({ name: 'train' });
    const runner = createJobRunner(azureEnv({ DATABRICKS_TOKEN: 'dapi-test' }), { cwd: appRoot });
    const spec: JobSpec = { runner: 'databricks', jobId: job.job_id, parameters: { model: 'bc' }, timeoutMs: 60_000 };
    const ref = await runner.start(spec, 'runJob:bc:1:train');
    expect(ref.runner).toBe('databricks');
    expect((await runner.get(ref)).state).toBe('PENDING');
    await runner.cancel(ref);
    expect(readdirSync(appRoot)).toEqual([]);
  });

  it('refuses a runner: local job in Azure with LOCAL_JOBS_NOT_IN_AZURE, and still creates nothing', async () => {
    const runner = createJobRunner(
      azureEnv({ DATABRICKS_TOKEN: 'dapi-test', STAGECRAFT_HOST_STATE_DIR: join(appRoot, '.stagecraft') }),
      { cwd: appRoot },
    );
    const spec: JobSpec = {
      runner: 'local',
      command: 'python',
      args: ['train.py'],
      env: {},
      parameters: {},
      parameterStyle: 'args',
      timeoutMs: 60_000,
    };
    const e = await caught(runner.start(spec, 'k'));
    expect(e.code).toBe('LOCAL_JOBS_NOT_IN_AZURE');
    expect(e.message).toMatch(/not in Azure/);
    expect(readdirSync(appRoot)).toEqual([]);
  });

  it('outside Azure, a local job without a state dir setting fails naming STAGECRAFT_JOBS_DIR instead of writing under the app', async () => {
    const runner = createJobRunner({}, { cwd: appRoot });
    const spec: JobSpec = {
      runner: 'local',
      command: 'python',
      args: [],
      env: {},
      parameters: {},
      parameterStyle: 'args',
      timeoutMs: 60_000,
    };
    const e = await caught(runner.start(spec, 'k'));
    expect(e.code).toBe('LOCAL_JOBS_STATE_DIR_UNSET');
    expect(e.message).toContain('STAGECRAFT_JOBS_DIR');
    expect(readdirSync(appRoot)).toEqual([]);
  });

  it('without DATABRICKS_HOST a Databricks job fails with JOB_RUNNER_UNAVAILABLE naming the setting', async () => {
    const runner = createJobRunner({ WEBSITE_INSTANCE_ID: 'abc' }, { cwd: appRoot });
    const e = await caught(runner.start({ runner: 'databricks', jobId: 1, parameters: {}, timeoutMs: 1000 }, 'k'));
    expect(e.code).toBe('JOB_RUNNER_UNAVAILABLE');
    expect(e.message).toContain('DATABRICKS_HOST');
  });
});

describe('Databricks with the managed identity (no DATABRICKS_TOKEN)', () => {
  it('sends an Entra token for the Azure Databricks scope as the bearer token', async () => {
    const job = fake.seedJob({ name: 'score' });
    const credential = new FakeCredential();
    const runner = createJobRunner(azureEnv(), { cwd: appRoot, credential });
    fake.requests.length = 0;
    await runner.start(
      { runner: 'databricks', jobId: job.job_id, parameters: {}, timeoutMs: 60_000 },
      'runJob:bc:2:score',
    );
    expect(credential.scopes).toEqual([AZURE_DATABRICKS_SCOPE]);
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) expect(r.headers['authorization']).toBe('Bearer entra-token-for-databricks');
  });

  it('a PAT wins over the identity when DATABRICKS_TOKEN is set', async () => {
    const job = fake.seedJob({ name: 'score2' });
    const credential = new FakeCredential();
    const runner = createJobRunner(azureEnv({ DATABRICKS_TOKEN: 'dapi-pat' }), { cwd: appRoot, credential });
    fake.requests.length = 0;
    await runner.start(
      { runner: 'databricks', jobId: job.job_id, parameters: {}, timeoutMs: 60_000 },
      'runJob:bc:3:score',
    );
    expect(credential.scopes).toEqual([]);
    expect(fake.requests[0]?.headers['authorization']).toBe('Bearer dapi-pat');
  });
});
