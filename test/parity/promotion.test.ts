/**
 * #17: the promotion flow end to end with the app running as Azure would (`stagecraft start --azure-parity`): from a
 * read-only copy of the deployment package, WEBSITE_* set, %Setting% from app settings only, the durable API locked
 * and answering a duplicate start like the extension. A signed MLflow webhook comes in → Service Bus → router →
 * modelPromotion → validations (metric threshold, champion comparison, a Databricks job against the HTTP-level fake:
 * the job activities must run from a read-only app root) → approval over the HTTP API → the champion alias moves in
 * the MLflow fake. A `runner: local` check fails as it would in Azure (LOCAL_JOBS_NOT_IN_AZURE); it is advisory here.
 * Runs with `npm run test:parity` (CI step "test:parity"), not in `npm test`. Requires a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMlflowDelivery, signedVersionCreated } from '../fakes';
import { startFakeDatabricks, type FakeDatabricks } from '../fakes/databricks';
import { durableHeaders, REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import { decide, finished, pendingApproval, startEnv, status, stopEnv, until, type Env } from '../promotion/harness';
import { getPromotionRecord } from '../../shared/promotion/records';
import { instanceIdFor } from '../../shared/router/instance-id';

const SECRET = 'parity-mlflow-webhook-secret';
const MASTER_KEY = 'parity-master-key-0123456789abcdef';
const users = ['alice@contoso.com', 'bob@contoso.com'];

let dbx: FakeDatabricks;
let jobId = 0;

function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { required: true, approvers: { users }, minApprovals: 1, excludeAuthor: true, deadline: '5m' },
    },
    models: {
      churn: {
        validations: {
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'vs-champion': { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] },
          'smoke-job': {
            type: 'job',
            job: { runner: 'databricks', jobId, parameters: { model_version: '{{model.version}}' }, timeout: '2m' },
          },
          'local-job': {
            type: 'job',
            severity: 'advisory',
            job: { runner: 'local', command: process.execPath, args: [`${dir}/ok.js`], timeout: '30s' },
          },
        },
      },
    },
  };
}

let env: Env;
let host: HostProcess;

beforeAll(async () => {
  dbx = await startFakeDatabricks();
  jobId = dbx.seedJob({ name: 'smoke' }).job_id;
  env = await startEnv(policy);
  env.hostEnv['DATABRICKS_HOST'] = dbx.url;
  env.hostEnv['DATABRICKS_TOKEN'] = 'dapi-parity-test-token';
  host = await startHostProcess({
    appDir: REPO_ROOT,
    env: { ...env.hostEnv, MLFLOW_WEBHOOK_SECRETS: SECRET, STAGECRAFT_MASTER_KEY: MASTER_KEY },
    args: ['--no-azurite', '--azure-parity'],
    // The host builds the package first (copying the production node_modules): slow on a busy disk.
    readyTimeoutMs: 300_000,
  });
}, 330_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await dbx?.close();
});

async function deliverVersionCreated(name: string, version: string, runId: string): Promise<Response> {
  return postMlflowDelivery(
    host.baseUrl,
    signedVersionCreated(SECRET, { name, version, runId, tags: { git_commit: 'abc123' } }),
  );
}

describe('promotion in Azure parity mode', () => {
  it('MLflow webhook → validations → approval → champion alias moved, running from the read-only package', async () => {
    expect(host.logs()).toContain('Azure parity mode: running from a read-only copy of the deployment package');
    const champion = env.mlflow.seedRun({ metrics: { accuracy: 0.93, roc_auc: 0.95 } });
    env.mlflow.seedVersion('churn', {
      version: '1',
      runId: champion.run_id,
      userId: 'dave@contoso.com',
      aliases: ['champion'],
    });
    const run = env.mlflow.seedRun({ metrics: { accuracy: 0.95, roc_auc: 0.955 } });
    env.mlflow.seedVersion('churn', {
      version: '2',
      runId: run.run_id,
      userId: 'dave@contoso.com',
      tags: { git_commit: 'abc123' },
    });

    const res = await deliverVersionCreated('churn', '2', run.run_id);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('accepted');

    const id = instanceIdFor('promotion', 'churn', '2');
    const approval = await pendingApproval(host, 'churn', 120_000);
    expect((await status(host, id)).runtimeStatus).toBe('Running');

    // A duplicate start of the running instance answers as the extension's HTTP API does (500, "already exists").
    const dup = await fetch(
      `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/modelPromotion/${encodeURIComponent(id)}`,
      { method: 'POST', headers: durableHeaders(host.baseUrl, true), body: '{}' },
    );
    expect(dup.status).toBe(500);
    expect(await dup.json()).toMatchObject({
      Message: 'Something went wrong while processing your request',
      ExceptionMessage: expect.stringContaining('already exists') as unknown,
    });

    const d = await decide(host, String(approval['id']), 'bob@contoso.com', 'approve', 'parity ok');
    expect(d.status).toBe(200);
    const done = await finished(host, id, 120_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.customStatus).toMatchObject({ step: 'done', outcome: 'promoted' });
    expect(Object.fromEntries(env.mlflow.state.models.get('churn')!.aliases)).toEqual({ champion: '2' });

    const r = await until(
      'the promotion record',
      async () => await getPromotionRecord('churn', id, env.hostEnv),
      30_000,
    );
    expect(r).toMatchObject({ outcome: 'promoted', version: '2', previousChampion: '1' });
    expect(Object.fromEntries(r.validations.map((v) => [v.id, v.status]))).toEqual({
      quality: 'passed',
      'vs-champion': 'passed',
      'smoke-job': 'passed',
      'local-job': 'error',
    });
    expect(JSON.stringify(r.validations.find((v) => v.id === 'local-job'))).toContain('LOCAL_JOBS_NOT_IN_AZURE');
    expect(r.approval).toMatchObject({
      status: 'approved',
      votes: [{ approver: 'bob@contoso.com', verdict: 'approve' }],
    });
  }, 300_000);
});
