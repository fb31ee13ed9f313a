/**
 * The intake service end to end in-process, per source, with each source's real header names and payload shapes:
 * valid, tampered body, wrong secret, stale timestamp, replayed delivery id, malformed JSON, missing fields,
 * oversized body and irrelevant events. Publisher and receipts are the in-memory implementations of the ports.
 */
import { describe, expect, it } from 'vitest';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { EVENT_TYPES } from '../../shared/events';
import { handleDelivery, type IntakeDeps, type IntakeResult, type SourceName } from '../../shared/intake';
import { MemoryReceiptStore } from '../../shared/records/memory';
import * as fx from './fixtures';
import {
  SECRETS,
  NOW_MS,
  adoHeaders,
  databricksHeaders,
  githubHeaders,
  jobsHeaders,
  mlflowHeaders,
  pythonJson,
  testConfig,
} from './helpers';

type Signed = { headers: Record<string, string>; query?: Record<string, string> };

interface SourceCase {
  source: SourceName;
  valid: unknown;
  expectType: string;
  irrelevant: unknown;
  /** valid JSON that misses a required field, and the path the answer must name */
  missing: { body: unknown; path: string };
  sign(body: string, variant: 'good' | 'wrong', deliveryId?: string): Signed;
  /** signature covers the body (tampering is detectable) */
  signsBody: boolean;
  serialize?: (v: unknown) => string;
}

const CASES: SourceCase[] = [
  {
    source: 'mlflow',
    valid: fx.mlflowVersionCreated,
    expectType: EVENT_TYPES.modelVersionCreated,
    irrelevant: fx.mlflowPromptVersion,
    missing: { body: { ...fx.mlflowVersionCreated, data: { name: 'fraud-detector', tags: {} } }, path: 'data.version' },
    sign: (body, v, id) => ({
      headers: mlflowHeaders(body, {
        secret: v === 'good' ? SECRETS.mlflow[0] : 'not-the-secret',
        ...(id ? { deliveryId: id } : {}),
      }),
    }),
    signsBody: true,
    serialize: pythonJson,
  },
  {
    source: 'databricks',
    valid: fx.databricksTransitioned,
    expectType: EVENT_TYPES.modelVersionStageTransitioned,
    irrelevant: fx.databricksComment,
    missing: { body: { event: 'MODEL_VERSION_CREATED', event_timestamp: 1589859029343 }, path: 'model_name' },
    sign: (body, v) => ({ headers: databricksHeaders(body, v === 'good' ? SECRETS.databricks : 'nope') }),
    signsBody: true,
  },
  {
    source: 'github',
    valid: fx.githubPrMerged,
    expectType: EVENT_TYPES.gitMerged,
    irrelevant: {
      ...fx.githubPrMerged,
      action: 'opened',
      pull_request: { ...fx.githubPrMerged.pull_request, merged: false },
    },
    missing: {
      body: {
        action: 'closed',
        pull_request: { number: 1, merged: true, head: { ref: 'x' }, base: {} },
        repository: { full_name: 'a/b' },
      },
      path: 'pull_request.base.ref',
    },
    sign: (body, v, id) => ({
      headers: githubHeaders(body, 'pull_request', {
        secret: v === 'good' ? SECRETS.github : 'nope',
        ...(id ? { delivery: id } : {}),
      }),
    }),
    signsBody: true,
  },
  {
    source: 'azure-devops',
    valid: fx.adoPrCompleted,
    expectType: EVENT_TYPES.gitMerged,
    irrelevant: { ...fx.adoPrCompleted, id: 'other-id', resource: { ...fx.adoPrCompleted.resource, status: 'active' } },
    missing: {
      body: { ...fx.adoPrCompleted, resource: { ...fx.adoPrCompleted.resource, targetRefName: undefined } },
      path: 'resource.targetRefName',
    },
    sign: (_b, v) => ({ headers: adoHeaders({ password: v === 'good' ? SECRETS.adoPassword : 'nope' }) }),
    signsBody: false,
  },
  {
    source: 'azure-monitor',
    valid: fx.azureMonitorFired,
    expectType: EVENT_TYPES.alertFired,
    irrelevant: {
      ...fx.azureMonitorFired,
      data: {
        ...fx.azureMonitorFired.data,
        essentials: { ...fx.azureMonitorFired.data.essentials, monitorCondition: 'Resolved' },
      },
    },
    missing: {
      body: {
        schemaId: 'azureMonitorCommonAlertSchema',
        data: { essentials: { ...fx.azureMonitorFired.data.essentials, alertRule: undefined } },
      },
      path: 'data.essentials.alertRule',
    },
    sign: (_b, v) => ({
      headers: { 'Content-Type': 'application/json' },
      query: { key: v === 'good' ? SECRETS.azureMonitor : 'nope' },
    }),
    signsBody: false,
  },
  {
    source: 'drift',
    valid: fx.driftGeneric,
    expectType: EVENT_TYPES.driftDetected,
    irrelevant: { ...fx.driftGeneric, value: 0.05 },
    missing: { body: { feature: 'x', metric: 'js_distance', value: 0.5 }, path: 'model' },
    sign: (_b, v) => ({
      headers: { 'Content-Type': 'application/json', 'X-Stagecraft-Key': v === 'good' ? SECRETS.drift : 'nope' },
    }),
    signsBody: false,
  },
  {
    source: 'cloudevents',
    valid: fx.retrainCloudEvent,
    expectType: EVENT_TYPES.retrainRequested,
    irrelevant: { ...fx.retrainCloudEvent, type: 'com.example.other' },
    missing: {
      body: { ...fx.retrainCloudEvent, data: { model: { name: 'fraud-detector' }, requestedBy: 'alice' } },
      path: 'data.reason',
    },
    sign: (_b, v) => ({
      headers: { 'Content-Type': 'application/cloudevents+json' },
      query: { key: v === 'good' ? 'ce-key' : 'nope' },
    }),
    signsBody: false,
  },
  {
    source: 'databricks-jobs',
    valid: fx.jobsOnSuccess,
    expectType: EVENT_TYPES.jobFinished,
    irrelevant: fx.jobsOnStart,
    missing: { body: { event_type: 'jobs.on_success', run: {}, job: { job_id: '1' } }, path: 'run.run_id' },
    sign: (_b, v) => ({ headers: jobsHeaders(v === 'good' ? SECRETS.jobsPassword : 'nope') }),
    signsBody: false,
  },
];

function setup(overrides: Record<string, string> = {}) {
  const publisher = new MemoryEventPublisher();
  const receipts = new MemoryReceiptStore();
  let n = 0;
  const deps: IntakeDeps = {
    publisher,
    receipts,
    config: testConfig({ CLOUDEVENTS_KEYS: 'ce-key', ...overrides }),
    clock: () => NOW_MS,
    newId: () => `r${++n}`,
  };
  return { publisher, receipts, deps };
}

async function deliver(c: SourceCase, deps: IntakeDeps, body: string, signed: Signed): Promise<IntakeResult> {
  return handleDelivery(
    c.source,
    { headers: signed.headers, rawBody: Buffer.from(body), ...(signed.query ? { query: signed.query } : {}) },
    deps,
  );
}

describe.each(CASES)('intake from $source', (c) => {
  const ser = c.serialize ?? ((v: unknown) => JSON.stringify(v));

  it('accepts a valid delivery with 202, publishes the normalized event and records an accepted receipt', async () => {
    const { publisher, receipts, deps } = setup();
    const body = ser(c.valid);
    const res = await deliver(c, deps, body, c.sign(body, 'good'));
    expect(res.httpStatus).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(publisher.events.map((e) => e.type)).toContain(c.expectType);
    if (res.body.status === 'accepted') expect(res.body.eventIds).toEqual(publisher.events.map((e) => e.id));
    expect(receipts.receipts).toHaveLength(1);
    expect(receipts.receipts[0]).toMatchObject({
      source: c.source,
      outcome: 'accepted',
      httpStatus: 202,
      bodyBytes: Buffer.byteLength(body),
    });
  });

  it('refuses a wrong secret with 401, publishes nothing and records the rejection without the secret', async () => {
    const { publisher, receipts, deps } = setup();
    const body = ser(c.valid);
    const res = await deliver(c, deps, body, c.sign(body, 'wrong'));
    expect(res.httpStatus).toBe(401);
    expect(publisher.events).toHaveLength(0);
    const receipt = receipts.receipts[0]!;
    expect(receipt).toMatchObject({ outcome: 'rejected', httpStatus: 401 });
    const text = JSON.stringify([receipt, res.body]);
    for (const secret of [
      ...SECRETS.mlflow,
      SECRETS.databricks,
      SECRETS.github,
      SECRETS.adoPassword,
      SECRETS.azureMonitor,
      SECRETS.drift,
      SECRETS.jobsPassword,
      'ce-key',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  if (c.signsBody) {
    it('refuses a tampered body (signature over the original bytes) with 401 INTAKE_SIGNATURE_INVALID', async () => {
      const { publisher, deps } = setup();
      const body = ser(c.valid);
      const signed = c.sign(body, 'good');
      const res = await deliver(
        c,
        deps,
        body.replace('fraud-detector', 'fraud-detectoR').replace('Airline', 'Airlinf').replace('"main"', '"mainx"'),
        signed,
      );
      expect(res.httpStatus).toBe(401);
      expect(res.body).toMatchObject({ status: 'rejected', code: 'INTAKE_SIGNATURE_INVALID' });
      expect(publisher.events).toHaveLength(0);
    });
  }

  it('answers a replayed delivery with 202 duplicate, records it, and does not publish again', async () => {
    const { publisher, receipts, deps } = setup();
    const body = ser(c.valid);
    const signed = c.sign(body, 'good');
    const first = await deliver(c, deps, body, signed);
    const second = await deliver(c, deps, body, signed);
    const third = await deliver(c, deps, body, signed);
    expect(first.body.status).toBe('accepted');
    expect(second.httpStatus).toBe(202);
    expect(second.body).toMatchObject({ status: 'duplicate', firstReceiptId: first.body.receiptId });
    expect(third.body.status).toBe('duplicate');
    const publishedOnce = publisher.events.length;
    expect(publishedOnce).toBeGreaterThan(0);
    expect(publisher.events.filter((e) => e.type === c.expectType)).toHaveLength(publishedOnce);
    expect(receipts.receipts.map((r) => r.outcome)).toEqual(['accepted', 'duplicate', 'duplicate']);
    if (first.body.status === 'accepted' && second.body.status === 'duplicate')
      expect(second.body.eventIds).toEqual(first.body.eventIds);
  });

  it('refuses malformed JSON (correctly authenticated) with 400 INTAKE_BODY_NOT_JSON', async () => {
    const { publisher, receipts, deps } = setup();
    const body = '{"entity": "model_version", "data": {';
    const res = await deliver(c, deps, body, c.sign(body, 'good'));
    expect(res.httpStatus).toBe(400);
    expect(res.body).toMatchObject({ status: 'rejected', code: 'INTAKE_BODY_NOT_JSON' });
    expect(publisher.events).toHaveLength(0);
    expect(receipts.receipts[0]?.outcome).toBe('rejected');
  });

  it(`refuses a payload missing a required field with 400 naming it (${c.missing.path})`, async () => {
    const { publisher, deps } = setup();
    const body = ser(c.missing.body);
    const res = await deliver(c, deps, body, c.sign(body, 'good'));
    expect(res.httpStatus).toBe(400);
    expect(res.body.status).toBe('rejected');
    if (res.body.status === 'rejected') expect(res.body.fields?.map((f) => f.path)).toContain(c.missing.path);
    expect(publisher.events).toHaveLength(0);
  });

  it('refuses a body over INTAKE_MAX_BODY_BYTES with 413 before verifying it', async () => {
    const { publisher, receipts, deps } = setup({ INTAKE_MAX_BODY_BYTES: '2048' });
    const body = JSON.stringify({ ...(c.valid as object), padding: 'x'.repeat(4096) });
    const res = await deliver(c, deps, body, c.sign(body, 'good'));
    expect(res.httpStatus).toBe(413);
    expect(res.body).toMatchObject({ status: 'rejected', code: 'INTAKE_BODY_TOO_LARGE' });
    expect(publisher.events).toHaveLength(0);
    expect(receipts.receipts[0]).toMatchObject({ outcome: 'rejected', httpStatus: 413, scheme: 'none' });
  });

  it('answers a valid but irrelevant event with 202 ignored and a reason', async () => {
    const { publisher, receipts, deps } = setup();
    const body = ser(c.irrelevant);
    const res = await deliver(c, deps, body, c.sign(body, 'good', 'another-delivery'));
    expect(res.httpStatus).toBe(202);
    expect(res.body.status).toBe('ignored');
    if (res.body.status === 'ignored') expect(res.body.reason.length).toBeGreaterThan(5);
    expect(publisher.events).toHaveLength(0);
    expect(receipts.receipts[0]?.outcome).toBe('ignored');
  });

  it('refuses every delivery with 401 when the source has no credentials configured', async () => {
    const none: Record<string, string> = {
      MLFLOW_WEBHOOK_SECRETS: '',
      DATABRICKS_WEBHOOK_SECRETS: '',
      GITHUB_WEBHOOK_SECRETS: '',
      AZDO_WEBHOOK_USERNAME: '',
      AZDO_WEBHOOK_PASSWORDS: '',
      AZDO_WEBHOOK_HEADER_SECRETS: '',
      AZURE_MONITOR_WEBHOOK_KEYS: '',
      DATABRICKS_JOBS_WEBHOOK_USERNAME: '',
      DATABRICKS_JOBS_WEBHOOK_PASSWORDS: '',
    };
    const { deps } = setup(none);
    const body = ser(c.valid);
    const res = await deliver(c, deps, body, c.sign(body, 'good'));
    if (c.source === 'drift' || c.source === 'cloudevents') {
      // These two sit behind the Functions key (authLevel function); their own keys are optional.
      expect(res.httpStatus).toBe(202);
    } else {
      expect(res.httpStatus).toBe(401);
      expect(res.body).toMatchObject({ code: 'INTAKE_SOURCE_NOT_CONFIGURED' });
    }
  });
});

describe('intake service invariants', () => {
  it('refuses an MLflow delivery whose timestamp is older than the tolerance with 401 INTAKE_TIMESTAMP_STALE', async () => {
    const { publisher, deps } = setup();
    const body = pythonJson(fx.mlflowVersionCreated);
    const res = await handleDelivery(
      'mlflow',
      { headers: mlflowHeaders(body, { timestamp: Math.floor(NOW_MS / 1000) - 301 }), rawBody: body },
      deps,
    );
    expect(res.httpStatus).toBe(401);
    expect(res.body).toMatchObject({ code: 'INTAKE_TIMESTAMP_STALE' });
    expect(publisher.events).toHaveLength(0);
  });

  it('answers 503 with Retry-After when publishing fails, indexes nothing, and accepts the sender retry', async () => {
    const { publisher, receipts, deps } = setup();
    publisher.failNext = 1;
    const body = pythonJson(fx.mlflowVersionCreated);
    const headers = mlflowHeaders(body);
    const failed = await handleDelivery('mlflow', { headers, rawBody: body }, deps);
    expect(failed.httpStatus).toBe(503);
    expect(failed.headers?.['Retry-After']).toBe('5');
    const retried = await handleDelivery('mlflow', { headers, rawBody: body }, deps);
    expect(retried.body.status).toBe('accepted');
    expect(publisher.events).toHaveLength(1);
    expect(receipts.receipts.map((r) => r.outcome)).toEqual(['failed', 'accepted']);
  });

  it('gives the same event id to the same model version from two different MLflow deliveries (business-key dedupe)', async () => {
    const { publisher, deps } = setup();
    const body = pythonJson(fx.mlflowVersionCreated);
    await handleDelivery('mlflow', { headers: mlflowHeaders(body, { deliveryId: 'd-1' }), rawBody: body }, deps);
    await handleDelivery('mlflow', { headers: mlflowHeaders(body, { deliveryId: 'd-2' }), rawBody: body }, deps);
    expect(publisher.events).toHaveLength(2);
    expect(publisher.events[0]!.id).toBe('model.version.created:fraud-detector:7');
    expect(publisher.events[1]!.id).toBe(publisher.events[0]!.id);
    expect(publisher.messages[1]!.messageId).toBe(publisher.messages[0]!.messageId);
  });

  it('a copy this process has not seen accepted is published again (same messageId) and answered as a duplicate of the first', async () => {
    const { publisher, receipts, deps } = setup();
    receipts.recallEnabled = false; // as if the copy reached another instance
    const body = pythonJson(fx.mlflowVersionCreated);
    const headers = mlflowHeaders(body, { deliveryId: 'd-x' });
    const first = await handleDelivery('mlflow', { headers, rawBody: body }, deps);
    const copy = await handleDelivery('mlflow', { headers, rawBody: body }, deps);
    expect(first.body.status).toBe('accepted');
    expect(copy.body).toMatchObject({ status: 'duplicate', firstReceiptId: first.body.receiptId });
    expect(publisher.messages.map((m) => m.messageId)).toEqual([
      publisher.messages[0]!.messageId,
      publisher.messages[0]!.messageId,
    ]);
  });

  it('still answers 202 accepted when the delivery index cannot be written after publishing (the events are out)', async () => {
    const { publisher, receipts, deps } = setup();
    const errors: string[] = [];
    receipts.accept = () => Promise.reject(new Error('table unavailable'));
    const body = pythonJson(fx.mlflowVersionCreated);
    const res = await handleDelivery(
      'mlflow',
      { headers: mlflowHeaders(body), rawBody: body },
      { ...deps, logger: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) } },
    );
    expect(res).toMatchObject({ httpStatus: 202, body: { status: 'accepted' } });
    expect(publisher.events).toHaveLength(1);
    expect(errors).toContain('intake delivery index not written');
    expect(receipts.receipts.map((r) => r.outcome)).toEqual(['accepted']);
  });

  it('names the header delivery id in a rejected receipt (MLflow X-MLflow-Delivery-Id, GitHub X-GitHub-Delivery)', async () => {
    const { receipts, deps } = setup();
    const body = pythonJson(fx.mlflowVersionCreated);
    const res = await handleDelivery(
      'mlflow',
      { headers: mlflowHeaders(body, { secret: 'not-the-secret', deliveryId: 'wrong-secret-1' }), rawBody: body },
      deps,
    );
    expect(res.httpStatus).toBe(401);
    expect(receipts.receipts[0]).toMatchObject({
      outcome: 'rejected',
      deliveryId: 'wrong-secret-1',
      code: 'INTAKE_SIGNATURE_INVALID',
    });
    const gh = await handleDelivery(
      'github',
      {
        headers: [
          ['x-github-delivery', 'gh-77'],
          ['x-github-event', 'push'],
          ['x-hub-signature-256', 'sha256=00'],
        ],
        rawBody: Buffer.from('{}'),
      },
      deps,
    );
    expect(gh.httpStatus).toBe(401);
    expect(receipts.receipts[1]).toMatchObject({ outcome: 'rejected', deliveryId: 'gh-77' });
  });

  it('accepts a delivery signed with a rotated (previous) MLflow secret', async () => {
    const { deps } = setup();
    const body = pythonJson(fx.mlflowVersionCreated);
    const res = await handleDelivery(
      'mlflow',
      { headers: mlflowHeaders(body, { secret: SECRETS.mlflow[1] }), rawBody: body },
      deps,
    );
    expect(res.body.status).toBe('accepted');
  });

  it('answers a GitHub ping with 202 ignored', async () => {
    const { deps } = setup();
    const body = JSON.stringify(fx.githubPing);
    const res = await handleDelivery('github', { headers: githubHeaders(body, 'ping'), rawBody: body }, deps);
    expect(res.httpStatus).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored' });
    if (res.body.status === 'ignored') expect(res.body.reason).toMatch(/^ping/);
  });

  it('accepts Azure DevOps authenticated by the shared header instead of basic auth', async () => {
    const { deps } = setup();
    const body = JSON.stringify(fx.adoPushRelease);
    const res = await handleDelivery(
      'azure-devops',
      { headers: adoHeaders({ header: SECRETS.adoHeader }), rawBody: body },
      deps,
    );
    expect(res.body.status).toBe('accepted');
  });

  it('never answers 5xx for any garbage a caller can send', async () => {
    const { deps } = setup();
    const bodies = [
      '',
      'null',
      '[]',
      '0',
      '"x"',
      '{}',
      '{"data":null}',
      '[{"specversion":"1.0"}]',
      '\u0000\u0001',
      'a'.repeat(1000),
    ];
    for (const c of CASES) {
      for (const body of bodies) {
        const signed = c.sign(body, 'good');
        const res = await deliver(c, deps, body, signed);
        expect(res.httpStatus, `${c.source} ${JSON.stringify(body).slice(0, 30)}`).toBeLessThan(500);
      }
    }
  });

  it('refuses a Content-Length larger than the limit without reading the body', async () => {
    const { deps } = setup({ INTAKE_MAX_BODY_BYTES: '2048' });
    const res = await handleDelivery(
      'github',
      { headers: { 'content-length': '999999' }, rawBody: Buffer.alloc(0), declaredBytes: 999_999 },
      deps,
    );
    expect(res.httpStatus).toBe(413);
  });
});
