/**
 * Real MLflow 3.17.2 → Stagecraft's local host: MLflow's own signed webhook deliveries reach the MLflow intake
 * endpoint, a wrong secret is refused, and a version registered by the example's train.py starts the promotion
 * orchestration of exactly that version. Needs a build (`npm run build`; `pretest:e2e`). Fails, never skips, when
 * Python, MLflow or the host cannot start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_VENV_DIR,
  EXAMPLE_DIR,
  EXAMPLE_REQUIREMENTS,
  ensureVenv,
  fernetKeyFrom,
  freePort,
  registerWebhook,
  runPython,
  startMlflowServer,
  testWebhook,
  type MlflowServer,
  type Webhook,
} from '../../scripts/mlflow';
import { instanceIdFor } from '../../shared/router/instance-id';
import { REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';

const MODEL = 'breast-cancer-classifier';
const SECRET = 'e2e-intake-mlflow-secret';

describe('real MLflow webhooks into the Stagecraft host', () => {
  let python: string;
  let dataDir: string | undefined;
  let mlflow: MlflowServer | undefined;
  let host: HostProcess | undefined;
  let signed: Webhook;
  let wrong: Webhook;
  let setupError: Error | undefined;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      python = (await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS)).python;
      dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-e2e-intake-'));
      mlflow = await startMlflowServer({ dataDir: join(dataDir, 'mlflow'), webhookSecretKey: fernetKeyFrom('stagecraft-e2e-intake'), python });
      host = await startHostProcess({
        appDir: REPO_ROOT,
        stateDir: join(dataDir, 'stagecraft'),
        readyTimeoutMs: 180_000,
        env: {
          // Another suite may hold the emulator's default port 5672.
          ServiceBusConnection: `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
          MLFLOW_TRACKING_URI: mlflow.url,
          MLFLOW_WEBHOOK_SECRETS: SECRET,
          STAGECRAFT_POLICY_PATH: join(EXAMPLE_DIR, 'stagecraft.policy.yaml'),
        },
      });
      const target = `${host.baseUrl}/api/webhooks/mlflow`;
      signed = await registerWebhook(mlflow.url, { name: 'stagecraft', targetUrl: target, secret: SECRET });
      wrong = await registerWebhook(mlflow.url, { name: 'stagecraft-wrong-secret', targetUrl: target, secret: 'not-the-configured-secret', events: ['model_version.created'] });
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  });

  afterAll(async () => {
    await host?.stop();
    await mlflow?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("accepts MLflow's signed test delivery (202, accepted, one event)", async () => {
    ready();
    const r = await testWebhook(mlflow!.url, signed.webhook_id, 'model_version.created');
    expect(r.response_status).toBe(202);
    expect(JSON.parse(r.response_body ?? '{}')).toMatchObject({ status: 'accepted', eventIds: [expect.any(String)] });
  });

  it('refuses a delivery signed with a secret it does not know (401 INTAKE_SIGNATURE_INVALID)', async () => {
    ready();
    const r = await testWebhook(mlflow!.url, wrong.webhook_id, 'model_version.created');
    expect(r.success).toBe(false);
    expect(r.response_status).toBe(401);
    expect(JSON.parse(r.response_body ?? '{}')).toMatchObject({ status: 'rejected', code: 'INTAKE_SIGNATURE_INVALID' });
  });

  it('starts the promotion orchestration of the version train.py registers', async () => {
    ready();
    const r = await runPython('train.py', ['--git-commit', 'e2e0000000000000000000000000000000000001', '--reason', 'e2e'], { MLFLOW_TRACKING_URI: mlflow!.url }, { python });
    expect(r.code, r.stderr).toBe(0);
    const version = String(r.result?.['version']);
    await host!.waitForLog(instanceIdFor('promotion', MODEL, version), 120_000);
  });
});
