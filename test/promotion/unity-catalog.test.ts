/**
 * A Unity Catalog model through the real local host (durable engine, Service Bus emulator, Azurite, this repo as the
 * app) against the UC HTTP fake: the relay job's script (integrations/databricks/relay/relay.py, run with python3)
 * posts a MODEL_VERSION_READY update, the intake verifies it, the router starts one promotion, validations read the
 * workspace run, the challenger and champion aliases move in UC, the approval sets the deployment job's tag to
 * `approved`, and the record says so. The UC reconciler catches a version whose relay call was lost, and a version
 * seen by both paths starts one workflow. Requires a build (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { REPO_ROOT } from '../helpers/host';
import { instanceIdFor } from '../../shared/router/instance-id';
import { getPromotionRecord, listPromotionRecords } from '../../shared/promotion/records';
import type { PromotionRecord } from '../../shared/promotion/types';
import { type FakeDatabricksUc, startFakeDatabricksUc } from '../fakes/databricks-uc';
import { decide, finished, pendingApproval, startEnv, startHost, status, stopEnv, until, type Env } from './harness';

const MODEL = 'main.ml.breast_cancer_classifier';
const RELAY_SECRET = 'uc-relay-secret-for-tests-0123456789';
const users = ['alice@contoso.com', 'bob@contoso.com'];

function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      registry: 'unity-catalog',
      notify: ['hook'],
      approval: {
        required: true,
        approvers: { users },
        minApprovals: 1,
        excludeAuthor: true,
        unknownAuthor: 'block',
        deadline: '5m',
        deploymentJobTag: 'Approval_Check',
      },
    },
    models: {
      [MODEL]: {
        validations: {
          tags: { type: 'required-tags', tags: ['git_commit'] },
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'vs-champion': {
            type: 'champion',
            rules: [{ metric: 'accuracy', direction: 'higher', maxRegression: 0.01 }],
          },
        },
      },
    },
  };
}

let env: Env;
let uc: FakeDatabricksUc;
let host: HostProcess;

beforeAll(async () => {
  uc = await startFakeDatabricksUc();
  env = await startEnv((hook) => policy(hook));
  Object.assign(env.hostEnv, {
    DATABRICKS_HOST: uc.url,
    DATABRICKS_TOKEN: 'dapi-test-token',
    DATABRICKS_UC_WEBHOOK_SECRETS: `old-secret-being-rotated-out,${RELAY_SECRET}`,
    UC_RECONCILER_TARGETS: 'main.ml.*',
    RECONCILER_SCHEDULE: '*/2 * * * * *',
  });
  uc.server.requireAuthorization('Bearer dapi-test-token');
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await uc?.close();
});

function relay(updates: unknown[], runId: string): { status: number | null; out: string } {
  const r = spawnSync(
    'python3',
    [
      join(REPO_ROOT, 'integrations/databricks/relay/relay.py'),
      '--updates',
      JSON.stringify(updates),
      '--condition',
      'MODEL_VERSION_READY',
      '--delivery-id',
      runId,
      '--stagecraft-url',
      host.baseUrl,
    ],
    {
      env: { ...process.env, STAGECRAFT_RELAY_SECRET: RELAY_SECRET },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function seed(version: string, accuracy: number): void {
  const runId = `run-${version}`;
  uc.addRun({ run_id: runId, metrics: { accuracy }, tags: { 'mlflow.user': 'someone-else@contoso.com' } });
  const v = uc.createVersion(MODEL, {
    createdBy: 'dave@contoso.com',
    runId,
    source: `models:/m-${version}`,
    tags: { git_commit: `abc${version}` },
  });
  expect(v).toBe(version);
  uc.finishRegistration(MODEL, version, 'READY');
}

const record = async (id: string) => (await getPromotionRecord(MODEL, id, env.hostEnv)) as PromotionRecord;

describe('Unity Catalog model: relay → promotion → aliases and deployment job tag', () => {
  it('v1: relayed, validated against the workspace run, approved, promoted in UC, deployment-job tag approved, recorded once', async () => {
    seed('1', 0.95);
    const sent = relay([{ full_name: MODEL, version: 1, alias_name: null }], '9001');
    expect(sent.status, sent.out).toBe(0);
    expect(sent.out).toMatch(/stagecraft answered 202/);

    const id = instanceIdFor('promotion', MODEL, '1');
    const approval = await pendingApproval(host, MODEL, 90_000);
    expect(uc.aliasOf(MODEL, 'challenger')).toBe('1');
    // The author (excluded from approving) is the UC version's creator, not the run's mlflow.user tag.
    const self = await decide(host, String(approval['id']), 'alice@contoso.com', 'approve');
    expect(self.status).toBe(200);
    const st = await finished(host, id);
    expect(st.runtimeStatus).toBe('Completed');

    expect(uc.aliasOf(MODEL, 'champion')).toBe('1');
    expect(uc.aliasOf(MODEL, 'challenger')).toBeUndefined();
    expect(uc.tagOf(MODEL, '1', 'Approval_Check')).toBe('approved');

    const rec = await record(id);
    expect(rec).toMatchObject({
      outcome: 'promoted',
      author: 'dave@contoso.com',
      authorSource: 'registry-user-id',
      deploymentJobTag: { tag: 'Approval_Check', value: 'approved', set: true },
    });
    expect(rec.validations.map((v) => [v.id, v.status]).sort()).toEqual([
      ['quality', 'passed'],
      ['tags', 'passed'],
      ['vs-champion', 'passed'],
    ]);

    // The relay retried by Databricks (same run id) is a duplicate; the reconciler also saw v1: still one workflow.
    const again = relay([{ full_name: MODEL, version: 1, alias_name: null }], '9001');
    expect(again.out).toMatch(/duplicate/);
    await until(
      'the UC reconciler to have published v1 too',
      async () =>
        /UC reconciler published \d+ version event\(s\) for main\.ml\.breast_cancer_classifier/.test(host.logs()) ||
        undefined,
      30_000,
      () => host.logs(),
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const v1 = (await listPromotionRecords(MODEL, env.hostEnv)).filter((r) => r.version === '1');
    expect(v1).toHaveLength(1);
    expect((await status(host, id)).runtimeStatus).toBe('Completed');
  }, 180_000);

  it('v2: its relay call was lost; the UC reconciler starts the promotion; a rejection sets the tag to rejected', async () => {
    seed('2', 0.96);
    const id = instanceIdFor('promotion', MODEL, '2');
    const approval = await until(
      'v2 pending approval',
      async () => {
        const a = await pendingApproval(host, MODEL, 60_000);
        return (a['model'] as { version?: string } | undefined)?.version === '2' || a['version'] === '2'
          ? a
          : undefined;
      },
      90_000,
      () => host.logs(),
    );
    const d = await decide(host, String(approval['id']), 'bob@contoso.com', 'reject', 'not this one');
    expect(d.status).toBe(200);
    const st = await finished(host, id);
    expect(st.runtimeStatus).toBe('Completed');
    expect(uc.tagOf(MODEL, '2', 'Approval_Check')).toBe('rejected');
    expect(uc.aliasOf(MODEL, 'champion')).toBe('1');
    expect(await record(id)).toMatchObject({
      outcome: 'rejected',
      trigger: { kind: 'model-version-created' },
      deploymentJobTag: { value: 'rejected', set: true },
    });

    // A late relay for v2 (both paths saw it) does not start a second workflow.
    const late = relay([{ full_name: MODEL, version: '2' }], '9002');
    expect(late.status, late.out).toBe(0);
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await listPromotionRecords(MODEL, env.hostEnv)).filter((r) => r.version === '2')).toHaveLength(1);
  }, 180_000);
});
