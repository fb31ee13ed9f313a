import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  StagecraftError,
  TransientError,
  ValidationError,
} from '../../shared/errors';
import {
  AZURE_DATABRICKS_SCOPE,
  basicAuth,
  bearerAuth,
  remoteErrorCode,
  tokenCredentialAuth,
  type RestLogEvent,
} from '../../shared/adapters/http';
import { parse as parseYaml } from 'yaml';
import { MlflowClient, type MlflowClientOptions, inspectMLmodel } from '../../shared/adapters/mlflow';
import {
  type FakeMlflow,
  type JsonServer,
  type RecordedRequest,
  mlflowSignature,
  startFakeMlflow,
  startJsonServer,
} from '../fakes';

let fake: FakeMlflow;
let receiver: JsonServer;
const received: RecordedRequest[] = [];
let sleeps: number[];
let logs: RestLogEvent[];

function client(o: Partial<MlflowClientOptions> = {}): MlflowClient {
  return new MlflowClient({
    baseUrl: fake.url,
    timeoutMs: 2000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: (e) => logs.push(e),
    ...o,
  });
}

async function caught(p: Promise<unknown>): Promise<StagecraftError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StagecraftError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  fake = await startFakeMlflow({ webhookRetries: 3, webhookBackoffMs: 5 });
  receiver = await startJsonServer((method) =>
    method === 'POST'
      ? (r) => {
          received.push(r);
          return {};
        }
      : undefined,
  );
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});
beforeEach(() => {
  sleeps = [];
  logs = [];
  fake.requests.length = 0;
  fake.requireAuthorization(undefined);
  fake.setLatency(0);
  fake.clearFailures();
});

describe('MLflow registry calls against the fake server', () => {
  it('reads a model version with its tags and aliases, and the run behind it', async () => {
    const run = fake.seedRun({
      metrics: { accuracy: 0.95, roc_auc: 0.98 },
      params: { max_depth: '8' },
      tags: { 'mlflow.source.git.commit': 'abc123' },
      artifacts: ['model/MLmodel', 'model/input_example.json'],
    });
    fake.seedVersion('bc-read', {
      runId: run.run_id,
      userId: 'alice',
      tags: { git_commit: 'abc123' },
      aliases: ['champion'],
    });
    const c = client();
    const mv = await c.getModelVersion('bc-read', '1');
    expect(mv).toMatchObject({
      name: 'bc-read',
      version: '1',
      status: 'READY',
      user_id: 'alice',
      aliases: ['champion'],
      tags: [{ key: 'git_commit', value: 'abc123' }],
    });
    const summary = await c.getRunSummary(mv.run_id!);
    expect(summary).toMatchObject({
      metrics: { accuracy: 0.95, roc_auc: 0.98 },
      params: { max_depth: '8' },
      tags: { 'mlflow.source.git.commit': 'abc123' },
    });
    expect(await c.artifactExists(run.run_id, 'model/MLmodel')).toBe(true);
    expect(await c.artifactExists(run.run_id, 'model')).toBe(true);
    expect(await c.artifactExists(run.run_id, 'model/missing.pkl')).toBe(false);
  });

  it('downloads MLmodel from the run and from the model version (with auth) and reads signature and input example from it', async () => {
    const mlmodel =
      'artifact_path: model\nflavors:\n  sklearn: {}\n  python_function: {}\nsignature:\n  inputs: \'[{"type": "double"}]\'\n  outputs: \'[{"type": "long"}]\'\nsaved_input_example_info:\n  artifact_path: input_example.json\n';
    const run = fake.seedRun({ files: { 'model/MLmodel': mlmodel } });
    fake.seedVersion('bc-mlmodel', {
      runId: run.run_id,
      source: `runs:/${run.run_id}/model`,
      files: { MLmodel: 'flavors:\n  sklearn: {}\n' },
    });
    fake.requireAuthorization('Bearer t');
    const c = client({ auth: bearerAuth('t') });
    expect(inspectMLmodel(parseYaml(await c.downloadRunArtifact(run.run_id, 'model/MLmodel')))).toEqual({
      signature: true,
      inputExample: true,
      flavors: ['sklearn', 'python_function'],
    });
    expect(inspectMLmodel(parseYaml(await c.downloadModelVersionArtifact('bc-mlmodel', '1', 'MLmodel')))).toEqual({
      signature: false,
      inputExample: false,
      flavors: ['sklearn'],
    });
    expect(await c.getModelVersionDownloadUri('bc-mlmodel', '1')).toBe(`runs:/${run.run_id}/model`);
    await expect(c.downloadRunArtifact(run.run_id, 'model/missing')).rejects.toBeInstanceOf(NotFoundError);
    expect(inspectMLmodel(null)).toEqual({ signature: false, inputExample: false, flavors: [] });
  });

  it('sets, reads, moves and deletes aliases; a missing alias reads as undefined and deletes as done', async () => {
    fake.seedVersion('bc-alias');
    fake.seedVersion('bc-alias');
    const c = client();
    await c.setAlias('bc-alias', 'champion', '1');
    expect((await c.getModelVersionByAlias('bc-alias', 'champion'))?.version).toBe('1');
    await c.setAlias('bc-alias', 'champion', '2');
    expect((await c.getRegisteredModel('bc-alias')).aliases).toEqual([{ alias: 'champion', version: '2' }]);
    await c.deleteAlias('bc-alias', 'champion');
    expect(await c.getModelVersionByAlias('bc-alias', 'champion')).toBeUndefined();
    await expect(c.deleteAlias('bc-alias', 'champion')).resolves.toBeUndefined();
    expect(fake.state.aliasLog.filter((a) => a.name === 'bc-alias').map((a) => a.version)).toEqual(['1', '2', null]);
  });

  it('sends POST bodies as JSON and DELETE parameters in body and query', async () => {
    fake.seedVersion('bc-wire');
    const c = client();
    await c.setModelVersionTag('bc-wire', '1', 'validation_status', 'passed');
    await c.setAlias('bc-wire', 'challenger', '1');
    await c.deleteAlias('bc-wire', 'challenger');
    const del = fake.requests.find((r) => r.method === 'DELETE')!;
    expect(del.query).toMatchObject({ name: 'bc-wire', alias: 'challenger' });
    expect(del.body).toEqual({ name: 'bc-wire', alias: 'challenger' });
    expect(fake.requests.find((r) => r.path.endsWith('/set-tag'))?.headers['content-type']).toBe('application/json');
  });

  it('searches versions with a filter and order, across pages', async () => {
    for (let i = 0; i < 5; i++)
      fake.seedVersion('bc-search', { tags: { validation_status: i % 2 ? 'passed' : 'failed' } });
    const c = client();
    const page1 = await c.searchModelVersions({
      filter: "name='bc-search'",
      orderBy: ['version_number DESC'],
      maxResults: 2,
    });
    expect(page1.versions.map((v) => v.version)).toEqual(['5', '4']);
    const page2 = await c.searchModelVersions({
      filter: "name='bc-search'",
      orderBy: ['version_number DESC'],
      maxResults: 2,
      pageToken: page1.nextPageToken!,
    });
    expect(page2.versions.map((v) => v.version)).toEqual(['3', '2']);
    const passed = await c.searchModelVersions({ filter: "name='bc-search' AND tags.validation_status='passed'" });
    expect(passed.versions.map((v) => v.version).sort()).toEqual(['2', '4']);
  });

  it('moves legacy stages and archives the previous Production version', async () => {
    fake.seedVersion('bc-stage', { stage: 'Production' });
    fake.seedVersion('bc-stage');
    const c = client();
    const mv = await c.transitionStage('bc-stage', '2', 'Production', true);
    expect(mv.current_stage).toBe('Production');
    expect((await c.getModelVersion('bc-stage', '1')).current_stage).toBe('Archived');
    expect((await c.getLatestVersions('bc-stage', ['Production'])).map((v) => v.version)).toEqual(['2']);
  });

  it('updates a description and searches registered models', async () => {
    fake.seedVersion('bc-desc');
    const c = client();
    expect((await c.updateModelVersion('bc-desc', '1', 'weekly retrain')).description).toBe('weekly retrain');
    expect((await c.searchRegisteredModels({ filter: "name LIKE 'bc-des%'" })).models.map((m) => m.name)).toEqual([
      'bc-desc',
    ]);
  });

  it('creates, lists, tests and deletes an MLflow 3 registry webhook (events as upper-case entity/action)', async () => {
    const c = client();
    const w = await c.createWebhook({
      name: 'stagecraft',
      url: `${receiver.url}/mlflow-webhook`,
      secret: 's3cret',
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ],
    });
    expect(w.webhook_id).toBeTruthy();
    expect(JSON.stringify(w)).not.toContain('s3cret');
    expect((await c.listWebhooks()).webhooks.map((x) => x.name)).toContain('stagecraft');
    expect(await c.testWebhook(w.webhook_id!)).toMatchObject({ success: true, responseStatus: 200 });
    expect(received.at(-1)?.body).toMatchObject({
      entity: 'model_version',
      action: 'created',
      data: { name: 'example_model', version: '1' },
    });
    await c.deleteWebhook(w.webhook_id!);
    await expect(c.deleteWebhook(w.webhook_id!)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('webhook deliveries from the fake (MLflow 3.3+ format)', () => {
  it('delivers model_version.created and alias events signed as MLflow signs them, retrying 5xx with the same delivery id', async () => {
    const c = client();
    const w = await c.createWebhook({
      name: 'deliveries',
      url: `${receiver.url}/mlflow-webhook`,
      secret: 'whsec',
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ],
    });
    receiver.requests.length = 0;
    const received = receiver.requests;
    receiver.injectFailure({ status: 503 });
    fake.registerVersion('bc-hooks', { runId: 'r-1', tags: { git_commit: 'abc' } });
    await fake.deliveriesSettled();
    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(second!.headers['x-mlflow-delivery-id']).toBe(first!.headers['x-mlflow-delivery-id']);
    expect(second!.raw).toBe(first!.raw);
    const h = second!.headers;
    expect(h['x-mlflow-signature']).toBe(
      mlflowSignature('whsec', h['x-mlflow-delivery-id']!, h['x-mlflow-timestamp']!, second!.raw),
    );
    expect(second!.raw).toMatch(
      /^\{"entity": "model_version", "action": "created", "timestamp": "\d{4}-\d\d-\d\dT[\d:.]+\+00:00", "data": /,
    );
    expect(second!.body).toMatchObject({
      data: { name: 'bc-hooks', version: '1', run_id: 'r-1', tags: { git_commit: 'abc' }, description: null },
    });
    await c.setAlias('bc-hooks', 'challenger', '1');
    await fake.deliveriesSettled();
    expect(received.at(-1)?.body).toMatchObject({
      entity: 'model_version_alias',
      action: 'created',
      data: { name: 'bc-hooks', alias: 'challenger', version: '1' },
    });
    fake.seedVersion('bc-hooks');
    await fake.deliveriesSettled();
    expect(received).toHaveLength(3);
    await c.deleteWebhook(w.webhook_id!);
  });
});

describe('typed errors from error_code', () => {
  it('maps RESOURCE_DOES_NOT_EXIST to NotFoundError with the service message', async () => {
    const e = await caught(client().getModelVersion('no-such-model', '1'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.code).toBe('MLFLOW_RESOURCE_DOES_NOT_EXIST');
    expect(remoteErrorCode(e)).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(e.message).toMatch(/Registered Model with name=no-such-model not found/);
    expect(e.details).toMatchObject({
      service: 'mlflow',
      httpStatus: 404,
      method: 'GET',
      path: '/api/2.0/mlflow/model-versions/get',
    });
  });

  it('maps INVALID_PARAMETER_VALUE to ValidationError and does not retry it', async () => {
    fake.seedVersion('bc-invalid');
    const e = await caught(client().setAlias('bc-invalid', 'latest', '1'));
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.code).toBe('MLFLOW_INVALID_PARAMETER_VALUE');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps RESOURCE_ALREADY_EXISTS to ConflictError, UNAUTHENTICATED to AuthError, an HTML 404 (unknown endpoint) to NotFound by status', async () => {
    fake.injectFailure({ path: '/webhooks', status: 400, errorCode: 'RESOURCE_ALREADY_EXISTS' });
    expect(
      await caught(
        client().createWebhook({
          name: 'x',
          url: `${receiver.url}/x`,
          events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
        }),
      ),
    ).toBeInstanceOf(ConflictError);
    fake.requireAuthorization('Bearer right');
    const auth = await caught(client({ auth: bearerAuth('wrong') }).getRegisteredModel('x'));
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth.code).toBe('MLFLOW_UNAUTHENTICATED');
    fake.requireAuthorization(undefined);
    const e = await caught(client({ baseUrl: `${fake.url}/nope` }).getRegisteredModel('x'));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.code).toBe('MLFLOW_HTTP_404');
  });

  it('treats a non-MLflow error body (a gateway) by HTTP status', async () => {
    fake.injectFailure({ path: '/registered-models/get', status: 418, errorCode: '' });
    const e = await caught(client().getRegisteredModel('x'));
    expect(e.code).toBe('MLFLOW_HTTP_418');
    expect(e.retryable).toBe(false);
  });
});

describe('retries, Retry-After and timeouts', () => {
  it('retries 429 honouring Retry-After (seconds) and then succeeds', async () => {
    fake.seedModel('bc-429');
    fake.injectFailure({ path: '/registered-models/get', status: 429, retryAfter: '2', times: 2 });
    const m = await client().getRegisteredModel('bc-429');
    expect(m.name).toBe('bc-429');
    expect(sleeps).toEqual([2000, 2000]);
    expect(fake.requests).toHaveLength(3);
    expect(logs.filter((l) => l.status === 429)).toHaveLength(2);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    fake.seedModel('bc-429d');
    const at = new Date(Date.parse('2030-01-01T00:00:10Z'));
    fake.injectFailure({ path: '/registered-models/get', status: 503, retryAfter: at.toUTCString() });
    await client({ now: () => Date.parse('2030-01-01T00:00:07Z') }).getRegisteredModel('bc-429d');
    expect(sleeps).toEqual([3000]);
  });

  it('does not sleep on a Retry-After beyond the cap: fails retryable with retryAfterMs for a durable timer', async () => {
    fake.injectFailure({ path: '/registered-models/get', status: 429, retryAfter: '3600' });
    const e = await caught(client().getRegisteredModel('x'));
    expect(e).toBeInstanceOf(TransientError);
    expect(e.details).toMatchObject({ retryAfterMs: 3_600_000 });
    expect(sleeps).toEqual([]);
  });

  it('retries a 500 on an idempotent call with bounded exponential backoff', async () => {
    fake.seedModel('bc-500');
    fake.injectFailure({ path: '/registered-models/get', status: 500, times: 3 });
    await client({ retry: { baseDelayMs: 100, maxDelayMs: 300 } }).getRegisteredModel('bc-500');
    expect(sleeps).toEqual([75, 150, 225]);
  });

  it('gives up after maxAttempts with the last typed error', async () => {
    fake.injectFailure({
      path: '/registered-models/get',
      status: 503,
      errorCode: 'TEMPORARILY_UNAVAILABLE',
      times: 10,
    });
    const e = await caught(client({ retry: { maxAttempts: 3 } }).getRegisteredModel('x'));
    expect(e).toBeInstanceOf(TransientError);
    expect(e.code).toBe('MLFLOW_TEMPORARILY_UNAVAILABLE');
    expect(e.details).toMatchObject({ attempts: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a 500 on a non-idempotent POST (webhook creation)', async () => {
    fake.injectFailure({ path: '/webhooks', status: 500 });
    const e = await caught(
      client().createWebhook({
        name: 'once',
        url: `${receiver.url}/x`,
        events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }],
      }),
    );
    expect(e).toBeInstanceOf(TransientError);
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a slow answer per attempt and retries idempotent calls, then fails MLFLOW_TIMEOUT', async () => {
    fake.seedModel('bc-slow');
    fake.setLatency(400);
    const e = await caught(client({ timeoutMs: 50, retry: { maxAttempts: 2 } }).getRegisteredModel('bc-slow'));
    expect(e.code).toBe('MLFLOW_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(sleeps).toHaveLength(1);
  });

  it('reports an unreachable server as retryable MLFLOW_UNREACHABLE', async () => {
    const e = await caught(
      client({ baseUrl: 'http://127.0.0.1:1', retry: { maxAttempts: 2 } }).getRegisteredModel('x'),
    );
    expect(e.code).toBe('MLFLOW_UNREACHABLE');
    expect(e.retryable).toBe(true);
  });
});

describe('authentication', () => {
  it('sends basic auth and bearer tokens and never logs them', async () => {
    fake.seedModel('bc-auth');
    fake.requireAuthorization(`Basic ${Buffer.from('ci:pa55').toString('base64')}`);
    await client({ auth: basicAuth('ci', 'pa55') }).getRegisteredModel('bc-auth');
    fake.requireAuthorization('Bearer dapi-123');
    fake.injectFailure({ status: 429, retryAfter: '0' });
    await client({ auth: bearerAuth(() => 'dapi-123') }).getRegisteredModel('bc-auth');
    expect(JSON.stringify(logs)).not.toMatch(/pa55|dapi-123/);
  });

  it('gets an Entra token for the Azure Databricks scope, caches it, and refreshes once after a 401', async () => {
    fake.seedModel('bc-entra');
    const scopes: string[] = [];
    let n = 0;
    const credential: TokenCredential = {
      getToken: async (scope): Promise<AccessToken> => {
        scopes.push(String(scope));
        n++;
        return { token: `entra-${n}`, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const auth = tokenCredentialAuth(credential);
    fake.requireAuthorization('Bearer entra-1');
    const c = client({ auth });
    await c.getRegisteredModel('bc-entra');
    await c.getRegisteredModel('bc-entra');
    expect(scopes).toEqual([AZURE_DATABRICKS_SCOPE]);
    fake.requireAuthorization('Bearer entra-2');
    await c.getRegisteredModel('bc-entra');
    expect(scopes).toHaveLength(2);
    expect(logs.some((l) => l.status === 401)).toBe(true);
  });

  it('refreshes a cached Entra token 5 minutes before it expires', async () => {
    let t = 0;
    let calls = 0;
    const credential: TokenCredential = {
      getToken: async () => {
        calls++;
        return { token: `tok-${calls}`, expiresOnTimestamp: 10 * 60_000 };
      },
    };
    const auth = tokenCredentialAuth(credential, AZURE_DATABRICKS_SCOPE, { now: () => t });
    expect(await auth.header()).toBe('Bearer tok-1');
    t = 4 * 60_000;
    expect(await auth.header()).toBe('Bearer tok-1');
    t = 5 * 60_000;
    expect(await auth.header()).toBe('Bearer tok-2');
  });
});
