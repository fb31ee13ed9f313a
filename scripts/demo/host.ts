/**
 * Starts Stagecraft's local host (`node bin/stagecraft.js start`) as a tracked process group, configured for the demo,
 * and waits for `Host started`. Needs a build (`npm run build`, the `predemo` script) so that dist/ holds the app.
 *
 * Every setting the demo depends on is passed as an environment variable, which wins over local.settings.json
 * (a fresh clone has none; `npm start` creates it, the demo does not): the Values of local.settings.sample.json as the
 * base (topic name, reconciler schedule, ...), then the caller's environment, then the demo's own settings. Storage
 * is the host's own Azurite, the Service Bus emulator gets a free port, and the
 * local job runner keeps its state in the demo's state dir (the host's default too; set explicitly so the demo's
 * summary can point at it).
 */
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
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
  /** HMAC key for one-click approval links (STAGECRAFT_APPROVAL_LINK_SECRETS). */
  linkSecret: string;
  policyPath: string;
  /** Extra settings (the local serving runner's). */
  extraEnv?: Record<string, string>;
}

export interface DemoHost {
  url: string;
  stateDir: string;
  /** Everything the host printed (`<stateDir>/host.log`). */
  logFile: string;
  logs(): string;
  /**
   * The settings the app's records code reads (shared/approvals/storage.ts), aimed at the Azurite this host started
   * (its ports are in the host's start-up output).
   */
  storageEnv(): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Stops the jobs the host's local job runner started that are still running. Each job runs under a detached
 * supervisor (its own process group, so that a job outlives a host restart); the demo ends them with itself.
 * Synchronous, so it can run in a process 'exit' handler.
 */
export function stopLocalJobs(stateDir: string): number {
  const dir = join(stateDir, 'jobs');
  let stopped = 0;
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^local-[0-9a-f]+\.json$/.test(f));
  } catch {
    return 0;
  }
  for (const f of files) {
    try {
      const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid?: unknown; state?: unknown };
      if (typeof rec.pid !== 'number' || (rec.state !== 'RUNNING' && rec.state !== 'PENDING')) continue;
      process.kill(-rec.pid, 'SIGKILL');
      stopped++;
    } catch {
      // unreadable record or the group is already gone
    }
  }
  return stopped;
}

/** The Values of the repo's local.settings.sample.json (string values only). */
function sampleSettings(): Record<string, string> {
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as {
    Values?: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(raw.Values ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Azurite's well-known development account key (public, the same in every Azurite). */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startDemoHost(o: DemoHostOptions, readyTimeoutMs = 180_000): Promise<DemoHost> {
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawnTracked(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'stagecraft.js'),
      'start',
      '--app',
      REPO_ROOT,
      '--port',
      String(o.port),
      '--state',
      o.stateDir,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...sampleSettings(),
        ...process.env,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        // The embedded Service Bus emulator on a free port: 5672 may be taken by another host or a test run.
        ServiceBusConnection: `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
        MLFLOW_TRACKING_URI: o.mlflowUrl,
        MLFLOW_WEBHOOK_SECRETS: o.webhookSecret,
        DRIFT_WEBHOOK_KEYS: o.driftKey,
        STAGECRAFT_FUNCTION_KEY: o.functionKey,
        STAGECRAFT_POLICY_PATH: o.policyPath,
        STAGECRAFT_JOBS_DIR: join(o.stateDir, 'jobs'),
        STAGECRAFT_APPROVER_KEYS: `${o.approver.user}=${o.approver.key}`,
        // The demo's rollback runs as its approver: rollback is an operator action.
        STAGECRAFT_USER_ROLES: `operator=${o.approver.user}`,
        STAGECRAFT_APPROVAL_LINK_SECRETS: o.linkSecret,
        STAGECRAFT_PUBLIC_URL: url,
        RECORDS_TABLE_PREFIX: 'Stagecraft',
        REPORTS_CONTAINER: 'stagecraft-reports',
        ...o.extraEnv,
      },
    },
  );
  let output = '';
  mkdirSync(o.stateDir, { recursive: true });
  const logFile = join(o.stateDir, 'host.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const take = (c: string) => {
    output += c;
    log.write(c);
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  child.once('exit', () => log.end());
  const deadline = Date.now() + readyTimeoutMs;
  while (!output.includes('Host started')) {
    if (child.exitCode !== null)
      throw new Error(`Stagecraft host exited (${child.exitCode}) before it started:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`Stagecraft host did not start in ${readyTimeoutMs / 1000}s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const storageEnv = () => {
    const port = (service: 'blob' | 'table') => {
      const m = [...output.matchAll(new RegExp(`${service}=http://127\\.0\\.0\\.1:(\\d+)`, 'g'))].at(-1);
      if (!m?.[1]) throw new Error(`the Azurite ${service} port is not in the host's output`);
      return m[1];
    };
    return {
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port('blob')}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${port('table')}/devstoreaccount1;`,
      RECORDS_TABLE_PREFIX: 'Stagecraft',
      REPORTS_CONTAINER: 'stagecraft-reports',
    };
  };
  let stopped: Promise<void> | undefined;
  return {
    url,
    stateDir: o.stateDir,
    logFile,
    logs: () => output,
    storageEnv,
    stop: () => (stopped ??= stopGroup(child).then(() => undefined)),
  };
}
