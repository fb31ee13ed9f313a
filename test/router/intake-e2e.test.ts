/**
 * Issue 5's end-to-end proof, through the real local host (Azurite, Service Bus emulator, durable engine):
 * a signed MLflow webhook delivered three times (MLflow retries resend the same delivery) plus a reconciler poll
 * that sees the same model version start exactly one orchestration and leave four receipts.
 */
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMlflowDelivery, signedVersionCreated, startFakeMlflow, type FakeMlflow } from '../fakes';
import { freePort, REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import { sharedStorage, type AzuriteHandle } from '../records/azurite';

const SECRET = 'e2e-mlflow-secret';

let mlflow: FakeMlflow;
let host: HostProcess;
let storage: AzuriteHandle;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}\n--- host log ---\n${host.logs().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  mlflow = await startFakeMlflow();
  storage = await sharedStorage();
  const sbPort = await freePort();
  host = await startHostProcess({
    appDir: REPO_ROOT,
    env: {
      AzureWebJobsStorage: storage.connectionString,
      ServiceBusConnection: `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
      ServiceBusTopicName: 'stagecraft-events',
      MLFLOW_WEBHOOK_SECRETS: SECRET,
      MLFLOW_TRACKING_URI: mlflow.url,
      RECONCILER_MODELS: 'churn',
      // Every 3 s, and not at start-up before the webhooks below.
      RECONCILER_SCHEDULE: '*/3 * * * * *',
      RECORDS_TABLE_PREFIX: 'E2e',
      REPORTS_CONTAINER: 'e2e-reports',
      STAGECRAFT_MASTER_KEY: 'e2e-master-key',
    },
    readyTimeoutMs: 90_000,
  });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await mlflow?.close();
});

describe('event intake end to end', () => {
  it('starts one orchestration for one model version seen by a retried webhook and the reconciler, with four receipts', async () => {
    mlflow.seedModel('churn');
    const mv = mlflow.seedVersion('churn', { runId: 'run-1', tags: { git_commit: 'abc123' } });

    // One MLflow delivery, sent three times as MLflow's retry loop does: same id, timestamp, body and signature.
    const delivery = signedVersionCreated(SECRET, {
      name: 'churn',
      version: mv.version,
      runId: 'run-1',
      source: mv.source,
      tags: { git_commit: 'abc123' },
    });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await postMlflowDelivery(host.baseUrl, delivery);
      answers.push({ status: res.status, body: (await res.json()) as { status: string; eventIds?: string[] } });
    }
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers[0]!.body.status).toBe('accepted');
    expect(answers.slice(1).map((a) => a.body.status)).toEqual(['duplicate', 'duplicate']);

    const receipts = TableClient.fromConnectionString(storage.connectionString, 'E2eReceipts', {
      allowInsecureConnection: true,
    });
    const all = await until('the reconciler receipt', async () => {
      const list: { source: string; outcome: string }[] = [];
      for await (const e of receipts.listEntities<{ source: string; outcome: string }>()) list.push(e);
      return list.some((r) => r.source === 'reconciler') ? list : undefined;
    });
    expect(all).toHaveLength(4);
    expect(
      all
        .filter((r) => r.source === 'mlflow')
        .map((r) => r.outcome)
        .sort(),
    ).toEqual(['accepted', 'duplicate', 'duplicate']);

    const listUrl = `${host.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=${encodeURIComponent('promotion:churn:')}&code=e2e-master-key`;
    const instances = await until('the promotion instance', async () => {
      const list = (await (await fetch(listUrl)).json()) as { instanceId: string; name: string }[];
      return list.length > 0 ? list : undefined;
    });
    // The reconciler's event carries the same message id as the webhook's: Service Bus duplicate detection drops it,
    // or the router finds the instance and records a duplicate. Either way no second instance may appear; watch a
    // while (several reconciler ticks) to give a second start every chance to show up.
    for (let i = 0; i < 12; i++) {
      const list = (await (await fetch(listUrl)).json()) as { instanceId: string }[];
      expect(list).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 500));
    }
    const after = (await (await fetch(listUrl)).json()) as { instanceId: string; name: string }[];
    expect(instances.map((i) => i.instanceId)).toEqual([`promotion:churn:${mv.version}`]);
    expect(after.map((i) => i.instanceId)).toEqual([`promotion:churn:${mv.version}`]);
    expect(after[0]!.name).toBe('modelPromotion');
  }, 120_000);
});
