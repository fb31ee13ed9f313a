/**
 * Serving rollouts through the real local host against the Model Serving and SQL fakes (one workspace URL):
 * canary split → hold → A/B gate on the inference table → 100 %, a failed gate or update restores the previous
 * config, and a rollback puts the old version back on the endpoint. Requires a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostProcess } from '../helpers/host';
import { startFakeWorkspace, type FakeWorkspace } from '../fakes';
import { getRollbackRecord } from '../../shared/promotion/rollback';
import { drainSink, enqueueSink, sinkItemsOfPromotion, sinkStatus } from '../../shared/sink';
import type { PromotionRecord } from '../../shared/promotion/types';
import { api, finished, startEnv, startHost, startPromotion, stopEnv, until, type Env } from '../promotion/harness';

const EP = 'fraud-ep';
const ALERT_KEY = 'dbx-alert-key-0123456789abcdef';
const EG_KEY = 'eventgrid-key-0123456789abcdef';
function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: { notify: ['hook'], approval: { required: false, approvers: { users: ['alice@contoso.com'] } } },
    models: {
      fraud: {
        validations: {
          live: {
            type: 'ab-test',
            inferenceTable: 'main.ml.fraud_payload',
            rules: [
              { metric: 'error_rate', direction: 'lower', maxRegression: 0.01 },
              { metric: 'latency_p95_ms', direction: 'lower', mode: 'relative', maxRegression: 0.2 },
            ],
            minSamples: 50,
          },
        },
        deploy: {
          action: 'serving-endpoint',
          endpoint: EP,
          environmentVars: { FEATURE_STORE_TOKEN: '{{secrets/ml/feature-token}}' },
          rollout: { challengerTraffic: 10, hold: '1s', updateTimeout: '20s', pollEvery: '1s' },
        },
      },
      plain: {},
    },
  };
}

let env: Env;
let host: HostProcess;
let ws: FakeWorkspace;
/** Live metrics the inference table "has" per version: [samples, error_rate, p95]. */
const live = new Map<string, [number, number, number]>();

beforeAll(async () => {
  ws = await startFakeWorkspace({ updateMs: 300 });
  ws.sql.onQuery(/system\.serving\.served_entities/, (s) => {
    const want = s.parameters.filter((p) => p.name === 'champion' || p.name === 'challenger').map((p) => p.value ?? '');
    return {
      columns: ['version', 'samples', 'error_rate', 'latency_mean_ms', 'latency_p95_ms'],
      rows: want
        .filter((v) => live.has(v))
        .map((v) => {
          const [n, err, p95] = live.get(v)!;
          return [v, String(n), String(err), String(p95 / 2), String(p95)];
        }),
    };
  });
  env = await startEnv(policy);
  Object.assign(env.hostEnv, {
    DATABRICKS_HOST: ws.url,
    DATABRICKS_TOKEN: 'dapi-test-token',
    DATABRICKS_WAREHOUSE_ID: 'abc123def456',
    STAGECRAFT_SINK_SCHEMA: 'main.ops',
    DATABRICKS_ALERT_WEBHOOK_KEYS: ALERT_KEY,
    DATABRICKS_ALERT_MODELS: 'alert-1=plain',
    AZUREML_EVENTGRID_KEYS: EG_KEY,
    AZUREML_DRIFT_MODELS: 'plain-monitor=plain',
    STAGECRAFT_USER_ROLES: 'operator=alice@contoso.com',
  });
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
  await ws?.close();
});

const champion = () => env.mlflow.state.models.get('fraud')?.aliases.get('champion');
const promote = async (v: string): Promise<PromotionRecord> => {
  env.mlflow.seedVersion('fraud', { version: v, userId: 'dave@contoso.com', runId: env.mlflow.seedRun({}).run_id });
  const s = await finished(host, await startPromotion(host, 'fraud', v), 120_000);
  expect(s.runtimeStatus).toBe('Completed');
  return s.output as unknown as PromotionRecord;
};

describe('serving-endpoint rollout', () => {
  it('creates the endpoint for the first version, then rolls the next one out at 10 % through the A/B gate to 100 % before the champion moves', async () => {
    const first = await promote('1');
    expect(first).toMatchObject({
      outcome: 'promoted',
      deploy: {
        action: 'serving-endpoint',
        state: 'SUCCEEDED',
        serving: { before: null, after: { served_entities: [{ entity_name: 'fraud', entity_version: '1' }] } },
      },
    });
    expect(ws.serving.traffic(EP)).toEqual({ '1': 100 });
    // Secrets travel by reference only.
    const created = ws.serving.requests.find((r) => r.method === 'POST' && r.path === '/api/2.0/serving-endpoints');
    expect(JSON.stringify(created?.body)).toContain('{{secrets/ml/feature-token}}');

    live.set('1', [400, 0.01, 100]);
    live.set('2', [60, 0.012, 110]);
    const rec = await promote('2');
    expect(rec.outcome).toBe('promoted');
    expect(champion()).toBe('2');
    expect(ws.serving.traffic(EP)).toEqual({ '2': 100 });
    const served = ws.serving.endpoints
      .get(EP)!
      .served.map((c) => (c as { traffic_config: { routes: unknown[] } }).traffic_config.routes);
    expect(served.at(-2)).toEqual([
      { served_entity_name: 'fraud-1', traffic_percentage: 90 },
      { served_entity_name: 'fraud-2', traffic_percentage: 10 },
    ]);
    const serving = rec.deploy!.serving!;
    expect(serving).toMatchObject({
      state: 'SUCCEEDED',
      championVersion: '1',
      challengerTraffic: 10,
      before: { served_entities: [{ entity_version: '1' }] },
      after: { served_entities: [{ entity_version: '2' }] },
    });
    expect(serving.phases.map((p) => `${p.phase}:${p.outcome}`)).toEqual([
      'read:ok',
      'split:ok',
      'hold:ok',
      'gate:ok',
      'full:ok',
    ]);
    expect(rec.validations.find((v) => v.id === 'live')).toMatchObject({ type: 'ab-test', status: 'passed' });
    // The gate query binds every value; the statement text carries none of them.
    const q = ws.sql.statements.find((s) => /served_entities/.test(s.statement))!;
    expect(q.warehouseId).toBe('abc123def456');
    expect(q.parameters).toEqual(
      expect.arrayContaining([
        { name: 'endpoint', value: EP, type: 'STRING' },
        { name: 'challenger', value: '2', type: 'STRING' },
        { name: 'champion', value: '1', type: 'STRING' },
      ]),
    );
    expect(q.statement).not.toContain(EP);
  }, 300_000);

  it('a challenger worse on live traffic fails the gate: the previous config is restored and the champion stays', async () => {
    live.set('2', [400, 0.01, 100]);
    live.set('3', [80, 0.09, 100]);
    const rec = await promote('3');
    expect(rec).toMatchObject({
      outcome: 'blocked',
      deploy: { state: 'FAILED', serving: { state: 'GATE_FAILED', restored: true } },
    });
    expect(rec.reason).toMatch(/A\/B gate failed: live: on live traffic, worse than champion v2/);
    expect(champion()).toBe('2');
    expect(ws.serving.traffic(EP)).toEqual({ '2': 100 });
  }, 300_000);

  it('too few live samples fail the gate too', async () => {
    live.set('4', [3, 0, 10]);
    const rec = await promote('4');
    expect(rec.outcome).toBe('blocked');
    expect(rec.validations.find((v) => v.id === 'live')?.message).toMatch(/not enough live traffic/);
    expect(ws.serving.traffic(EP)).toEqual({ '2': 100 });
  }, 300_000);

  it('a failed endpoint update restores the previous config and records before and after', async () => {
    live.set('5', [400, 0.01, 100]);
    ws.serving.failNextUpdate(EP, 'UPDATE_FAILED', 2); // the split succeeds, the move to 100 % fails
    const rec = await promote('5');
    expect(rec).toMatchObject({
      outcome: 'failed',
      deploy: { state: 'FAILED', serving: { state: 'FAILED', restored: true } },
    });
    expect(rec.deploy!.serving!.reason).toMatch(/UPDATE_FAILED/);
    expect(rec.deploy!.serving!.after).toMatchObject({ served_entities: [{ entity_version: '2' }] });
    expect(champion()).toBe('2');
    expect(ws.serving.traffic(EP)).toEqual({ '2': 100 });
    expect(env.receiver.notices.some((n) => n.event === 'deploy.failed')).toBe(true);
  }, 300_000);

  it('a rollback puts the previous champion back on the endpoint', async () => {
    const res = await api(host, 'POST', '/api/models/fraud/rollback', 'alice@contoso.com', {
      reason: 'v2 misbehaves',
      requestId: 'incident-7',
    });
    expect(res.status).toBe(202);
    const id = String(res.json['instanceId']);
    const r = await until(
      'the rollback record',
      async () => (await getRollbackRecord('fraud', id, env.hostEnv)) ?? undefined,
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
  }, 300_000);
});

describe('records sink (Delta tables through SQL statements)', () => {
  it('a failing sink does not block a promotion; the backlog is visible, drains later, and a retried batch does not duplicate', async () => {
    ws.sql.failNext(10_000, 'warehouse stopped');
    env.mlflow.seedVersion('plain', { version: '1', userId: 'dave@contoso.com', runId: env.mlflow.seedRun({}).run_id });
    const s = await finished(host, await startPromotion(host, 'plain', '1'), 120_000);
    const rec = s.output as unknown as PromotionRecord;
    expect(rec.outcome).toBe('promoted');

    const failed = await drainSink({ env: env.hostEnv });
    expect(failed.written).toBe(0);
    const backlog = await api(host, 'GET', '/api/sink', 'alice@contoso.com');
    expect(backlog.status).toBe(200);
    expect(backlog.json).toMatchObject({ enabled: true, schema: 'main.ops' });
    expect(Number(backlog.json['backlog'])).toBeGreaterThan(0);
    expect(String(backlog.json['lastError'])).toMatch(/warehouse stopped/);
    expect((await api(host, 'GET', '/api/sink', 'dave@contoso.com')).status).toBe(403);

    ws.sql.failNext(0);
    await until(
      'the outbox to drain',
      async () => {
        await drainSink({ env: env.hostEnv });
        return (await sinkStatus(env.hostEnv)).backlog === 0;
      },
      60_000,
    );
    const promotions = ws.sql.tables.get('main.ops.stagecraft_promotions')!;
    expect(promotions.get(rec.instanceId)).toMatchObject({ model: 'plain', version: '1', instance_id: rec.instanceId });
    expect(JSON.parse(promotions.get(rec.instanceId)!['payload']!)).toMatchObject({ outcome: 'promoted' });
    const moves = ws.sql.tables.get('main.ops.stagecraft_alias_moves')!;
    const sizes = () => [promotions.size, moves.size, ws.sql.tables.get('main.ops.stagecraft_validations')?.size ?? 0];
    const before = sizes();
    expect(before[1]).toBeGreaterThanOrEqual(2);

    // The same records queued again (a retried activity) and drained again: MERGE by key, no duplicates.
    await enqueueSink(sinkItemsOfPromotion(rec), env.hostEnv);
    await drainSink({ env: env.hostEnv });
    expect(sizes()).toEqual(before);
    const merges = ws.sql.statements.filter((x) =>
      x.statement.startsWith('MERGE INTO `main`.`ops`.`stagecraft_promotions`'),
    );
    expect(merges.length).toBeGreaterThanOrEqual(2);
    for (const m of merges) expect(m.statement).not.toContain(rec.instanceId);
    expect(
      ws.sql.statements.some((x) =>
        x.statement.startsWith('CREATE TABLE IF NOT EXISTS `main`.`ops`.`stagecraft_promotions`'),
      ),
    ).toBe(true);
  }, 300_000);
});

describe('drift intake routes through the host', () => {
  const ce = {
    specversion: '1.0',
    id: 'eg-1',
    type: 'Microsoft.MachineLearningServices.DatasetDriftDetected',
    source: '/subscriptions/s/workspaces/ws',
    time: '2026-05-14T09:00:00Z',
    data: {
      dataDriftId: 'd1',
      dataDriftName: 'plain-monitor',
      runId: 'r1',
      driftCoefficient: 0.7,
      startTime: '2026-05-13T00:00:00Z',
      endTime: '2026-05-14T00:00:00Z',
    },
  };
  it("answers Event Grid's CloudEvents validation handshake with the key, and refuses it without", async () => {
    const ok = await fetch(`${host.baseUrl}/api/events/azureml?key=${EG_KEY}`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    const bad = await fetch(`${host.baseUrl}/api/events/azureml?key=wrong`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('webhook-allowed-origin')).toBeNull();
  });
  it('accepts an Azure ML drift CloudEvent and a Databricks SQL alert with their keys (202), refuses wrong keys (401)', async () => {
    const post = (path: string, body: unknown, contentType = 'application/json') =>
      fetch(`${host.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: JSON.stringify(body),
      });
    const eg = await post(`/api/events/azureml?key=${EG_KEY}`, ce, 'application/cloudevents+json; charset=utf-8');
    expect(eg.status).toBe(202);
    expect(await eg.json()).toMatchObject({ status: 'accepted' });
    expect((await post('/api/events/azureml?key=nope', { ...ce, id: 'eg-2' })).status).toBe(401);
    const alert = {
      event: 'alert_state_change',
      alert: {
        title: 't',
        alert: {
          id: 'alert-1',
          name: 'plain drift',
          state: 'TRIGGERED',
          evaluations: [{ source: { name: 'psi' }, comparison_operator: 'GREATER_THAN', threshold: 0.2, value: 0.4 }],
        },
      },
    };
    const dbx = await post(`/api/alerts/databricks?key=${ALERT_KEY}`, alert);
    expect(dbx.status).toBe(202);
    expect(await dbx.json()).toMatchObject({ status: 'accepted' });
    expect((await post('/api/alerts/databricks', alert)).status).toBe(401);
  });
});
