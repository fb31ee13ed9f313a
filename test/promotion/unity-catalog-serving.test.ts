/**
 * Issue #14 end to end, in one host run against one faked Azure Databricks workspace (Unity Catalog registry, Model
 * Serving and SQL statements behind one DATABRICKS_HOST): a UC model version is relayed by the real relay script,
 * validated, approved, rolled out to a serving endpoint through the A/B gate (10 % beside the champion, then 100 %),
 * the champion alias moves in UC, everything is recorded in Azure Tables and MERGEd into the Lakehouse sink, and a
 * rollback puts the previous version back on the endpoint and in UC. Requires a build (`npm run build`) and python3.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type HostProcess } from '../helpers/host';
import { startFakeWorkspace, type FakeWorkspace } from '../fakes';
import type { FakeDatabricksUc } from '../fakes/databricks-uc';
import { getPromotionRecord } from '../../shared/promotion/records';
import { getRollbackRecord } from '../../shared/promotion/rollback';
import type { PromotionRecord } from '../../shared/promotion/types';
import { instanceIdFor } from '../../shared/router/instance-id';
import { drainSink, sinkStatus } from '../../shared/sink';
import { api, decide, finished, pendingApproval, startEnv, startHost, stopEnv, until, type Env } from './harness';

const MODEL = 'main.ml.breast_cancer_classifier';
const EP = 'breast-cancer-ep';
const RELAY_SECRET = 'uc-serving-relay-secret-0123456789';

function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      registry: 'unity-catalog',
      notify: ['hook'],
      approval: {
        required: true,
        approvers: { users: ['alice@contoso.com', 'bob@contoso.com'] },
        minApprovals: 1,
        excludeAuthor: true,
        deadline: '5m',
      },
    },
    models: {
      [MODEL]: {
        validations: {
          tags: { type: 'required-tags', tags: ['git_commit'] },
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          live: {
            type: 'ab-test',
            inferenceTable: 'main.ml.breast_cancer_payload',
            rules: [{ metric: 'error_rate', direction: 'lower', maxRegression: 0.01 }],
            minSamples: 50,
          },
        },
        deploy: {
          action: 'serving-endpoint',
          endpoint: EP,
          rollout: { challengerTraffic: 10, hold: '1s', updateTimeout: '20s', pollEvery: '1s' },
        },
      },
    },
  };
}

let env: Env;
let host: HostProcess;
let ws: FakeWorkspace;
let uc: FakeDatabricksUc;
/** Live metrics of the endpoint's inference table per version: [samples, error_rate]. */
const live = new Map<string, [number, number]>();

beforeAll(async () => {
  ws = await startFakeWorkspace({ updateMs: 300, uc: true });
  uc = ws.uc!;
  ws.sql.onQuery(/system\.serving\.served_entities/, (s) => {
    const want = s.parameters.filter((p) => p.name === 'champion' || p.name === 'challenger').map((p) => p.value ?? '');
    return {
      columns: ['version', 'samples', 'error_rate', 'latency_mean_ms', 'latency_p95_ms'],
      rows: want
        .filter((v) => live.has(v))
        .map((v) => {
          const [n, err] = live.get(v)!;
          return [v, String(n), String(err), '50', '100'];
        }),
    };
  });
  env = await startEnv((hook) => policy(hook));
  Object.assign(env.hostEnv, {
    DATABRICKS_HOST: ws.url,
    DATABRICKS_TOKEN: 'dapi-test-token',
    DATABRICKS_WAREHOUSE_ID: 'abc123def456',
    STAGECRAFT_SINK_SCHEMA: 'main.ops',
    DATABRICKS_UC_WEBHOOK_SECRETS: RELAY_SECRET,
    STAGECRAFT_USER_ROLES: 'operator=alice@contoso.com',
  });
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await ws?.close();
});

function seedAndRelay(version: string): void {
  const runId = `run-${version}`;
  uc.addRun({ run_id: runId, metrics: { accuracy: 0.96 }, tags: { 'mlflow.user': 'dave@contoso.com' } });
  expect(
    uc.createVersion(MODEL, {
      createdBy: 'dave@contoso.com',
      runId,
      source: `models:/m-${version}`,
      tags: { git_commit: `abc${version}` },
    }),
  ).toBe(version);
  uc.finishRegistration(MODEL, version, 'READY');
  const r = spawnSync(
    'python3',
    [
      join(REPO_ROOT, 'integrations/databricks/relay/relay.py'),
      '--updates',
      JSON.stringify([{ full_name: MODEL, version: Number(version), alias_name: null }]),
      '--condition',
      'MODEL_VERSION_READY',
      '--delivery-id',
      `relay-${version}`,
      '--stagecraft-url',
      host.baseUrl,
    ],
    {
      env: { ...process.env, STAGECRAFT_RELAY_SECRET: RELAY_SECRET },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

async function approveAndFinish(version: string): Promise<PromotionRecord> {
  const id = instanceIdFor('promotion', MODEL, version);
  const approval = await until(
    `v${version} pending approval`,
    async () => {
      const a = await pendingApproval(host, MODEL, 90_000);
      return a['version'] === version ? a : undefined;
    },
    90_000,
    () => host.logs(),
  );
  expect(
    (await decide(host, String(approval['id']), 'bob@contoso.com', 'approve', `v${version} looks right`)).status,
  ).toBe(200);
  expect((await finished(host, id, 120_000)).runtimeStatus).toBe('Completed');
  return (await getPromotionRecord(MODEL, id, env.hostEnv)) as PromotionRecord;
}

describe('a Unity Catalog model through relay → validations → approval → serving rollout with an A/B gate → sink → rollback', () => {
  it('v1 is relayed, approved and served at 100 %; v2 goes 10 % → A/B gate → 100 % before champion moves in UC; both land in the sink', async () => {
    seedAndRelay('1');
    const first = await approveAndFinish('1');
    expect(first).toMatchObject({
      outcome: 'promoted',
      version: '1',
      author: 'dave@contoso.com',
      deploy: { action: 'serving-endpoint', state: 'SUCCEEDED' },
    });
    expect(uc.aliasOf(MODEL, 'champion')).toBe('1');
    expect(ws.serving.traffic(EP)).toEqual({ '1': 100 });

    live.set('1', [400, 0.01]);
    live.set('2', [120, 0.012]);
    seedAndRelay('2');
    const second = await approveAndFinish('2');
    expect(second).toMatchObject({ outcome: 'promoted', version: '2', previousChampion: '1' });
    expect(second.validations.find((v) => v.id === 'live')).toMatchObject({ type: 'ab-test', status: 'passed' });
    expect(second.deploy!.serving!.phases.map((p) => `${p.phase}:${p.outcome}`)).toEqual([
      'read:ok',
      'split:ok',
      'hold:ok',
      'gate:ok',
      'full:ok',
    ]);
    expect(second.deploy!.serving).toMatchObject({
      before: { served_entities: [{ entity_name: MODEL, entity_version: '1' }] },
      after: { served_entities: [{ entity_name: MODEL, entity_version: '2' }] },
    });
    expect(uc.aliasOf(MODEL, 'champion')).toBe('2');
    expect(ws.serving.traffic(EP)).toEqual({ '2': 100 });

    await until(
      'the sink to drain',
      async () => {
        await drainSink({ env: env.hostEnv });
        return (await sinkStatus(env.hostEnv)).backlog === 0 || undefined;
      },
      60_000,
    );
    const promotions = ws.sql.tables.get('main.ops.stagecraft_promotions')!;
    expect([...promotions.values()].map((r) => r['version']).sort()).toEqual(['1', '2']);
    expect(ws.sql.tables.get('main.ops.stagecraft_alias_moves')!.size).toBeGreaterThanOrEqual(3);
    // v2's checks, the live A/B gate among them (v1 had no champion on the endpoint, so no live comparison).
    const validations = ws.sql.tables.get('main.ops.stagecraft_validations')!;
    for (const check of ['tags', 'quality', 'live'])
      expect(validations.has(`${instanceIdFor('promotion', MODEL, '2')}:${check}`), check).toBe(true);
  }, 400_000);

  it('a rollback by an operator puts v1 back on the endpoint and as champion in UC, recorded with the serving config before', async () => {
    const res = await api(host, 'POST', `/api/models/${MODEL}/rollback`, 'alice@contoso.com', {
      reason: 'v2 misbehaves on live traffic',
      requestId: 'incident-uc-1',
    });
    expect(res.status).toBe(202);
    const id = String(res.json['instanceId']);
    const r = await until(
      'the rollback record',
      async () => (await getRollbackRecord(MODEL, id, env.hostEnv)) ?? undefined,
      120_000,
      () => host.logs(),
    );
    expect(r).toMatchObject({
      outcome: 'rolled-back',
      toVersion: '1',
      deploy: { action: 'serving-endpoint', state: 'SUCCEEDED' },
    });
    expect((r.deploy as { serving?: { before?: unknown } }).serving?.before).toMatchObject({
      served_entities: [{ entity_version: '2' }],
    });
    expect(ws.serving.traffic(EP)).toEqual({ '1': 100 });
    expect(uc.aliasOf(MODEL, 'champion')).toBe('1');
  }, 300_000);
});
