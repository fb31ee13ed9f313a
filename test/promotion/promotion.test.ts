/**
 * modelPromotion through the real local host (durable engine, HTTP, this repo as the app), with Azurite for the
 * records, the MLflow fake for the registry, local jobs, and a webhook receiver for notifications.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceUntil } from '../../devhost/test/helpers/clock';
import type { HostProcess } from '../helpers/host';
import { getPromotionRecord, listValidations } from '../../shared/promotion/records';
import type { PromotionRecord } from '../../shared/promotion/types';
import {
  atStep,
  decide,
  finished,
  pendingApproval,
  startEnv,
  startHost,
  startPromotion,
  status,
  stopEnv,
  type Env,
} from './harness';

const users = ['alice@contoso.com', 'bob@contoso.com'];
const job = (dir: string, script: string, timeout: string) => ({
  runner: 'local',
  command: process.execPath,
  args: [`${dir}/${script}`],
  timeout,
});

function policy(hook: string, dir: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { required: true, approvers: { users }, minApprovals: 1, excludeAuthor: true, deadline: '5m' },
    },
    models: {
      happy: {
        validations: {
          tags: { type: 'required-tags', tags: ['git_commit'] },
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'vs-champion': { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] },
          files: { type: 'artifacts', paths: ['model/MLmodel'] },
          example: { type: 'input-example' },
          description: { type: 'description', severity: 'advisory', minLength: 10 },
          'smoke-job': { type: 'job', job: job(dir, 'ok.js', '30s') },
        },
        deploy: { action: 'batch-scoring', job: job(dir, 'ok.js', '30s') },
      },
      gate: { validations: { quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] } } },
      champ: {
        validations: {
          'vs-champion': { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] },
        },
      },
      first: {
        validations: {
          'vs-champion': { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] },
        },
      },
      reject: {},
      author: {},
      dry: {
        dryRun: true,
        validations: { quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] } },
      },
      retry: { validations: { flaky: { type: 'job', retries: 1, backoff: '1s', job: job(dir, 'fail.js', '30s') } } },
      legacy: { promotion: { mode: 'stages', archivePrevious: true } },
      // A realistic timeout, passed on the host's test clock (the test advances it).
      jobtimeout: { validations: { slow: { type: 'job', timeout: '2h', job: job(dir, 'hang.js', '2h') } } },
    },
  };
}

let env: Env;
let host: HostProcess;

beforeAll(async () => {
  env = await startEnv(policy);
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
});

const record = async (model: string, instanceId: string) =>
  (await getPromotionRecord(model, instanceId, env.hostEnv)) as PromotionRecord;
const aliases = (model: string) => Object.fromEntries(env.mlflow.state.models.get(model)!.aliases);

function seedVersion(
  model: string,
  version: string,
  metrics: Record<string, number>,
  o: { userId?: string; description?: string; tags?: Record<string, string>; aliases?: string[] } = {},
) {
  const run = env.mlflow.seedRun({
    metrics,
    artifacts: ['model/MLmodel', 'model/input_example.json'],
    tags: { 'mlflow.source.git.commit': `commit-${model}-${version}` },
  });
  env.mlflow.seedVersion(model, {
    version,
    runId: run.run_id,
    source: `runs:/${run.run_id}/model`,
    userId: o.userId ?? 'dave@contoso.com',
    ...(o.description ? { description: o.description } : {}),
    tags: o.tags ?? { git_commit: `commit-${model}-${version}` },
    ...(o.aliases ? { aliases: o.aliases } : {}),
  });
}

describe('modelPromotion', () => {
  it('all checks passing (advisory failure recorded, not blocking), approved, promoted, deployed and recorded once', async () => {
    seedVersion(
      'happy',
      '1',
      { accuracy: 0.93, roc_auc: 0.95 },
      { aliases: ['champion'], description: 'the first champion' },
    );
    seedVersion(
      'happy',
      '2',
      { accuracy: 0.95, roc_auc: 0.955 },
      { tags: { git_commit: 'commit-happy-2', 'stagecraft.retraining_run_id': 'retrainingRun:happy:1' } },
    );
    const id = await startPromotion(host, 'happy', '2');
    const approval = await pendingApproval(host, 'happy');
    expect(aliases('happy')).toMatchObject({ challenger: '2', champion: '1' });
    const st = await atStep(host, id, 'approval', ['approvalId']);
    expect(st.customStatus).toMatchObject({ step: 'approval', approvalId: approval['id'] });
    const d = await decide(host, String(approval['id']), 'bob@contoso.com', 'approve', 'ship it');
    expect(d.status).toBe(200);
    const done = await finished(host, id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.customStatus).toMatchObject({ step: 'done', outcome: 'promoted' });
    expect(aliases('happy')).toEqual({ champion: '2' });

    const r = await record('happy', id);
    expect(r).toMatchObject({
      outcome: 'promoted',
      instanceId: id,
      model: 'happy',
      version: '2',
      previousChampion: '1',
      gitCommit: 'commit-happy-2',
      author: 'dave@contoso.com',
      retrainingRun: 'retrainingRun:happy:1',
    });
    expect(r.steps.map((x) => x.step)).toEqual([
      'load',
      'validate',
      'report',
      'gate',
      'challenger',
      'approval',
      'promote',
      'deploy',
      'publish',
      'record',
    ]);
    expect(r.verdict).toMatchObject({ gate: 'open', advisoryFailures: ['description'], blockingFailures: [] });
    const byId = Object.fromEntries(r.validations.map((v) => [v.id, v]));
    expect(byId['vs-champion']).toMatchObject({
      status: 'passed',
      champion: { hasChampion: true, championVersion: '1' },
    });
    expect(byId['vs-champion']!.champion!.results[0]!.delta).toBeCloseTo(0.005);
    expect(byId['smoke-job']).toMatchObject({ status: 'passed', job: { state: 'SUCCEEDED' } });
    expect(r.approval).toMatchObject({
      status: 'approved',
      votes: [{ approver: 'bob@contoso.com', verdict: 'approve', comment: 'ship it' }],
    });
    expect(r.aliasBefore).toEqual({ champion: '1', challenger: null });
    expect(r.aliasAfter).toEqual({ champion: '2', challenger: null });
    expect(r.deploy).toMatchObject({ action: 'batch-scoring', state: 'SUCCEEDED' });
    expect(r.eventPublished).toBe(true);
    expect(r.report?.html).toMatch(/report\.html$/);
    expect((await listValidations(id, env.hostEnv)).map((v) => v.checkId).sort()).toEqual([
      'description',
      'example',
      'files',
      'quality',
      'smoke-job',
      'tags',
      'vs-champion',
    ]);
    expect(byId['example']).toMatchObject({ status: 'passed' });
    const events = env.receiver.notices
      .filter((n) => n.correlationId === id || n.correlationId === approval['id'])
      .map((n) => n.event);
    expect(events).toEqual(
      expect.arrayContaining(['validation.passed', 'approval.requested', 'approval.decided', 'model.promoted']),
    );
    const requested = env.receiver.notices.find(
      (n) => n.event === 'approval.requested' && n.correlationId === approval['id'],
    )!;
    // A shared channel says what waits and where; decision links never go there (they are bearer tokens).
    expect(requested.actions.map((a) => a.label)).toEqual(['Open the approval', 'Validation report']);
    expect(JSON.stringify(requested)).not.toMatch(/\/link\?t=/);
  }, 180_000);

  it('a blocking failure stops at the gate with a recorded verdict and a notification; no alias moves', async () => {
    seedVersion('gate', '1', { accuracy: 0.5 });
    const id = await startPromotion(host, 'gate', '1');
    const done = await finished(host, id);
    expect(done.customStatus).toMatchObject({ step: 'done', outcome: 'blocked' });
    const r = await record('gate', id);
    expect(r).toMatchObject({ outcome: 'blocked', verdict: { gate: 'blocked', blockingFailures: ['quality'] } });
    expect(r.validations[0]!.message).toContain('accuracy = 0.5 is below the minimum 0.9');
    expect(aliases('gate')).toEqual({});
    expect(env.receiver.notices.some((n) => n.event === 'validation.failed' && n.correlationId === id)).toBe(true);
  }, 120_000);

  it('champion better passes; champion worse blocks with the per-metric delta', async () => {
    seedVersion('champ', '1', { roc_auc: 0.9 }, { aliases: ['champion'] });
    seedVersion('champ', '2', { roc_auc: 0.8 });
    const worse = await startPromotion(host, 'champ', '2');
    await finished(host, worse);
    const rw = await record('champ', worse);
    expect(rw).toMatchObject({ outcome: 'blocked' });
    expect(rw.validations[0]).toMatchObject({
      id: 'vs-champion',
      status: 'failed',
      champion: { championVersion: '1' },
    });
    expect(rw.validations[0]!.champion!.results[0]!.delta).toBeCloseTo(-0.1);

    seedVersion('champ', '3', { roc_auc: 0.95 });
    const better = await startPromotion(host, 'champ', '3');
    const approval = await pendingApproval(host, 'champ');
    await decide(host, String(approval['id']), 'alice@contoso.com', 'approve');
    await finished(host, better);
    const rb = await record('champ', better);
    expect(rb).toMatchObject({ outcome: 'promoted', previousChampion: '1' });
    expect(rb.validations[0]).toMatchObject({ status: 'passed' });
  }, 180_000);

  it('the first version of a model (no champion) passes the comparison and becomes the first champion', async () => {
    seedVersion('first', '1', { roc_auc: 0.7 });
    const id = await startPromotion(host, 'first', '1');
    const approval = await pendingApproval(host, 'first');
    await decide(host, String(approval['id']), 'alice@contoso.com', 'approve');
    await finished(host, id);
    const r = await record('first', id);
    expect(r).toMatchObject({
      outcome: 'promoted',
      previousChampion: null,
      aliasBefore: { champion: null, challenger: null },
    });
    expect(r.validations[0]).toMatchObject({ status: 'passed', champion: { hasChampion: false } });
    expect(aliases('first')).toEqual({ champion: '1' });
  }, 120_000);

  it('dry run records a blocking failure but never blocks', async () => {
    seedVersion('dry', '1', { accuracy: 0.1 });
    const id = await startPromotion(host, 'dry', '1');
    const approval = await pendingApproval(host, 'dry');
    await decide(host, String(approval['id']), 'alice@contoso.com', 'approve');
    await finished(host, id);
    const r = await record('dry', id);
    expect(r).toMatchObject({
      outcome: 'promoted',
      dryRun: true,
      verdict: { gate: 'open', wouldBlock: true, blockingFailures: ['quality'] },
    });
  }, 120_000);

  it('a version that is not READY, or a model without a policy, fails fast with a recorded reason', async () => {
    env.mlflow.seedVersion('gate', { version: '7', status: 'PENDING_REGISTRATION', userId: 'dave@contoso.com' });
    const notReady = await startPromotion(host, 'gate', '7');
    await finished(host, notReady);
    expect(await record('gate', notReady)).toMatchObject({ outcome: 'not-ready' });
    expect((await record('gate', notReady)).reason).toContain('PENDING_REGISTRATION');
    env.mlflow.seedVersion('unmanaged', { version: '1' });
    const noPolicy = await startPromotion(host, 'unmanaged', '1');
    await finished(host, noPolicy);
    expect(await record('unmanaged', noPolicy)).toMatchObject({ outcome: 'no-policy' });
  }, 120_000);

  it('a failing job check is retried as the policy says, then recorded failed with its output and attempts', async () => {
    seedVersion('retry', '1', {});
    const id = await startPromotion(host, 'retry', '1');
    await finished(host, id);
    const r = await record('retry', id);
    expect(r.validations[0]).toMatchObject({ id: 'flaky', status: 'failed', attempts: 2, job: { state: 'FAILED' } });
    expect(r.validations[0]!.job!.outputTail).toContain('job failed on purpose');
    expect(r.outcome).toBe('blocked');
  }, 120_000);

  it('legacy stages: the version goes to Staging, then Production with the previous Production version archived', async () => {
    env.mlflow.seedVersion('legacy', { version: '1', stage: 'Production', userId: 'dave@contoso.com' });
    env.mlflow.seedVersion('legacy', { version: '2', userId: 'dave@contoso.com' });
    const id = await startPromotion(host, 'legacy', '2');
    const approval = await pendingApproval(host, 'legacy');
    expect(env.mlflow.state.models.get('legacy')!.versions.get('2')!.current_stage).toBe('Staging');
    await decide(host, String(approval['id']), 'bob@contoso.com', 'approve');
    await finished(host, id);
    const versions = env.mlflow.state.models.get('legacy')!.versions;
    expect([versions.get('1')!.current_stage, versions.get('2')!.current_stage]).toEqual(['Archived', 'Production']);
    expect(await record('legacy', id)).toMatchObject({
      outcome: 'promoted',
      previousChampion: '1',
      aliasAfter: { Production: '2', Staging: null },
    });
  }, 120_000);

  // Tests that move the host's test clock come last: the app's own clock reads (an approval's createdAt, decision
  // times) stay on wall-clock time, so after an advance the durable timers of newer requests would be due at once.
  it('a job check that does not finish within its timeout is cancelled and blocks as an error', async () => {
    seedVersion('jobtimeout', '1', {});
    const id = await startPromotion(host, 'jobtimeout', '1');
    await advanceUntil(
      host,
      1_800_000,
      async () => ['Completed', 'Failed', 'Terminated'].includes((await status(host, id)).runtimeStatus),
      'the job check to time out',
    );
    const done = await finished(host, id);
    expect(done.customStatus).toMatchObject({ outcome: 'blocked' });
    const r = await record('jobtimeout', id);
    expect(r.validations[0]).toMatchObject({ id: 'slow', status: 'error', job: { state: 'TIMED_OUT' } });
    expect(r.validations[0]!.message).toContain('did not finish within 7200 s');
    expect(r.verdict).toMatchObject({ gate: 'blocked', blockingFailures: ['slow'] });
  }, 120_000);
});
