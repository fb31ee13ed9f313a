/**
 * The registry contract Stagecraft's MLflow client relies on (test/adapters/mlflow-contract.ts), run against a real
 * MLflow 3.17.2 server: the same suite passes against the HTTP fake in `npm test`, so the fake cannot drift from
 * MLflow. A setup failure (no Python, no MLflow) makes every contract test fail with its cause.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, ensureVenv, fernetKeyFrom, startMlflowServer, type MlflowServer } from '../../scripts/mlflow';
import { mlflowContract, type ContractTarget } from '../adapters/mlflow-contract';

let server: MlflowServer | undefined;
let dataDir: string | undefined;
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    const { python } = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS);
    dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-e2e-contract-'));
    server = await startMlflowServer({ dataDir, webhookSecretKey: fernetKeyFrom('stagecraft-e2e-contract'), python });
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

mlflowContract('real MLflow 3.17.2 server', (): ContractTarget => {
  if (setupError) throw setupError;
  if (!server) throw new Error('MLflow server not started');
  const s = server;
  return { url: s.url, close: () => s.stop() };
});
