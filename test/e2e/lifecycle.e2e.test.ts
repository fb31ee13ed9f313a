/**
 * The whole loop against a real MLflow 3.17.2 server and the real local host (Azurite, Service Bus emulator, durable
 * engine), with the example project's policy (examples/ml-project/stagecraft.policy.yaml):
 * (a) train.py registers v1 → MLflow's signed webhook → validations (including the evaluate.py job) → challenger →
 *     approval → approved through the API → champion in MLflow, with the promotion record, the approval, the alias
 *     history and the reports in Blob Storage;
 * (b) a webhook registered with a wrong secret is refused (401, a rejected receipt, no run);
 * (d) the delivery the host accepted, delivered again twice byte for byte, starts no second run;
 * (c) a version registered while the host is down (its webhook lost after MLflow's retries) is found by the registry
 *     reconciler after a restart on the same state, promoted once, and becomes champion over v1;
 * (e) MLflow's own signed test delivery is accepted; its model has no policy and nothing in the registry moves;
 * (f) detect_drift.py posts drift → the coordinator starts a retraining run → train.py (a local job) registers v3
 *     tagged with the run id → v3's promotion, compared with champion v2, is linked to the run → approved → champion;
 * (g) a rollback to v2 through the API moves champion back and records it.
 * MLflow's webhooks reach the host through a recording relay (./relay.ts), so the test knows what the host answered.
 * One MLflow server and one state dir for the file; each version is trained once. Fails, never skips, when Python,
 * MLflow or the host cannot start. Needs a build (`pretest:e2e`).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_VENV_DIR,
  EXAMPLE_DIR,
  EXAMPLE_REQUIREMENTS,
  ensureVenv,
  fernetKeyFrom,
  freePort,
  registerWebhook,
  registry,
  signatureMatches,
  startMlflowServer,
  testWebhook,
  warmPython,
  type MlflowServer,
  type Webhook,
  type WarmPython,
} from '../../scripts/mlflow';
import { aliasHistoryFromEnv } from '../../shared/promotion/aliases';
import { getPromotionRecord, listValidations, reportPrefix } from '../../shared/promotion/records';
import { getRollbackRecord } from '../../shared/promotion/rollback';
import type { PromotionRecord } from '../../shared/promotion/types';
import { TableReceiptStore } from '../../shared/records/receipts';
import { storageClients } from '../../shared/records/clients';
import { EVENT_TYPES } from '../../shared/events';
import { joinKey } from '../../shared/events/dedupe';
import { instanceIdFor } from '../../shared/router/instance-id';
import { REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import { forwardableHeaders, startRelay, type Relay, type RelayedDelivery } from './relay';

const MODEL = 'breast-cancer-classifier';
const SECRET = 'e2e-lifecycle-mlflow-secret';
const WRONG_SECRET = 'not-the-configured-secret';
const APPROVER = 'ml-lead@example.com';
const APPROVER_KEY = 'e2e-lifecycle-approver-key-0123456789';
const MASTER_KEY = 'e2e-lifecycle-master-key-0123456789';
const FUNCTION_KEY = 'e2e-lifecycle-function-key-0123456789';
const DRIFT_KEY = 'e2e-lifecycle-drift-key-0123456789';
const TABLE_PREFIX = 'E2eLifecycle';
const REPORTS_CONTAINER = 'e2e-lifecycle-reports';
const COMMIT_V1 = 'e2e1000000000000000000000000000000000001';
const COMMIT_V2 = 'e2e2000000000000000000000000000000000002';
/** MLflow retries a failed delivery this many times (set on the server so the test can wait for the last one). */
const MLFLOW_RETRIES = 3;
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const DF = '/runtime/webhooks/durabletask';

interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  customStatus: Record<string, unknown> | null;
  output: PromotionRecord | null;
}

interface MlflowBody {
  entity?: string;
  action?: string;
  data?: { name?: string; version?: string };
}

const body = (d: RelayedDelivery) => (d.json ?? {}) as MlflowBody;
const eventOf = (d: RelayedDelivery) => `${body(d).entity ?? ''}.${body(d).action ?? ''}`;
const header = (d: RelayedDelivery, name: string) => {
  const v = d.headers[name];
  return typeof v === 'string' ? v : '';
};

const versionCreated = (version: string) => (d: RelayedDelivery) =>
  eventOf(d) === 'model_version.created' && body(d).data?.version === version;

describe('the model lifecycle against a real MLflow server and the local host', () => {
  let python: string;
  let dataDir: string | undefined;
  let mlflow: MlflowServer | undefined;
  let mlflowUrl = '';
  let relay: Relay | undefined;
  let host: HostProcess | undefined;
  /** (c)'s restart, started while MLflow still retries; afterAll stops it even when (c) failed before awaiting it. */
  let restarting: Promise<HostProcess> | undefined;
  let hostPort: number;
  let sbPort: number;
  let signed: Webhook;
  let wrong: Webhook;
  let v1 = '';
  let v1Delivery: RelayedDelivery;
  let v1Instance: InstanceStatus;
  let setupError: Error | undefined;
  /**
   * The three scripts the test itself runs (train.py for v1 and v2, detect_drift.py), each started ahead of its step
   * so that its imports (~2.5 of its ~4 CPU-s) overlap the waits before it instead of lengthening the chain; the run
   * itself is the script as `python <script> ...` runs it (mlflow-server.e2e.test.ts runs each as a plain command).
   */
  const warm = new Map<string, WarmPython>();
  const prewarm = (step: 'train v1' | 'train v2' | 'drift') => {
    let w = warm.get(step);
    if (!w) {
      w = warmPython(step === 'drift' ? 'detect_drift.py' : 'train.py', { MLFLOW_TRACKING_URI: mlflowUrl }, { python });
      warm.set(step, w);
    }
    return w;
  };
  const ready = () => {
    if (setupError) throw setupError;
  };

  const stateDir = () => join(dataDir!, 'stagecraft');
  const hostLog = () => `\n--- host output (last lines) ---\n${host?.logs().slice(-8000) ?? '(no host)'}`;

  async function startHost(reconcilerSchedule: string): Promise<HostProcess> {
    return startHostProcess({
      appDir: REPO_ROOT,
      port: hostPort,
      stateDir: stateDir(),
      readyTimeoutMs: 180_000,
      env: {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        ServiceBusConnection: `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
        MLFLOW_TRACKING_URI: mlflowUrl,
        MLFLOW_WEBHOOK_SECRETS: SECRET,
        // (d) replays a delivery minutes after MLflow signed it; the signature's freshness is not under test here.
        MLFLOW_WEBHOOK_TOLERANCE_SECONDS: '3600',
        STAGECRAFT_POLICY_PATH: join(EXAMPLE_DIR, 'stagecraft.policy.yaml'),
        STAGECRAFT_APPROVER_KEYS: `${APPROVER}=${APPROVER_KEY}`,
        // (g) rolls back as the approver: rollback is an operator action.
        STAGECRAFT_USER_ROLES: `operator=${APPROVER}`,
        STAGECRAFT_MASTER_KEY: MASTER_KEY,
        STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY,
        DRIFT_WEBHOOK_KEYS: DRIFT_KEY,
        STAGECRAFT_PUBLIC_URL: `http://127.0.0.1:${hostPort}`,
        STAGECRAFT_JOBS_DIR: join(dataDir!, 'jobs'),
        RECORDS_TABLE_PREFIX: TABLE_PREFIX,
        REPORTS_CONTAINER,
        RECONCILER_MODELS: MODEL,
        RECONCILER_SCHEDULE: reconcilerSchedule,
      },
    });
  }

  /** The settings the app's records code reads, aimed at the Azurite the (current) host started. */
  function recordsEnv(): Record<string, string> {
    const logs = host!.logs();
    const port = (service: 'blob' | 'table') => {
      const all = [...logs.matchAll(new RegExp(`${service}=http://127\\.0\\.0\\.1:(\\d+)`, 'g'))];
      const m = all.at(-1);
      if (!m) throw new Error(`Azurite ${service} port not in the host output${hostLog()}`);
      return m[1]!;
    };
    return {
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port('blob')}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${port('table')}/devstoreaccount1;`,
      RECORDS_TABLE_PREFIX: TABLE_PREFIX,
      REPORTS_CONTAINER,
    };
  }

  function receipts(): TableReceiptStore {
    const clients = storageClients({
      kind: 'connectionString',
      connectionString: recordsEnv()['AzureWebJobsStorage']!,
    });
    return new TableReceiptStore((name) => clients.tableClient(name), TABLE_PREFIX);
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined && v !== false) return v;
      } catch (e) {
        lastError = e;
      }
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}${hostLog()}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function api(
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${host!.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-stagecraft-key': APPROVER_KEY },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  async function instance(id: string): Promise<InstanceStatus | undefined> {
    const res = await fetch(`${host!.baseUrl}${DF}/instances/${encodeURIComponent(id)}?code=${MASTER_KEY}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`instance ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as InstanceStatus;
  }

  async function instances(prefix: string): Promise<InstanceStatus[]> {
    const res = await fetch(
      `${host!.baseUrl}${DF}/instances?instanceIdPrefix=${encodeURIComponent(prefix)}&code=${MASTER_KEY}`,
    );
    if (!res.ok) throw new Error(`instances ${prefix}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as InstanceStatus[]).sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  /** modelPromotion instances only (its checks and deploy step run as sub-orchestrations `<id>:check:…`, `<id>:deploy`). */
  async function promotions(prefix = 'promotion:'): Promise<InstanceStatus[]> {
    return (await instances(prefix)).filter((i) => i.name === 'modelPromotion');
  }

  const aliasOf = async (alias: string) =>
    registry.getByAlias(mlflowUrl, MODEL, alias).then(
      (v) => v.version,
      () => undefined,
    );

  async function pendingApproval(version: string): Promise<Record<string, unknown>> {
    return until(`a pending approval for v${version}`, async () => {
      const r = await api('GET', `/api/approvals?status=pending&model=${encodeURIComponent(MODEL)}`);
      return ((r.json['approvals'] ?? []) as Record<string, unknown>[]).find((a) => a['version'] === version);
    });
  }

  async function completed(id: string): Promise<InstanceStatus> {
    return until(
      `${id} to complete`,
      async () => {
        const s = await instance(id);
        if (s && ['Failed', 'Terminated'].includes(s.runtimeStatus))
          throw new Error(`${id} ended ${s.runtimeStatus}: ${JSON.stringify(s.output ?? s.customStatus)}`);
        return s?.runtimeStatus === 'Completed' ? s : undefined;
      },
      240_000,
    );
  }

  beforeAll(async () => {
    try {
      python = (await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS)).python;
      dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-e2e-lifecycle-'));
      hostPort = await freePort();
      sbPort = await freePort();
      mlflowUrl = `http://127.0.0.1:${await freePort()}`;
      prewarm('train v1');
      relay = await startRelay(`http://127.0.0.1:${hostPort}`);
      // MLflow and the host start side by side: the host only needs MLflow's address until the first delivery.
      // Daily (and no runOnStartup): the reconciler does not tick during (a), (b) and (d).
      const [m, h] = await Promise.allSettled([
        startMlflowServer({
          port: Number(new URL(mlflowUrl).port),
          dataDir: join(dataDir, 'mlflow'),
          webhookSecretKey: fernetKeyFrom('stagecraft-e2e-lifecycle'),
          python,
          env: { MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES: String(MLFLOW_RETRIES) },
        }),
        startHost('0 0 0 * * *'),
      ]);
      // Whatever started is kept for afterAll to stop, even when the other failed.
      if (m.status === 'fulfilled') mlflow = m.value;
      if (h.status === 'fulfilled') host = h.value;
      if (m.status === 'rejected') throw m.reason;
      if (h.status === 'rejected') throw h.reason;
      const target = `${relay.url}/api/webhooks/mlflow`;
      signed = await registerWebhook(mlflowUrl, { name: 'stagecraft', targetUrl: target, secret: SECRET });
      wrong = await registerWebhook(mlflowUrl, {
        name: 'stagecraft-wrong-secret',
        targetUrl: target,
        secret: WRONG_SECRET,
        events: ['model_version.created'],
      });
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  });

  afterAll(async () => {
    for (const w of warm.values()) await w.stop();
    const restarted = await restarting?.catch(() => undefined);
    for (const h of new Set([host, restarted])) await h?.stop();
    await relay?.stop();
    await mlflow?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('(a) train.py v1 → signed webhook → validations → approval → approved via the API → champion, all recorded', async () => {
    ready();
    expect(signed.events).toHaveLength(6);
    const trained = await prewarm('train v1').run(['--git-commit', COMMIT_V1, '--reason', 'e2e']);
    expect(trained.code, trained.stderr).toBe(0);
    v1 = String(trained.result?.['version']);
    expect(v1).toBe('1');
    const id = instanceIdFor('promotion', MODEL, v1);

    // MLflow's own signed delivery reached the host, which accepted it and published one event.
    v1Delivery = await relay!.waitFor((d) => versionCreated(v1)(d) && signatureMatches(SECRET, d));
    expect(v1Delivery.status, v1Delivery.response).toBe(202);
    expect(JSON.parse(v1Delivery.response)).toMatchObject({ status: 'accepted', eventIds: [expect.any(String)] });

    // Validations pass (the holdout check runs evaluate.py through the local job runner), v1 becomes challenger,
    // and the orchestration asks the policy's approver.
    await until('challenger = v1 in MLflow', async () => (await aliasOf('challenger')) === v1);
    const approval = await pendingApproval(v1);
    expect(approval).toMatchObject({
      model: MODEL,
      version: v1,
      status: 'pending',
      instanceId: id,
      approvers: { users: [APPROVER] },
    });
    expect(await aliasOf('champion')).toBeUndefined();

    const decision = await api('POST', `/api/approvals/${String(approval['id'])}/decision`, {
      decision: 'approve',
      comment: 'e2e: looks good',
    });
    expect(decision.status, JSON.stringify(decision.json)).toBe(200);
    expect(decision.json).toMatchObject({ accepted: true });
    prewarm('train v2');

    v1Instance = await completed(id);
    expect(v1Instance.name).toBe('modelPromotion');
    expect(v1Instance.output).toMatchObject({ outcome: 'promoted', model: MODEL, version: v1 });

    // MLflow's own state: champion is v1, the challenger alias was cleared, the tags train.py set are there.
    const mv = await registry.getVersion(mlflowUrl, MODEL, v1);
    expect(mv.aliases).toEqual(['champion']);
    expect(Object.fromEntries(mv.tags.map((t) => [t.key, t.value]))).toMatchObject({ git_commit: COMMIT_V1 });
    expect(await aliasOf('challenger')).toBeUndefined();

    // Stagecraft's records, read from the host's Azurite.
    const env = recordsEnv();
    const validations = await listValidations(id, env);
    const byCheck = Object.fromEntries(validations.map((v) => [v.checkId, v]));
    expect(Object.keys(byCheck).sort()).toEqual([
      'description',
      'holdout',
      'input-example',
      'quality',
      'required-tags',
      'signature',
      'vs-champion',
    ]);
    for (const check of ['required-tags', 'signature', 'quality', 'holdout'])
      expect(byCheck[check], check).toMatchObject({ status: 'passed', model: MODEL, version: v1 });
    expect(byCheck['holdout']!.details['job']).toMatchObject({ state: 'SUCCEEDED' });

    const record = await getPromotionRecord(MODEL, id, env);
    expect(record).toMatchObject({
      outcome: 'promoted',
      version: v1,
      gitCommit: COMMIT_V1,
      previousChampion: null,
      deploy: { action: 'batch-scoring', state: 'SUCCEEDED' },
    });
    expect(record!.validations).toHaveLength(7);
    expect(record!.approval).toMatchObject({
      status: 'approved',
      required: true,
      votes: [{ approver: APPROVER, verdict: 'approve', comment: 'e2e: looks good' }],
    });
    expect(record!.aliasChanges?.map((c) => [c.alias, c.before, c.after])).toEqual([
      ['challenger', null, v1],
      ['champion', null, v1],
      ['challenger', v1, null],
    ]);

    const stored = await api('GET', `/api/approvals/${String(approval['id'])}`);
    expect(stored.status).toBe(200);
    expect(stored.json['approval']).toMatchObject({
      status: 'approved',
      version: v1,
      votes: [{ approver: APPROVER, verdict: 'approve' }],
    });

    const history = (await aliasHistoryFromEnv(env).list(MODEL)).filter((r) => r.instanceId === id);
    expect(history.map((r) => [r.step, r.alias, r.before, r.after])).toEqual([
      ['challenger', 'challenger', null, v1],
      ['champion', 'champion', null, v1],
      ['challenger-cleared', 'challenger', v1, null],
    ]);

    // The validation report in Blob Storage: JSON, HTML and JUnit XML under <model>/<version>/<instance>/.
    const container = BlobServiceClient.fromConnectionString(env['AzureWebJobsStorage']!).getContainerClient(
      REPORTS_CONTAINER,
    );
    const prefix = reportPrefix(MODEL, v1, id);
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
    expect(names.sort()).toEqual([`${prefix}/junit.xml`, `${prefix}/report.html`, `${prefix}/report.json`]);
    const report = JSON.parse(
      (await container.getBlobClient(`${prefix}/report.json`).downloadToBuffer()).toString('utf8'),
    ) as Record<string, unknown>;
    expect(report).toMatchObject({ model: MODEL, version: v1, instanceId: id });
    // The record links the same blob (its name holds `%3A`, so the URL spells it `%253A`).
    expect(decodeURIComponent(new URL(record!.report!.json).pathname)).toBe(
      `/devstoreaccount1/${REPORTS_CONTAINER}/${prefix}/report.json`,
    );
  });

  it('(b) a webhook signed with a secret the host does not know is refused: 401, a rejected receipt, no run', async () => {
    ready();
    // The wrong-secret webhook's copy of v1's model_version.created.
    const refused = await relay!.waitFor((d) => versionCreated(v1)(d) && signatureMatches(WRONG_SECRET, d));
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.response)).toMatchObject({ status: 'rejected', code: 'INTAKE_SIGNATURE_INVALID' });
    expect(refused.response).not.toContain(WRONG_SECRET);

    // MLflow's test delivery through the same webhook: model "example_model", which no run may ever start for.
    const test = await testWebhook(mlflowUrl, wrong.webhook_id, 'model_version.created');
    expect(test.success).toBe(false);
    expect(test.response_status).toBe(401);

    const mlflowReceipts = await until(
      'the rejected receipts',
      async () => {
        const list = await receipts().listReceipts('mlflow');
        return list.filter((r) => r.outcome === 'rejected').length >= 2 ? list : undefined;
      },
      30_000,
    );
    // A refused delivery is matched by its body's hash (its delivery id header is recorded, but unverified).
    const sha256 = (d: RelayedDelivery) => createHash('sha256').update(d.rawBody).digest('hex');
    expect(mlflowReceipts.filter((r) => r.bodySha256 === sha256(refused))).toEqual([
      expect.objectContaining({ outcome: 'rejected', httpStatus: 401, code: 'INTAKE_SIGNATURE_INVALID', eventIds: [] }),
    ]);
    expect(mlflowReceipts.filter((r) => r.deliveryId === header(v1Delivery, 'x-mlflow-delivery-id'))).toEqual([
      expect.objectContaining({ outcome: 'accepted', httpStatus: 202, bodySha256: sha256(v1Delivery) }),
    ]);
    expect(JSON.stringify(mlflowReceipts)).not.toContain(WRONG_SECRET);

    expect(await instances('promotion:example_model')).toEqual([]);
    expect((await promotions()).map((i) => i.instanceId)).toEqual([instanceIdFor('promotion', MODEL, v1)]);
  });

  it('(d) the accepted v1 delivery, delivered twice more byte for byte, is recorded as a duplicate and starts no second run', async () => {
    ready();
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${host!.baseUrl}${v1Delivery.path}`, {
        method: 'POST',
        headers: forwardableHeaders(v1Delivery.headers),
        body: v1Delivery.rawBody,
      });
      answers.push({ status: res.status, json: (await res.json()) as Record<string, unknown> });
    }
    const first = JSON.parse(v1Delivery.response) as { eventIds: string[] };
    expect(answers.map((a) => [a.status, a.json['status']])).toEqual([
      [202, 'duplicate'],
      [202, 'duplicate'],
    ]);

    const deliveryId = header(v1Delivery, 'x-mlflow-delivery-id');
    const forDelivery = await until(
      'two duplicate receipts',
      async () => {
        const list = (await receipts().listReceipts('mlflow')).filter((r) => r.deliveryId === deliveryId);
        return list.filter((r) => r.outcome === 'duplicate').length === 2 ? list : undefined;
      },
      30_000,
    );
    const accepted = forDelivery.filter((r) => r.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    for (const dup of forDelivery.filter((r) => r.outcome === 'duplicate'))
      expect(dup.firstReceiptId).toBe(accepted[0]!.receiptId);
    expect(accepted[0]!.eventIds).toEqual(first.eventIds);
    expect(first.eventIds).toEqual([joinKey(EVENT_TYPES.modelVersionCreated, MODEL, v1)]);

    // Still one run of v1: the same instance, not restarted.
    const all = await promotions();
    expect(all.map((i) => i.instanceId)).toEqual([v1Instance.instanceId]);
    expect(all[0]).toMatchObject({ runtimeStatus: 'Completed', createdTime: v1Instance.createdTime });
  });

  it('(c) a version registered while the host is down is promoted once, by the reconciler after a restart on the same state', async () => {
    ready();
    prewarm('drift');
    expect(await host!.stop()).toBe(0);
    // From now until MLflow has given up on v2, nothing reaches the host, whether or not it is up again.
    relay!.reachable = false;

    const v2 = '2';
    const id = instanceIdFor('promotion', MODEL, v2);
    const training = prewarm('train v2').run(['--git-commit', COMMIT_V2, '--reason', 'e2e']);
    // Once MLflow has tried to deliver v2, the version was registered while the host was down: the host restarts
    // while MLflow retries (same port, same state dir: durable store, Service Bus, Azurite); the reconciler now ticks
    // every second.
    const attempted = relay!.waitFor(versionCreated(v2), 120_000).then(
      () => true,
      () => false,
    );
    await Promise.race([attempted, training]);
    restarting = startHost('* * * * * *');
    const trained = await training;
    expect(trained.code, trained.stderr).toBe(0);
    expect(String(trained.result?.['version'])).toBe(v2);

    // MLflow tried the delivery and every retry while the host was unreachable (the relay's 503 asks for a retry after
    // 1 s, which MLflow honours instead of its longer backoff); the webhook is lost. Both webhooks are subscribed to
    // model_version.created, so the relay waits for the wrong-secret one's retries too before it forwards again.
    const attempts = () => relay!.deliveries.filter((d) => versionCreated(v2)(d) && signatureMatches(SECRET, d));
    await until(
      `MLflow's ${1 + MLFLOW_RETRIES} attempts to deliver v2 to each webhook`,
      async () => relay!.deliveries.filter(versionCreated(v2)).length >= 2 * (1 + MLFLOW_RETRIES),
      90_000,
    );
    expect(attempts().map((d) => d.status)).toEqual(Array<number>(1 + MLFLOW_RETRIES).fill(503));
    expect(new Set(attempts().map((d) => header(d, 'x-mlflow-delivery-id'))).size).toBe(1);
    relay!.reachable = true;

    host = await restarting;
    await until(`${id} to start`, async () => (await instance(id)) !== undefined, 120_000);
    const started = (await instance(id))!;

    // The reconciler published v2's event (the same id a webhook would have carried), once: its watermark moved on.
    const v2Event = joinKey(EVENT_TYPES.modelVersionCreated, MODEL, v2);
    const polled = await until(
      'the reconciler receipt of v2',
      async () => {
        const list = (await receipts().listReceipts('reconciler')).filter((r) => r.eventIds.includes(v2Event));
        return list.length > 0 ? list : undefined;
      },
      30_000,
    );
    expect(polled).toEqual([
      expect.objectContaining({ outcome: 'accepted', eventTypes: [EVENT_TYPES.modelVersionCreated] }),
    ]);
    // With no watermark yet, the same tick re-published v1 too (same event id as its webhook): no second run of v1.
    expect((await receipts().listReceipts('reconciler')).flatMap((r) => r.eventIds)).toContain(
      joinKey(EVENT_TYPES.modelVersionCreated, MODEL, v1),
    );
    // The webhook path never delivered v2: the host has no receipt of MLflow's (lost) delivery.
    const v2Attempt = header(attempts()[0]!, 'x-mlflow-delivery-id');
    expect((await receipts().listReceipts('mlflow')).filter((r) => r.deliveryId === v2Attempt)).toEqual([]);

    await until('challenger = v2 in MLflow', async () => (await aliasOf('challenger')) === v2, 240_000);
    const approval = await pendingApproval(v2);
    expect(approval).toMatchObject({ version: v2, instanceId: id, status: 'pending' });
    expect(await aliasOf('champion')).toBe(v1);
    const decision = await api('POST', `/api/approvals/${String(approval['id'])}/decision`, {
      decision: 'approve',
      comment: 'e2e: v2',
    });
    expect(decision.status, JSON.stringify(decision.json)).toBe(200);

    const done = await completed(id);
    expect(done.output).toMatchObject({ outcome: 'promoted', version: v2, gitCommit: COMMIT_V2, previousChampion: v1 });
    expect(done.createdTime).toBe(started.createdTime);
    expect(await aliasOf('champion')).toBe(v2);
    expect((await registry.getVersion(mlflowUrl, MODEL, v1)).aliases).toEqual([]);

    const record = await getPromotionRecord(MODEL, id, recordsEnv());
    const vsChampion = record!.validations.find((v) => v.id === 'vs-champion');
    expect(vsChampion).toMatchObject({ status: 'passed', champion: { championVersion: v1 } });
    const history = (await aliasHistoryFromEnv(recordsEnv()).list(MODEL)).filter(
      (r) => r.instanceId === id && r.alias === 'champion',
    );
    expect(history.map((r) => [r.before, r.after])).toEqual([[v1, v2]]);

    // Exactly one promotion per version, and v2 polled once, after many reconciler ticks.
    expect((await receipts().listReceipts('reconciler')).filter((r) => r.eventIds.includes(v2Event))).toHaveLength(1);
    expect((await promotions()).map((i) => [i.instanceId, i.runtimeStatus])).toEqual([
      [instanceIdFor('promotion', MODEL, v1), 'Completed'],
      [id, 'Completed'],
    ]);
  });

  it("(e) MLflow's own test delivery through the signed webhook is accepted, and a model without a policy is left alone", async () => {
    ready();
    // The fixed example payload: model_version.created for `example_model` version 1, which the policy does not name.
    const r = await testWebhook(mlflowUrl, signed.webhook_id, 'model_version.created');
    expect(r.response_status).toBe(202);
    expect(JSON.parse(r.response_body ?? '{}')).toMatchObject({
      status: 'accepted',
      eventIds: [joinKey(EVENT_TYPES.modelVersionCreated, 'example_model', '1')],
    });
    const done = await completed(instanceIdFor('promotion', 'example_model', '1'));
    expect(done.output).toMatchObject({ outcome: 'no-policy', model: 'example_model', version: '1' });
    expect(await aliasOf('champion')).toBe('2');
  });

  it('(f) drift → retraining run → train.py registers v3 tagged with the run → v3 promoted over v2, linked to the run', async () => {
    ready();
    const runsApi = async (path: string) => {
      const res = await fetch(`${host!.baseUrl}${path}`, { headers: { 'x-functions-key': FUNCTION_KEY } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const drift = await prewarm('drift').run([
      '--shift',
      '0.5',
      '--stagecraft-url',
      host!.baseUrl,
      '--stagecraft-key',
      DRIFT_KEY,
      '--functions-key',
      FUNCTION_KEY,
    ]);
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.result).toMatchObject({ drifted: true, stagecraft_status: 202 });

    const run = await until(
      'a retraining run',
      async () =>
        (
          (await runsApi(`/api/runs?workflow=retrain&model=${encodeURIComponent(MODEL)}`))['runs'] as Array<
            Record<string, unknown>
          >
        )[0],
      120_000,
    );
    const runId = String(run['id']);
    const v3 = '3';
    const id = instanceIdFor('promotion', MODEL, v3);
    // The training job (train.py through the local runner) registers v3 with the run's id as a tag.
    const mv = await until(
      'v3 in MLflow',
      () => registry.getVersion(mlflowUrl, MODEL, v3).catch(() => undefined),
      240_000,
    );
    expect(Object.fromEntries(mv.tags.map((t) => [t.key, t.value]))).toMatchObject({
      'stagecraft.retraining_run_id': runId,
    });

    await until('challenger = v3 in MLflow', async () => (await aliasOf('challenger')) === v3, 240_000);
    const approval = await pendingApproval(v3);
    expect(approval).toMatchObject({ version: v3, instanceId: id });
    const decision = await api('POST', `/api/approvals/${String(approval['id'])}/decision`, {
      decision: 'approve',
      comment: 'e2e: retrained',
    });
    expect(decision.status, JSON.stringify(decision.json)).toBe(200);
    const done = await completed(id);
    expect(done.output).toMatchObject({
      outcome: 'promoted',
      version: v3,
      previousChampion: '2',
      retrainingRun: runId,
    });
    expect(await aliasOf('champion')).toBe(v3);

    const record = await getPromotionRecord(MODEL, id, recordsEnv());
    expect(record).toMatchObject({ retrainingRun: runId });
    expect(record!.validations.find((v) => v.id === 'vs-champion')).toMatchObject({
      status: 'passed',
      champion: { championVersion: '2' },
    });
    // The retraining run names what it produced.
    const detail = await until(
      'the run links to v3 and its promotion',
      async () => {
        const d = await runsApi(`/api/runs/${encodeURIComponent(runId)}`);
        const links = (d['links'] ?? []) as Array<{ rel: string; id: string }>;
        return links.some((l) => l.id.includes(id)) ? d : undefined;
      },
      60_000,
    );
    expect(JSON.stringify(detail['links'])).toContain(`${MODEL}/3`);
  });

  it('(g) a rollback to v2 through the API moves champion back in MLflow and records what changed', async () => {
    ready();
    const r = await api('POST', `/api/models/${encodeURIComponent(MODEL)}/rollback`, {
      toVersion: '2',
      reason: 'e2e: roll back',
      requestId: 'e2e-rollback-1',
    });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    const instanceId = String(r.json['instanceId']);
    await until('champion = v2 again', async () => (await aliasOf('champion')) === '2', 240_000);
    const record = await until(
      'the rollback record',
      () => getRollbackRecord(MODEL, instanceId, recordsEnv()),
      240_000,
    );
    expect(record).toMatchObject({ model: MODEL, fromVersion: '3', toVersion: '2' });
    expect(record.changes.map((c) => [c.alias, c.before, c.after])).toContainEqual(['champion', '3', '2']);
    // The same request again is the same rollback, not a second one.
    const again = await api('POST', `/api/models/${encodeURIComponent(MODEL)}/rollback`, {
      toVersion: '2',
      reason: 'e2e: roll back',
      requestId: 'e2e-rollback-1',
    });
    expect(again.json['instanceId']).toBe(instanceId);
  });
});
