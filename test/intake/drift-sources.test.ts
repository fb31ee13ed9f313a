/**
 * Drift from Databricks SQL alerts (data quality monitoring) and Azure ML dataset monitors (Event Grid,
 * CloudEvents schema) through the intake service in-process: key check, alert/monitor → model mapping, ignored
 * states and unmapped alerts, the drift.detected event the retraining drift rule reads, and Event Grid's handshake.
 */
import { describe, expect, it } from 'vitest';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { EVENT_TYPES } from '../../shared/events';
import { handleDelivery, normalizeRequest, type IntakeDeps } from '../../shared/intake';
import { eventGridHandshake } from '../../shared/intake/sources/azureml';
import { MemoryReceiptStore } from '../../shared/records/memory';
import { NOW_MS, testConfig } from './helpers';

const KEYS = {
  DATABRICKS_ALERT_WEBHOOK_KEYS: 'dbx-alert-key-0123456789',
  AZUREML_EVENTGRID_KEYS: 'eg-key-0123456789abcdef',
};
function setup(extra: Record<string, string> = {}) {
  const publisher = new MemoryEventPublisher();
  const receipts = new MemoryReceiptStore();
  let n = 0;
  const config = testConfig({
    ...KEYS,
    DATABRICKS_ALERT_MODELS: 'a1b2c3d4=fraud-detector, churn drift=churn',
    AZUREML_DRIFT_MODELS: 'fraud-monitor=fraud-detector',
    ...extra,
  });
  const deps: IntakeDeps = { publisher, receipts, config, clock: () => NOW_MS, newId: () => `r${++n}` };
  return { publisher, receipts, deps };
}

const alert = (over: Record<string, unknown> = {}) => ({
  event: 'alert_state_change',
  url_base: 'https://adb-1.7.azuredatabricks.net',
  future_field: { anything: true },
  alert: {
    title: 'fraud drift',
    description: 'js distance over 0.2',
    alert: {
      id: 'a1b2c3d4',
      name: 'fraud drift',
      owner: 'ml@contoso.com',
      state: 'TRIGGERED',
      query_text: 'SELECT max(js_distance) AS js_distance FROM main.ml.fraud_drift_metrics',
      warehouse_id: 'w1',
      evaluations: [
        {
          source: { name: 'js_distance', display: 'js_distance' },
          comparison_operator: 'GREATER_THAN',
          threshold: { value: { double_value: 0.2 } },
          value: 0.31,
        },
      ],
      ...over,
    },
  },
});
const cloudEvent = (
  data: Record<string, unknown>,
  type = 'Microsoft.MachineLearningServices.DatasetDriftDetected',
) => ({
  specversion: '1.0',
  id: 'ce-1',
  type,
  source: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws',
  subject: 'datadrift/d1/run/r1',
  time: '2026-05-14T09:00:00Z',
  datacontenttype: 'application/json',
  data: {
    dataDriftId: 'd1',
    dataDriftName: 'fraud-monitor',
    runId: 'r1',
    baseDatasetId: 'b',
    targetDatasetId: 't',
    driftCoefficient: 0.83,
    startTime: '2026-05-13T00:00:00Z',
    endTime: '2026-05-14T00:00:00Z',
    ...data,
  },
});
const send = (
  deps: IntakeDeps,
  source: 'databricks-alerts' | 'azureml',
  body: unknown,
  query: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  handleDelivery(
    source,
    { headers: { 'content-type': 'application/json', ...headers }, rawBody: Buffer.from(JSON.stringify(body)), query },
    deps,
  );

describe('Databricks SQL alert webhooks', () => {
  it('maps a TRIGGERED alert to drift.detected for the mapped model, metric = the evaluated column, ignoring unknown fields', async () => {
    const { publisher, deps } = setup();
    const res = await send(deps, 'databricks-alerts', alert(), { key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS });
    expect(res.httpStatus).toBe(202);
    expect(publisher.events[0]).toMatchObject({
      type: EVENT_TYPES.driftDetected,
      data: {
        model: { name: 'fraud-detector' },
        detector: { tool: 'databricks-sql-alert', ref: 'a1b2c3d4' },
        features: [{ name: 'js_distance', metric: 'js_distance', value: 0.31, threshold: 0.2, drifted: true }],
      },
    });
  });
  it('accepts the key in X-Stagecraft-Key; refuses a wrong or missing key with 401 and publishes nothing', async () => {
    const { publisher, deps } = setup();
    expect(
      (await send(deps, 'databricks-alerts', alert(), {}, { 'x-stagecraft-key': KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS }))
        .httpStatus,
    ).toBe(202);
    const n = publisher.events.length;
    const bad = await send(deps, 'databricks-alerts', alert({ id: 'other' }), { key: 'wrong' });
    expect(bad.httpStatus).toBe(401);
    expect(JSON.stringify(bad.body)).not.toContain(KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS);
    expect((await send(deps, 'databricks-alerts', alert({ id: 'other2' }), {})).httpStatus).toBe(401);
    expect(publisher.events.length).toBe(n);
  });
  it('maps by alert name too; an OK alert and an unmapped alert are acknowledged and ignored', async () => {
    const { publisher, deps } = setup();
    expect(
      await send(deps, 'databricks-alerts', alert({ id: 'zz', name: 'churn drift' }), {
        key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS,
      }),
    ).toMatchObject({ httpStatus: 202, body: { status: 'accepted' } });
    expect(publisher.events.at(-1)?.data).toMatchObject({ model: { name: 'churn' } });
    const ok = await send(deps, 'databricks-alerts', alert({ id: 'a1b2c3d4', state: 'OK', description: 'x' }), {
      key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS,
    });
    expect(ok.body).toMatchObject({ status: 'ignored' });
    const unmapped = await send(deps, 'databricks-alerts', alert({ id: 'nope', name: 'nope' }), {
      key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS,
    });
    expect(unmapped.body).toMatchObject({ status: 'ignored' });
    expect(JSON.stringify(unmapped.body)).toMatch(/DATABRICKS_ALERT_MODELS/);
  });
  it('names the field at fault in a 400 for a payload that is not an alert webhook', async () => {
    const { deps } = setup();
    const res = await send(
      deps,
      'databricks-alerts',
      { event: 'something_else', alert: {} },
      { key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS },
    );
    expect(res.httpStatus).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/event/);
  });
});

describe('Azure ML DatasetDriftDetected (Event Grid, CloudEvents)', () => {
  it('maps the event to drift.detected (dataset / drift_coefficient, window start–end) for the mapped monitor', async () => {
    const { publisher, deps } = setup();
    const res = await send(
      deps,
      'azureml',
      cloudEvent({}),
      { key: KEYS.AZUREML_EVENTGRID_KEYS },
      { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    );
    expect(res.httpStatus).toBe(202);
    expect(publisher.events[0]).toMatchObject({
      type: EVENT_TYPES.driftDetected,
      data: {
        model: { name: 'fraud-detector' },
        window: { start: '2026-05-13T00:00:00Z', end: '2026-05-14T00:00:00Z' },
        features: [{ name: 'dataset', metric: 'drift_coefficient', value: 0.83, drifted: true }],
      },
    });
  });
  it('ignores other event types and unmapped monitors; refuses a wrong key and a non-CloudEvents body', async () => {
    const { publisher, deps } = setup();
    expect(
      (
        await send(deps, 'azureml', cloudEvent({}, 'Microsoft.MachineLearningServices.RunCompleted'), {
          key: KEYS.AZUREML_EVENTGRID_KEYS,
        })
      ).body,
    ).toMatchObject({ status: 'ignored' });
    expect(
      (
        await send(
          deps,
          'azureml',
          { ...cloudEvent({ dataDriftName: 'x', dataDriftId: 'y' }), id: 'ce-2' },
          { key: KEYS.AZUREML_EVENTGRID_KEYS },
        )
      ).body,
    ).toMatchObject({ status: 'ignored' });
    expect((await send(deps, 'azureml', cloudEvent({}), { key: 'nope' })).httpStatus).toBe(401);
    const eventGridSchema = [
      { id: '1', eventType: 'Microsoft.MachineLearningServices.DatasetDriftDetected', data: {} },
    ];
    expect((await send(deps, 'azureml', eventGridSchema, { key: KEYS.AZUREML_EVENTGRID_KEYS })).httpStatus).toBe(400);
    expect(publisher.events).toHaveLength(0);
  });
  it('answers the validation handshake (WebHook-Request-Origin → WebHook-Allowed-Origin) only with the key', () => {
    const { deps } = setup();
    const req = (query: Record<string, string>, origin?: string) =>
      normalizeRequest({ headers: origin ? { 'WebHook-Request-Origin': origin } : {}, rawBody: '', query });
    expect(
      eventGridHandshake(req({ key: KEYS.AZUREML_EVENTGRID_KEYS }, 'eventgrid.azure.net'), deps.config),
    ).toMatchObject({ status: 200, headers: { 'WebHook-Allowed-Origin': 'eventgrid.azure.net' } });
    expect(eventGridHandshake(req({ key: 'wrong' }, 'eventgrid.azure.net'), deps.config).status).toBe(401);
    expect(eventGridHandshake(req({ key: KEYS.AZUREML_EVENTGRID_KEYS }), deps.config).status).toBe(400);
  });
});

describe('hostile input on the drift sources', () => {
  it('a lone surrogate in the alert or the monitor name is a 4xx or an ignored 202, never a 5xx, and publishes nothing', async () => {
    const { deps, publisher } = setup();
    const cases = [
      await send(deps, 'databricks-alerts', alert({ id: 'x\ud800y', name: 'x\ud800y' }), {
        key: KEYS.DATABRICKS_ALERT_WEBHOOK_KEYS,
      }),
      await send(deps, 'azureml', cloudEvent({ dataDriftName: 'x\ud800y' }), { key: KEYS.AZUREML_EVENTGRID_KEYS }),
    ];
    for (const res of cases) {
      expect(res.httpStatus).toBeLessThan(500);
      expect(res.httpStatus === 202 ? (res.body as { status: string }).status : 'refused').not.toBe('accepted');
    }
    expect(publisher.events).toHaveLength(0);
  });
});
