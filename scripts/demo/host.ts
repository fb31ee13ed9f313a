/**
 * Starts Stagecraft's local host (`node bin/stagecraft.js start`) as a tracked process group, configured for the demo,
 * and waits for `Host started`. Needs a build (`npm run build`) so that dist/ holds the app.
 *
 * DRAFT: the settings below are the names the app reads today (shared/config/settings.ts, shared/promotion/env.ts,
 * shared/approvals/settings.ts, devhost/http/keys.ts); the lead folds them into shared/config.
 */
import { join } from 'node:path';
import { freePort, REPO_ROOT, spawnTracked, stopGroup } from '../mlflow';

export interface DemoHostOptions {
  port: number;
  stateDir: string;
  mlflowUrl: string;
  webhookSecret: string;
  driftKey: string;
  functionKey: string;
  approver: { user: string; key: string };
  policyPath: string;
}

export interface DemoHost {
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startDemoHost(o: DemoHostOptions, readyTimeoutMs = 180_000): Promise<DemoHost> {
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawnTracked(process.execPath, [join(REPO_ROOT, 'bin', 'stagecraft.js'), 'start', '--app', REPO_ROOT, '--port', String(o.port), '--state', o.stateDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // The embedded Service Bus emulator on a free port: 5672 may be taken by another host or a test run.
      ServiceBusConnection: `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
      MLFLOW_TRACKING_URI: o.mlflowUrl,
      MLFLOW_WEBHOOK_SECRETS: o.webhookSecret,
      DRIFT_WEBHOOK_KEYS: o.driftKey,
      STAGECRAFT_FUNCTION_KEY: o.functionKey,
      STAGECRAFT_POLICY_PATH: o.policyPath,
      STAGECRAFT_APPROVER_KEYS: `${o.approver.user}=${o.approver.key}`,
      STAGECRAFT_PUBLIC_URL: url,
    },
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const deadline = Date.now() + readyTimeoutMs;
  while (!output.includes('Host started')) {
    if (child.exitCode !== null) throw new Error(`Stagecraft host exited (${child.exitCode}) before it started:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`Stagecraft host did not start in ${readyTimeoutMs / 1000}s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  let stopped: Promise<void> | undefined;
  return { url, logs: () => output, stop: () => (stopped ??= stopGroup(child).then(() => undefined)) };
}
