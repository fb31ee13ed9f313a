/**
 * Shared setup for the promotion/approval/rollback tests through the real local host: Azurite (started here, so the
 * test can read the records the app writes), the MLflow fake, a webhook receiver for notifications, a policy file
 * with second-scale durations, and the host running this repo as the app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startFakeMlflow, type FakeMlflow } from '../fakes';
import { durableHeaders, freePort, REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import { sharedStorage, startAzurite, type AzuriteHandle } from '../records/azurite';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { instanceIdFor } from '../../shared/router/instance-id';

export const KEYS = {
  'alice@contoso.com': 'alice-key-0123456789abcdef',
  'bob@contoso.com': 'bob-key-0123456789abcdefgh',
  'carol@contoso.com': 'carol-key-0123456789abcdef',
  'dave@contoso.com': 'dave-key-0123456789abcdefg',
} as const;
export type User = keyof typeof KEYS;
export const LINK_SECRET = 'link-secret-for-tests-0123456789';

export interface Notice {
  event: string;
  title: string;
  facts: Array<{ name: string; value: string }>;
  actions: Array<{ label: string; url: string }>;
  correlationId?: string;
}

export interface Receiver {
  url: string;
  notices: Notice[];
  /** Hold answers to notifications whose event matches until `release()` (to make activities slow on purpose). */
  hold(event: string): { release(): void; seen: Promise<void> };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const notices: Notice[] = [];
  const holds = new Map<string, { gate: Promise<void>; seen: () => void }>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const n = body as unknown as Notice;
      notices.push(n);
      const hold = holds.get(n.event);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      };
      if (hold) {
        hold.seen();
        void hold.gate.then(answer);
      } else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    notices,
    hold(event) {
      let release!: () => void;
      let seen!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seenP = new Promise<void>((r) => (seen = r));
      holds.set(event, { gate, seen });
      return {
        release: () => {
          holds.delete(event);
          release();
        },
        seen: seenP,
      };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Env {
  azurite: AzuriteHandle;
  mlflow: FakeMlflow;
  receiver: Receiver;
  dir: string;
  policyPath: string;
  hostEnv: Record<string, string>;
  tablePrefix: string;
}

/** `ownAzurite`: a private Azurite the test may stop; otherwise an account of the file's own on the run's Azurite. */
export async function startEnv(
  policy: (hookUrl: string, dir: string) => unknown,
  options: { ownAzurite?: boolean } = {},
): Promise<Env> {
  const azurite = options.ownAzurite ? await startAzurite() : await sharedStorage();
  const mlflow = await startFakeMlflow();
  const receiver = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'stagecraft-promotion-'));
  writeFileSync(
    join(dir, 'ok.js'),
    "const ms = Number(process.env.JOB_MS || '0'); setTimeout(() => { console.log('job ok'); process.exit(0); }, ms);\n",
  );
  writeFileSync(join(dir, 'fail.js'), "console.error('job failed on purpose'); process.exit(3);\n");
  writeFileSync(join(dir, 'hang.js'), 'setTimeout(() => process.exit(0), 600000);\n');
  const policyPath = join(dir, 'policy.json');
  writeFileSync(policyPath, JSON.stringify(policy(receiver.url, dir), null, 2));
  const tablePrefix = `P${Date.now().toString(36)}`;
  const hostEnv: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    RECORDS_TABLE_PREFIX: tablePrefix,
    MLFLOW_TRACKING_URI: mlflow.url,
    STAGECRAFT_POLICY_PATH: policyPath,
    STAGECRAFT_JOBS_DIR: join(dir, 'jobs'),
    STAGECRAFT_JOBS_BASE_DIR: dir,
    STAGECRAFT_APPROVER_KEYS: Object.entries(KEYS)
      .map(([u, k]) => `${u}=${k}`)
      .join(','),
    STAGECRAFT_APPROVAL_LINK_SECRETS: LINK_SECRET,
    // The embedded Service Bus emulator on a port of our own (5672 may be another test's).
    ServiceBusConnection: `Endpoint=sb://127.0.0.1:${await freePort()};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
    // The host's engines run on a test clock: tests move it forward (test/helpers/clock.ts) instead of waiting.
    DEVHOST_TEST_CLOCK: '1',
  };
  return { azurite, mlflow, receiver, dir, policyPath, hostEnv, tablePrefix };
}

export async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.receiver.close();
  await env.mlflow.close();
  await env.azurite.stop();
}

export async function startHost(env: Env, stateDir?: string): Promise<HostProcess> {
  return startHostProcess({
    appDir: REPO_ROOT,
    env: env.hostEnv,
    args: ['--no-azurite'],
    readyTimeoutMs: 90_000,
    ...(stateDir ? { stateDir } : {}),
  });
}

export interface Status {
  instanceId: string;
  runtimeStatus: string;
  customStatus: Record<string, unknown> | null;
  output: Record<string, unknown> | null;
}

const DF = '/runtime/webhooks/durabletask';

export function versionCreated(name: string, version: string) {
  return makeEvent(
    EVENT_TYPES.modelVersionCreated,
    {
      model: { name, version },
      source: null,
      runId: null,
      tags: {},
      description: null,
      registry: 'mlflow',
      occurredAt: new Date().toISOString(),
    },
    { source: '/test', time: new Date().toISOString() },
  );
}

export async function startPromotion(host: HostProcess, name: string, version: string): Promise<string> {
  const instanceId = instanceIdFor('promotion', name, version);
  const res = await fetch(`${host.baseUrl}${DF}/orchestrators/modelPromotion/${encodeURIComponent(instanceId)}`, {
    method: 'POST',
    headers: durableHeaders(host.baseUrl, true),
    body: JSON.stringify({ event: versionCreated(name, version) }),
  });
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${await res.text()}`);
  return instanceId;
}

export async function status(host: HostProcess, instanceId: string): Promise<Status> {
  const res = await fetch(`${host.baseUrl}${DF}/instances/${encodeURIComponent(instanceId)}`, {
    headers: durableHeaders(host.baseUrl),
  });
  if (res.status === 404) return { instanceId, runtimeStatus: 'NotFound', customStatus: null, output: null };
  return (await res.json()) as Status;
}

export async function until<T>(
  what: string,
  f: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  logs?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${logs ? `\nhost output:\n${logs().slice(-6000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function finished(host: HostProcess, instanceId: string, timeoutMs = 90_000): Promise<Status> {
  return until(
    `${instanceId} to finish`,
    async () => {
      const s = await status(host, instanceId);
      return ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
    },
    timeoutMs,
    () => host.logs(),
  );
}

/** The instance's status once its custom status is at `step` (and has every key in `has`). */
export async function atStep(
  host: HostProcess,
  instanceId: string,
  step: string,
  has: string[] = [],
  timeoutMs = 60_000,
): Promise<Status> {
  return until(
    `${instanceId} at step ${step}`,
    async () => {
      const s = await status(host, instanceId);
      if (['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus))
        throw new Error(
          `${instanceId} ended (${s.runtimeStatus}) before step ${step}: ${JSON.stringify(s.output ?? s.customStatus)}`,
        );
      return s.customStatus?.['step'] === step && has.every((k) => s.customStatus?.[k] !== undefined) ? s : undefined;
    },
    timeoutMs,
    () => host.logs(),
  );
}

export async function api(
  host: HostProcess,
  method: string,
  path: string,
  user?: User,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user) headers['x-stagecraft-key'] = KEYS[user];
  const res = await fetch(`${host.baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** The pending approval of a model (as listed by the API), once the orchestration created it. */
export async function pendingApproval(
  host: HostProcess,
  model: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  return until(
    `a pending approval for ${model}`,
    async () => {
      const r = await api(
        host,
        'GET',
        `/api/approvals?status=pending&model=${encodeURIComponent(model)}`,
        'alice@contoso.com',
      );
      const list = (r.json['approvals'] as Record<string, unknown>[] | undefined) ?? [];
      return list[0];
    },
    timeoutMs,
    () => host.logs(),
  );
}

export function decide(
  host: HostProcess,
  approvalId: string,
  user: User,
  decision: 'approve' | 'reject',
  comment?: string,
) {
  return api(host, 'POST', `/api/approvals/${approvalId}/decision`, user, {
    decision,
    ...(comment ? { comment } : {}),
  });
}
