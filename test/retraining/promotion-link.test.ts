/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Retraining → new version → promotion linked to it, end to end through the real local host (durable engine,
 * Service Bus emulator, Azurite, this repo as the app) with the MLflow fake as the registry:
 * a manual retrain starts a retraining run; its training job (a local command) registers version 2 in the
 * registry through the REST API with the tag `stagecraft.retraining_run_id=<run id>`; the registry's signed webhook
 * goes through intake → Service Bus → router and starts the promotion of version 2; the promotion record names the
 * retraining run, and `GET /api/runs/<run id>` shows the version and the promotion it led to.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { getPromotionRecord } from '../../shared/promotion/records';
import { instanceIdFor } from '../../shared/router/instance-id';
import { runsCommand } from '../../shared/runs/cli';
import {
  api,
  decide,
  finished,
  pendingApproval,
  startEnv,
  startHost,
  status,
  stopEnv,
  until,
  type Env,
} from '../promotion/harness';

const MODEL = 'm-link';
const SECRET = 'link-test-mlflow-webhook-secret';
const FUNCTION_KEY = 'link-test-function-key-0123456789';

let env: Env;
let host: HostProcess;

function policy(_hook: string, dir: string) {
  return {
    version: 1,
    defaults: { approval: { required: false } },
    models: {
      [MODEL]: {
        validations: { provenance: { type: 'required-tags', tags: ['stagecraft.retraining_run_id'] } },
        // The job registers without a source run, so the author is unknown; this test is about the run link, not that rule.
        approval: {
          required: true,
          approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
          minApprovals: 1,
          deadline: '10m',
          unknownAuthor: 'allow',
        },
        retraining: {
          trainingJob: {
            runner: 'local',
            command: process.execPath,
            args: [join(dir, 'train.js')],
            parameters: { reason: '{{trigger.kind}}' },
            timeout: '2m',
          },
          cooldown: '1s',
          blockWhilePendingApproval: true,
        },
      },
    },
  };
}

/** The training job: registers a version through the MLflow REST API, tagged with the run id it was given. */
function trainScript(mlflowUrl: string, log: string): string {
  return `
const fs = require('node:fs');
const argv = process.argv.slice(2);
const arg = (k) => { const i = argv.indexOf('--' + k); return i >= 0 ? argv[i + 1] : undefined; };
const runId = arg('retraining_run_id');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');
if (!runId) { console.error('no --retraining_run_id'); process.exit(2); }
fetch(${JSON.stringify(`${mlflowUrl}/api/2.0/mlflow/model-versions/create`)}, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: ${JSON.stringify(MODEL)}, source: 'models:/retrained', tags: [{ key: 'stagecraft.retraining_run_id', value: runId }, { key: 'git_commit', value: 'c0ffee' }] }),
}).then(async (r) => {
  const body = await r.json();
  if (r.status !== 200) { console.error('register failed', r.status, JSON.stringify(body)); process.exit(3); }
  console.log('registered version ' + body.model_version.version);
}, (e) => { console.error(String(e)); process.exit(4); });
`;
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${host.baseUrl}${path}`, {
    method,
    headers: { 'x-functions-key': FUNCTION_KEY, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

beforeAll(async () => {
  env = await startEnv(policy);
  writeFileSync(join(env.dir, 'train.js'), trainScript(env.mlflow.url, join(env.dir, 'ran-train.log')));
  env.hostEnv['MLFLOW_WEBHOOK_SECRETS'] = SECRET;
  env.hostEnv['STAGECRAFT_FUNCTION_KEY'] = FUNCTION_KEY;
  host = await startHost(env);
  // The registry knows the model (version 1 is the champion) and sends signed webhooks to the host's intake.
  env.mlflow.seedVersion(MODEL, { version: '1', aliases: ['champion'], tags: { git_commit: 'first' } });
  const hook = await fetch(`${env.mlflow.url}/api/2.0/mlflow/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'stagecraft',
      url: `${host.baseUrl}/api/webhooks/mlflow`,
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      secret: SECRET,
    }),
  });
  if (hook.status !== 200) throw new Error(`webhook registration failed: ${hook.status} ${await hook.text()}`);
}, 180_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
});

describe('retraining → new version → promotion', () => {
  it('a retraining run registers version 2 tagged with its id; the promotion of version 2 names the run and the run shows the version and the promotion', async () => {
    const started = await call('POST', `/api/models/${MODEL}/retrain`, { reason: 'new labels', requestedBy: 'carol' });
    expect(started.status).toBe(202);
    expect(started.json.decision).toBe('started');
    const runId = started.json.runId as string;

    // The run ends when its training job ends; the job was given the run id and registered version 2 with it.
    const run = await until(
      'the retraining run to finish',
      async () => {
        const s = await status(host, runId);
        return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
      },
      90_000,
      () => host.logs(),
    );
    expect(run.output).toMatchObject({ runId, model: MODEL, outcome: 'SUCCEEDED' });
    const jobArgs = readFileSync(join(env.dir, 'ran-train.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(jobArgs).toHaveLength(1);
    expect(jobArgs[0]).toEqual(expect.arrayContaining(['--retraining_run_id', runId, '--trigger_kind', 'manual']));
    const v2 = env.mlflow.state.models.get(MODEL)!.versions.get('2')!;
    expect(Object.fromEntries(v2.tags)).toMatchObject({ 'stagecraft.retraining_run_id': runId });

    // The registry's webhook started the promotion of version 2 (intake → Service Bus → router).
    const promotionId = instanceIdFor('promotion', MODEL, '2');
    const approval = await pendingApproval(host, MODEL, 60_000);
    expect(approval['instanceId']).toBe(promotionId);
    expect(approval['kind']).toBe('model-promotion');

    // While the candidate awaits approval, the model's coordinator refuses another retraining, with the reason
    // (once it has noted the run's end: until then the refusal would be RETRAIN_RUNNING).
    await until(
      'the coordinator to note the end of the run',
      async () => {
        const s = await status(host, `retraining:${MODEL}`);
        const c = s.customStatus as { running?: unknown; lastRun?: { runId?: string } } | null;
        return c && c.running === undefined && c.lastRun?.runId === runId ? c : undefined;
      },
      30_000,
      () => host.logs(),
    );
    const refused = await call('POST', `/api/models/${MODEL}/retrain`, { reason: 'again' });
    expect(refused.status).toBe(409);
    expect((refused.json as { error: { code: string } }).error.code).toBe('RETRAIN_PENDING_APPROVAL');

    // The retraining run's records already name the version and the promotion it started.
    const linked = await until(
      'the link records on the retraining run',
      async () => {
        const r = await call('GET', `/api/runs/${encodeURIComponent(runId)}`);
        return r.status === 200 && r.json.links.length === 2 ? r.json : undefined;
      },
      30_000,
      () => host.logs(),
    );
    expect(linked.links).toEqual([
      { rel: 'model-version', id: `${MODEL}/2` },
      { rel: 'promotion', id: promotionId },
    ]);
    expect(linked.timeline.find((e: any) => e.kind === 'retraining.version')).toMatchObject({
      source: 'record',
      status: 'registered',
      data: { model: MODEL, version: '2', promotionInstanceId: promotionId },
    });

    expect(
      (await decide(host, String(approval['id']), 'bob@contoso.com', 'approve', 'retrained on new labels')).status,
    ).toBe(200);
    const done = await finished(host, promotionId);
    expect(done.output).toMatchObject({ outcome: 'promoted', version: '2', retrainingRun: runId });
    expect(Object.fromEntries(env.mlflow.state.models.get(MODEL)!.aliases)).toEqual({ champion: '2' });
    const record = await getPromotionRecord(MODEL, promotionId, env.hostEnv);
    expect(record).toMatchObject({ outcome: 'promoted', model: MODEL, version: '2', retrainingRun: runId });

    // The promotion's outcome is recorded on the retraining run too; `stagecraft runs <id>` prints the links.
    const after = await until(
      'the promotion outcome on the retraining run',
      async () => {
        const r = await call('GET', `/api/runs/${encodeURIComponent(runId)}`);
        return r.json.timeline?.some((e: any) => e.kind === 'retraining.promotion') ? r.json : undefined;
      },
      30_000,
      () => host.logs(),
    );
    expect(after.timeline.find((e: any) => e.kind === 'retraining.promotion')).toMatchObject({
      status: 'promoted',
      data: { version: '2', promotionInstanceId: promotionId, outcome: 'promoted' },
    });
    expect(after.links).toEqual(linked.links);
    const lines: string[] = [];
    expect(await runsCommand([runId], { url: host.baseUrl, key: FUNCTION_KEY, out: (l) => lines.push(l) })).toBe(0);
    expect(lines).toEqual(
      expect.arrayContaining([`  link model-version: ${MODEL}/2`, `  link promotion: ${promotionId}`]),
    );
    expect(lines.join('\n')).toContain(`promotion ${promotionId} of version 2 ended promoted`);
  }, 240_000);

  it('a version whose tag names no recorded retraining run keeps the claim in its promotion record but links nothing', async () => {
    const mv = env.mlflow.registerVersion(MODEL, {
      tags: { 'stagecraft.retraining_run_id': 'retrainingRun:not-a-run', git_commit: 'feed' },
    });
    const promotionId = instanceIdFor('promotion', MODEL, mv.version);
    const approval = await until(
      'the approval of the untracked version',
      async () => {
        const r = await api(host, 'GET', `/api/approvals?status=pending&model=${MODEL}`, 'alice@contoso.com');
        return ((r.json['approvals'] as Record<string, unknown>[] | undefined) ?? []).find(
          (a) => a['instanceId'] === promotionId,
        );
      },
      60_000,
      () => host.logs(),
    );
    expect(
      (await decide(host, String(approval['id']), 'alice@contoso.com', 'reject', 'not from a tracked run')).status,
    ).toBe(200);
    const done = await finished(host, promotionId);
    expect(done.output).toMatchObject({ outcome: 'rejected', retrainingRun: 'retrainingRun:not-a-run' });
    expect((await call('GET', `/api/runs/${encodeURIComponent('retrainingRun:not-a-run')}`)).status).toBe(404);
    expect(host.logs()).toContain("no retraining run 'retrainingRun:not-a-run' is recorded");
  }, 120_000);
});
