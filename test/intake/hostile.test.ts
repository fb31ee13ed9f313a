/**
 * Hostile and unusual input at the intake, from the sender's side (correctly signed deliveries through the intake
 * service and its HTTP adapter): lone surrogates, identifiers too long or with control characters, content types,
 * GitHub's form-encoded webhooks, CloudEvents binary-mode percent-encoding and empty batches, and bodies that
 * are larger than the limit or never end. None of it may produce a 5xx, and nothing accepted may carry an
 * identifier a workflow cannot store.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryEventPublisher } from '../../shared/bus/memory';
import { IDENTIFIER_LIMITS } from '../../shared/events';
import {
  handleDelivery,
  intakeHttpHandler,
  type HttpRequestLike,
  type IntakeDeps,
  type IntakeResult,
  type SourceName,
} from '../../shared/intake';
import { reportPrefix } from '../../shared/promotion/records';
import { blobSegment, compositeKey, escapeKey, MAX_KEY_CHARS, validateBlobPath } from '../../shared/records';
import { MemoryReceiptStore } from '../../shared/records/memory';
import { instanceIdFor, MAX_INSTANCE_ID_LENGTH } from '../../shared/router/instance-id';
import * as fx from './fixtures';
import {
  NOW_MS,
  NOW_S,
  SECRETS,
  adoHeaders,
  databricksHeaders,
  githubHeaders,
  jobsHeaders,
  mlflowHeaders,
  testConfig,
} from './helpers';

type Signed = { headers: Record<string, string>; query?: Record<string, string> };

const UC_SECRET = 'uc-relay-secret';
function ucHeaders(body: string): Record<string, string> {
  const ts = String(NOW_S);
  const sig = createHmac('sha256', UC_SECRET).update(`${ts}.${body}`).digest('hex');
  return {
    'Content-Type': 'application/json',
    'X-Stagecraft-Timestamp': ts,
    'X-Stagecraft-Signature': `v1=${sig}`,
    'X-Stagecraft-Delivery-Id': 'run-1:1',
  };
}
const UC_READY = {
  condition: 'MODEL_VERSION_READY',
  updates: [{ full_name: 'main.ml.churn', version: 1, alias_name: null }],
  job_id: 42,
  run_id: 1,
};

/** Each source's real signing, for any body. */
const SIGN: Record<SourceName, (body: string) => Signed> = {
  mlflow: (b) => ({ headers: mlflowHeaders(b) }),
  databricks: (b) => ({ headers: databricksHeaders(b) }),
  github: (b) => ({ headers: githubHeaders(b, 'pull_request') }),
  'azure-devops': () => ({ headers: adoHeaders() }),
  'azure-monitor': () => ({ headers: { 'Content-Type': 'application/json' }, query: { key: SECRETS.azureMonitor } }),
  drift: () => ({ headers: { 'Content-Type': 'application/json', 'X-Stagecraft-Key': SECRETS.drift } }),
  cloudevents: () => ({ headers: { 'Content-Type': 'application/cloudevents+json' }, query: { key: 'ce-key' } }),
  'databricks-jobs': () => ({ headers: jobsHeaders() }),
  'databricks-uc': (b) => ({ headers: ucHeaders(b) }),
  // Key-authenticated drift sources; their hostile-input cases are in drift-sources.test.ts.
  'databricks-alerts': () => ({ headers: { 'Content-Type': 'application/json' }, query: { key: 'unused-here' } }),
  azureml: () => ({ headers: { 'Content-Type': 'application/json' }, query: { key: 'unused-here' } }),
};

/** A valid delivery per source and where in it an identifier lives (the path the 400 must name). */
const IDENTIFIER_AT: Array<{ source: SourceName; valid: unknown; path: string[]; field?: string }> = [
  { source: 'mlflow', valid: fx.mlflowVersionCreated, path: ['data', 'name'] },
  { source: 'databricks', valid: fx.databricksTransitioned, path: ['model_name'] },
  { source: 'github', valid: fx.githubPrMerged, path: ['repository', 'full_name'] },
  { source: 'azure-devops', valid: fx.adoPrCompleted, path: ['resource', 'repository', 'name'] },
  { source: 'azure-monitor', valid: fx.azureMonitorFired, path: ['data', 'essentials', 'alertRule'] },
  { source: 'drift', valid: fx.driftGeneric, path: ['model', 'name'] },
  { source: 'cloudevents', valid: fx.retrainCloudEvent, path: ['data', 'model', 'name'] },
  { source: 'databricks-jobs', valid: fx.jobsOnSuccess, path: ['job', 'name'] },
  { source: 'databricks-uc', valid: UC_READY, path: ['updates', '0', 'full_name'], field: 'updates[0].full_name' },
];

function withValue(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let cur = copy;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string, unknown>;
  cur[path[path.length - 1]!] = value;
  return copy;
}

function setup(overrides: Record<string, string> = {}) {
  const publisher = new MemoryEventPublisher();
  const receipts = new MemoryReceiptStore();
  const deps: IntakeDeps = {
    publisher,
    receipts,
    config: testConfig({ CLOUDEVENTS_KEYS: 'ce-key', DATABRICKS_UC_WEBHOOK_SECRETS: UC_SECRET, ...overrides }),
    clock: () => NOW_MS,
  };
  return { publisher, receipts, deps };
}

async function deliver(
  source: SourceName,
  body: string,
  deps: IntakeDeps,
  signed: Signed = SIGN[source](body),
): Promise<IntakeResult> {
  return handleDelivery(
    source,
    { headers: signed.headers, rawBody: Buffer.from(body, 'utf8'), ...(signed.query ? { query: signed.query } : {}) },
    deps,
  );
}

function fieldsOf(res: IntakeResult): string[] {
  return 'fields' in res.body ? (res.body.fields ?? []).map((f) => f.path) : [];
}

describe('ill-formed Unicode (a lone UTF-16 surrogate) in a signed delivery', () => {
  it.each(IDENTIFIER_AT)(
    '$source: 400 naming the field, never a 5xx, nothing published',
    async ({ source, valid, path, field }) => {
      const { publisher, receipts, deps } = setup();
      // JSON.stringify writes the lone surrogate as the escape "\ud800": valid JSON, ill-formed text.
      const body = JSON.stringify(withValue(valid, path, 'x\ud800y'));
      expect(body).toContain('\\ud800');
      const res = await deliver(source, body, deps);
      expect(res.httpStatus).toBe(400);
      expect(res.body).toMatchObject({ status: 'rejected', code: 'INTAKE_PAYLOAD_INVALID' });
      expect(fieldsOf(res)).toEqual([field ?? path.join('.')]);
      expect(publisher.events).toHaveLength(0);
      expect(receipts.receipts[0]).toMatchObject({ outcome: 'rejected', httpStatus: 400 });
    },
  );

  it('also in an object key, and in a low surrogate without its high half', async () => {
    const { deps } = setup();
    const inKey = JSON.stringify({
      ...fx.mlflowVersionCreated,
      data: { ...fx.mlflowVersionCreated.data, tags: { ['k\udc00']: 'v' } },
    });
    const res = await deliver('mlflow', inKey, deps);
    expect(res.httpStatus).toBe(400);
    expect(fieldsOf(res)[0]).toMatch(/^data\.tags\.k/);
    const low = JSON.stringify(withValue(fx.mlflowVersionCreated, ['data', 'version'], '\udc007'));
    expect((await deliver('mlflow', low, deps)).httpStatus).toBe(400);
  });

  it('accepts well-formed astral characters (a surrogate pair) in names', async () => {
    const { publisher, deps } = setup();
    const body = JSON.stringify(withValue(fx.mlflowVersionCreated, ['data', 'name'], 'model-😀'));
    expect((await deliver('mlflow', body, deps)).httpStatus).toBe(202);
    expect(publisher.events[0]?.subject).toBe(`models/${encodeURIComponent('model-😀')}/versions/7`);
  });
});

describe('identifier bounds: a 202 never carries an identifier a workflow cannot store', () => {
  it('refuses a 1,000-character model name with 400 naming the field (MLflow and CloudEvents)', async () => {
    const { publisher, deps } = setup();
    const long = 'm'.repeat(1000);
    const mlflow = await deliver(
      'mlflow',
      JSON.stringify(withValue(fx.mlflowVersionCreated, ['data', 'name'], long)),
      deps,
    );
    expect(mlflow.httpStatus).toBe(400);
    expect(fieldsOf(mlflow)).toContain('data.model.name');
    expect(JSON.stringify(mlflow.body)).toMatch(/at most 767 characters/);
    const ce = await deliver(
      'cloudevents',
      JSON.stringify(withValue(fx.retrainCloudEvent, ['data', 'model', 'name'], long)),
      deps,
    );
    expect(ce.httpStatus).toBe(400);
    expect(fieldsOf(ce)).toContain('data.model.name');
    expect(publisher.events).toHaveLength(0);
  });

  it('refuses control characters (NUL) in identifiers with 400 naming the field', async () => {
    const { deps } = setup();
    for (const [source, valid, path] of [
      ['mlflow', fx.mlflowVersionCreated, ['data', 'name']],
      ['databricks', fx.databricksTransitioned, ['model_name']],
      ['github', fx.githubPrMerged, ['repository', 'full_name']],
    ] as const) {
      const res = await deliver(source, JSON.stringify(withValue(valid, [...path], 'a\u0000b')), deps);
      expect(res.httpStatus, source).toBe(400);
      expect(JSON.stringify(res.body), source).toMatch(/control characters/);
    }
  });

  it('accepts the longest Unity Catalog name (3 × 255 + 2) and every key derived from it fits its store', async () => {
    const { publisher, deps } = setup();
    // Worst case for escaping: every '/' becomes '%2F' in a table key.
    const part = '/'.repeat(255);
    const name = `${part}.${part}.${part}`;
    expect(name.length).toBe(IDENTIFIER_LIMITS.modelName);
    const res = await deliver(
      'mlflow',
      JSON.stringify(withValue(fx.mlflowVersionCreated, ['data', 'name'], name)),
      deps,
    );
    expect(res.httpStatus).toBe(202);
    const event = publisher.events[0]!;
    expect(event.id.length).toBeLessThanOrEqual(128);
    // Table keys a workflow writes for it (promotion records: PK model, composites with version and ids).
    expect(escapeKey(name).length).toBeLessThanOrEqual(MAX_KEY_CHARS);
    expect(compositeKey(name, 'v'.repeat(IDENTIFIER_LIMITS.version), 'champion').length).toBeLessThanOrEqual(
      MAX_KEY_CHARS,
    );
    const instanceId = instanceIdFor('modelPromotion', name, '7');
    expect(instanceId.length).toBeLessThanOrEqual(MAX_INSTANCE_ID_LENGTH);
    // Blob paths: the promotion report and a record's overflow blobs.
    expect(() =>
      validateBlobPath(`${reportPrefix(name, 'v'.repeat(IDENTIFIER_LIMITS.version), instanceId)}/report.json`),
    ).not.toThrow();
    expect(() =>
      validateBlobPath(
        `overflow/StagecraftPromotions/${blobSegment(escapeKey(name))}/${blobSegment(escapeKey(instanceId))}/report`,
      ),
    ).not.toThrow();
  });
});

describe('content types', () => {
  it('refuses text/plain on a JSON endpoint with 415 naming the expected type', async () => {
    const { deps } = setup();
    const body = JSON.stringify(fx.jobsOnSuccess);
    const res = await deliver('databricks-jobs', body, deps, {
      headers: { ...jobsHeaders(), 'Content-Type': 'text/plain' },
    });
    expect(res.httpStatus).toBe(415);
    expect(res.body).toMatchObject({ code: 'INTAKE_UNSUPPORTED_MEDIA_TYPE' });
    expect(JSON.stringify(res.body)).toContain('application/json');
  });

  it('accepts a delivery without Content-Type as JSON, and application/*+json types', async () => {
    const { deps } = setup();
    const body = JSON.stringify(fx.jobsOnSuccess);
    const Authorization = jobsHeaders()['Authorization'] ?? '';
    expect((await deliver('databricks-jobs', body, deps, { headers: { Authorization } })).httpStatus).toBe(202);
    expect(
      (
        await deliver('databricks-jobs', JSON.stringify({ ...fx.jobsOnSuccess, run: { run_id: '2' } }), deps, {
          headers: { Authorization, 'Content-Type': 'application/vnd.example+json; charset=utf-8' },
        })
      ).httpStatus,
    ).toBe(202);
  });

  it("accepts GitHub's default form encoding (payload=<JSON>), verified over the raw form bytes, as the same event as JSON", async () => {
    const json = JSON.stringify(fx.githubPrMerged);
    const form = `payload=${encodeURIComponent(json)}`;
    const a = setup();
    const viaForm = await deliver('github', form, a.deps, {
      headers: { ...githubHeaders(form, 'pull_request'), 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(viaForm.httpStatus).toBe(202);
    const b = setup();
    await deliver('github', json, b.deps);
    expect(a.publisher.events.map((e) => e.id)).toEqual(b.publisher.events.map((e) => e.id));
    // The signature covers the form bytes, not the decoded JSON.
    const forged = await deliver('github', form, setup().deps, {
      headers: { ...githubHeaders(json, 'pull_request'), 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.httpStatus).toBe(401);
  });

  it('answers a form body without payload with 400 naming the field, and form bodies elsewhere with 415', async () => {
    const { deps } = setup();
    const form = 'other=1';
    const res = await deliver('github', form, deps, {
      headers: { ...githubHeaders(form, 'pull_request'), 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.httpStatus).toBe(400);
    expect(fieldsOf(res)).toEqual(['payload']);
    const dbx = `payload=${encodeURIComponent(JSON.stringify(fx.databricksTransitioned))}`;
    const other = await deliver('databricks', dbx, deps, {
      headers: { ...databricksHeaders(dbx), 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(other.httpStatus).toBe(415);
    expect(JSON.stringify(other.body)).toMatch(/set the webhook content type to application\/json/);
  });
});

describe('CloudEvents HTTP binding', () => {
  it('percent-decodes ce-* headers: the same event in binary and structured mode has the same id and delivery id', async () => {
    const ce = { ...fx.promoteCloudEvent, source: '/ops/cli tool', id: 'p/1 ü' };
    const structured = setup();
    const s = await deliver('cloudevents', JSON.stringify(ce), structured.deps);
    const binary = setup();
    const headers = {
      'Content-Type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': ce.type,
      'ce-source': '/ops/cli%20tool',
      'ce-id': 'p/1%20%C3%BC',
    };
    const b = await deliver('cloudevents', JSON.stringify(ce.data), binary.deps, { headers, query: { key: 'ce-key' } });
    expect(s.httpStatus).toBe(202);
    expect(b.httpStatus).toBe(202);
    expect(binary.publisher.events[0]?.id).toBe(structured.publisher.events[0]?.id);
    expect(binary.publisher.events[0]?.source).toBe('/ops/cli tool');
    expect(b.body).toMatchObject({ deliveryId: '/ops/cli tool#p/1 ü' });
    expect(s.body).toMatchObject({ deliveryId: '/ops/cli tool#p/1 ü' });
  });

  it('accepts an empty batch with 202 and publishes nothing', async () => {
    const { publisher, deps } = setup();
    const res = await deliver('cloudevents', '[]', deps, {
      headers: { 'Content-Type': 'application/cloudevents-batch+json' },
      query: { key: 'ce-key' },
    });
    expect(res.httpStatus).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored' });
    expect(publisher.events).toHaveLength(0);
  });
});

describe('body size through the HTTP adapter (streamed request bodies)', () => {
  const MiB = 1024 * 1024;

  /** A request whose body yields `chunks` and then never ends (the sender stalls). */
  function stalledRequest(
    headers: Record<string, string>,
    chunks: Uint8Array[],
  ): { request: HttpRequestLike; pulled: () => number; cancelled: () => boolean } {
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = chunks[pulled];
          if (next === undefined) return new Promise<void>(() => undefined); // never more data, never the end
          pulled++;
          controller.enqueue(next);
          return undefined;
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const request: HttpRequestLike = {
      headers: Object.entries(headers),
      query: new URLSearchParams(),
      body,
      arrayBuffer: () => new Response(body).arrayBuffer(),
    };
    return { request, pulled: () => pulled, cancelled: () => cancelled };
  }

  it('answers 413 from an announced Content-Length of 2 MiB without reading the body (1 MiB + 1 byte sent, then nothing)', async () => {
    const { deps } = setup({ INTAKE_MAX_BODY_BYTES: String(MiB) });
    const r = stalledRequest({ 'content-type': 'application/json', 'content-length': String(2 * MiB) }, [
      new Uint8Array(MiB + 1),
    ]);
    const res = await intakeHttpHandler('github', () => deps)(r.request);
    expect(res.status).toBe(413);
    expect(r.pulled()).toBe(0);
  });

  it('stops reading a body without Content-Length once it passes the limit and answers 413 without its end', async () => {
    const { deps } = setup({ INTAKE_MAX_BODY_BYTES: String(MiB) });
    const r = stalledRequest({ 'content-type': 'application/json' }, [
      new Uint8Array(MiB),
      new Uint8Array(1),
      new Uint8Array(MiB),
    ]);
    const res = await intakeHttpHandler('github', () => deps)(r.request);
    expect(res.status).toBe(413);
    expect(res.jsonBody).toMatchObject({ code: 'INTAKE_BODY_TOO_LARGE' });
    expect(r.pulled()).toBe(2);
    expect(r.cancelled()).toBe(true);
  });

  it('answers 400 (not a 5xx) when the sender breaks the upload off', async () => {
    const { deps } = setup();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.error(new Error('socket hang up'));
      },
    });
    const request: HttpRequestLike = {
      headers: [['content-type', 'application/json']],
      query: new URLSearchParams(),
      body,
      arrayBuffer: () => new Response(body).arrayBuffer(),
    };
    const res = await intakeHttpHandler('github', () => deps)(request);
    expect(res.status).toBe(400);
    expect(res.jsonBody).toMatchObject({ code: 'INTAKE_BODY_UNREADABLE' });
  });
});
