/**
 * Fidelity with Azure Durable Functions for documented features (issue #13): durable HTTP (callHttp + 202 polling),
 * retry timeout, orchestration versioning, overridableExistingInstanceStates, list entities and rewind. The
 * fixture app (fixtures/fidelity-app) uses only the public durable-functions v3 API; it runs in the real host.
 * Raw HTTP calls to the durable API send the host's master key (x-functions-key), set through DEVHOST_MASTER_KEY.
 * Requires a build (`npm run build`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewindHistory } from '../../durable/rewind';
import { EventType, type HistoryEvent } from '../../durable/types';
import { compareVersions, versionMismatch } from '../../durable/versioning';
import { startHostProcess, type HostProcess } from '../helpers/host';
import { FIXTURES, type Status } from './helpers';

const MASTER_KEY = 'fidelity-test-master-key';
const FIDELITY_APP = join(FIXTURES, 'fidelity-app');
const STRICT_APP = join(FIXTURES, 'fidelity-app-strict');

let host: HostProcess;
let base: string;

/** A durable HTTP API request with the master key (required for the durable API once keys are enforced). */
function durableApi(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}/runtime/webhooks/durabletask/${path}`, {
    ...init,
    headers: { 'x-functions-key': MASTER_KEY, ...(init.headers as Record<string, string> | undefined) },
  });
}

async function clientOp<T = Record<string, unknown>>(
  op: string,
  args: Record<string, unknown> = {},
  hostBase = base,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hostBase}/api/fidelity/${op}`, {
    method: 'POST',
    body: JSON.stringify(args),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function startNew(
  name: string,
  input?: unknown,
  extra: Record<string, unknown> = {},
  hostBase = base,
): Promise<string> {
  const r = await clientOp<{ id?: string; error?: string }>(
    'startNew',
    { name, options: { ...(input !== undefined ? { input } : {}), ...extra } },
    hostBase,
  );
  if (!r.body.id) throw new Error(`startNew ${name} failed: ${JSON.stringify(r.body)}`);
  return r.body.id;
}

async function status(id: string, hostBase = base): Promise<Status | undefined> {
  const r = await fetch(
    `${hostBase}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=true`,
    { headers: { 'x-functions-key': MASTER_KEY } },
  );
  return r.status === 404 ? undefined : ((await r.json()) as Status);
}

async function waitFor(
  id: string,
  statuses = ['Completed', 'Failed', 'Terminated'],
  hostBase = base,
  timeoutMs = 30_000,
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    last = await status(id, hostBase);
    if (last && statuses.includes(last.runtimeStatus)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Instance ${id} did not reach ${statuses.join('/')}; last status: ${JSON.stringify(last)}`);
}

function events(s: Status, type: string): Array<Record<string, unknown>> {
  return (s.historyEvents ?? []).filter((e) => e['EventType'] === type);
}

async function counts(hostBase = base): Promise<Record<string, number>> {
  return (await clientOp<Record<string, number>>('counts', {}, hostBase)).body;
}

beforeAll(async () => {
  host = await startHostProcess({ appDir: FIDELITY_APP, env: { DEVHOST_MASTER_KEY: MASTER_KEY } });
  base = host.baseUrl;
});

afterAll(async () => {
  await host?.stop();
});

describe('durable HTTP (callHttp)', () => {
  let server: Server;
  let target: string;
  const seen: string[] = [];
  let polls = 0;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push(`${req.method} ${req.url} ${body}`.trim());
        if (req.url === '/plain') {
          res.writeHead(200, [
            ['Content-Type', 'text/plain'],
            ['X-Multi', 'a'],
            ['X-Multi', 'b'],
            ['X-Echo', String(req.headers['x-echo'] ?? '')],
          ]);
          res.end(`hello ${body}`);
        } else if (req.url === '/jobs' && req.method === 'POST') {
          res.writeHead(202, { Location: '/jobs/1', 'Retry-After': '1' });
          res.end();
        } else if (req.url === '/quick') {
          res.writeHead(202, { Location: `/plain` });
          res.end();
        } else if (req.url === '/jobs/1') {
          polls++;
          if (polls < 2) {
            res.writeHead(202, { Location: '/jobs/1', 'Retry-After': '1' });
            res.end();
          } else {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ done: true, auth: req.headers['authorization'] ?? null }));
          }
        } else {
          res.writeHead(404);
          res.end('nope');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('performs the request and returns statusCode, content and headers (several values as an array)', async () => {
    const id = await startNew('HttpCall', {
      method: 'POST',
      url: `${target}/plain`,
      body: { n: 1 },
      headers: { 'X-Echo': 'yes' },
    });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as { statusCode: number; content: string; headers: Record<string, unknown> };
    expect(out.statusCode).toBe(200);
    expect(out.content).toBe('hello {"n":1}');
    expect(out.headers['X-Multi']).toEqual(['a', 'b']);
    expect(out.headers['X-Echo']).toBe('yes');
    expect(events(s, 'TaskCompleted')[0]).toMatchObject({ FunctionName: 'BuiltIn::HttpActivity' });
  });

  it('polls a 202 + Location until it is not 202, waiting Retry-After seconds between polls (durable timers)', async () => {
    const id = await startNew('HttpCall', {
      method: 'POST',
      url: `${target}/jobs`,
      body: 'start',
      headers: { Authorization: 'Bearer t' },
    });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    const out = s.output as { statusCode: number; content: string };
    expect(out.statusCode).toBe(200);
    // The poll keeps the original headers.
    expect(JSON.parse(out.content)).toEqual({ done: true, auth: 'Bearer t' });
    expect(seen.filter((l) => l.startsWith('POST /jobs') || l.startsWith('GET /jobs/1'))).toEqual([
      'POST /jobs start',
      'GET /jobs/1',
      'GET /jobs/1',
    ]);
    const timers = events(s, 'TimerCreated');
    expect(timers).toHaveLength(2);
    for (const t of timers) expect(Date.parse(String(t['FireAt'])) - Date.parse(String(t['Timestamp']))).toBe(1000);
    expect(events(s, 'TaskCompleted')).toHaveLength(3);
  });

  it('without Retry-After waits httpSettings.defaultAsyncRequestSleepTimeMilliseconds and follows a relative Location', async () => {
    const id = await startNew('HttpCall', { method: 'GET', url: `${target}/quick` });
    const s = await waitFor(id);
    expect(s.output).toMatchObject({ statusCode: 200, content: 'hello ' });
    const timers = events(s, 'TimerCreated');
    expect(timers.map((t) => Date.parse(String(t['FireAt'])) - Date.parse(String(t['Timestamp'])))).toEqual([200]);
  });

  it('returns the 202 itself when polling is disabled', async () => {
    const id = await startNew('HttpCall', { method: 'POST', url: `${target}/jobs`, enablePolling: false });
    const s = await waitFor(id);
    expect((s.output as { statusCode: number }).statusCode).toBe(202);
    expect(events(s, 'TimerCreated')).toHaveLength(0);
  });

  it('refuses a managed identity token source with a clear, catchable error', async () => {
    const id = await startNew('HttpWithTokenSource', { url: `${target}/plain` });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    expect((s.output as { caught: string }).caught).toContain(
      'tokenSource (managed identity) is not supported by the local durable engine',
    );
  });
});

describe('retry options', () => {
  it('stops retrying an activity once retryTimeoutInMilliseconds has passed, failing with the last error', async () => {
    const key = `timeout-${Date.now()}`;
    const id = await startNew('RetryWithTimeout', { key, firstMs: 200, attempts: 50, timeoutMs: 600 });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    const ran = (await counts())[`AlwaysFails:${key}`] ?? 0;
    expect(ran).toBeGreaterThanOrEqual(2);
    expect(ran).toBeLessThan(50);
    expect((s.output as { caught: string }).caught).toContain(`always fails (${ran})`);
  });

  it('stops retrying a sub-orchestration once retryTimeoutInMilliseconds has passed', async () => {
    const key = `subtimeout-${Date.now()}`;
    const id = await startNew('SubRetryWithTimeout', { key, firstMs: 200, attempts: 30, timeoutMs: 500 });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    const ran = (await counts())[`AlwaysFails:${key}`] ?? 0;
    expect(ran).toBeGreaterThanOrEqual(2);
    expect(ran).toBeLessThan(30);
    expect((s.output as { caught: string }).caught).toContain('always fails');
  });

  it('spaces attempts by firstRetryInterval × backoffCoefficient^n capped at maxRetryIntervalInMilliseconds, for maxNumberOfAttempts', async () => {
    const key = `backoff-${Date.now()}`;
    const id = await startNew('RetryBackoff', { key, firstMs: 100, attempts: 4, backoff: 2, maxMs: 250 });
    const s = await waitFor(id);
    expect((await counts())[`AlwaysFails:${key}`]).toBe(4);
    const delays = events(s, 'TimerCreated').map(
      (t) => Date.parse(String(t['FireAt'])) - Date.parse(String(t['Timestamp'])),
    );
    // After the last failure the SDK still waits on a timer, which fires at once.
    expect(delays).toEqual([100, 200, 250, 0]);
  });
});

describe('orchestration versioning', () => {
  it('gives new instances and sub-orchestrations the host.json defaultVersion; an explicit version wins', async () => {
    const id = await startNew('VersionReport');
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ version: '2.0', child: '2.0', explicitChild: '1.5' });
  });

  it('runs an older version under CurrentOrOlder and fails a newer one with versionFailureStrategy Fail', async () => {
    const older = await startNew('VersionReport', undefined, { version: '1.0' });
    expect(((await waitFor(older)).output as { version: string }).version).toBe('1.0');
    const newer = await startNew('VersionReport', undefined, { version: '3.0' });
    const s = await waitFor(newer);
    expect(s.runtimeStatus).toBe('Failed');
    expect(s.output).toContain("The orchestration version '3.0' is newer than the worker version '2.0'");
  });

  it('with Strict + Reject leaves a mismatched instance queued until a compatible worker runs it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'devhost-fidelity-'));
    const strict = await startHostProcess({ appDir: STRICT_APP, stateDir, env: { DEVHOST_MASTER_KEY: MASTER_KEY } });
    let id: string;
    try {
      id = await startNew('VersionReport', undefined, { version: '2.0' }, strict.baseUrl);
      await strict.waitForLog("The orchestration version '2.0' does not match the worker version '1.0'");
      const same = await startNew('VersionChild', undefined, { version: '1.0' }, strict.baseUrl);
      expect((await waitFor(same, undefined, strict.baseUrl)).output).toBe('1.0');
      expect((await status(id, strict.baseUrl))?.runtimeStatus).toBe('Pending');
    } finally {
      await strict.stop();
    }
    // Same task hub, now a worker whose defaultVersion is 2.0: the queued start runs.
    const upgraded = await startHostProcess({
      appDir: FIDELITY_APP,
      stateDir,
      env: { DEVHOST_MASTER_KEY: MASTER_KEY },
    });
    try {
      const s = await waitFor(id, undefined, upgraded.baseUrl);
      expect(s.runtimeStatus).toBe('Completed');
      expect((s.output as { version: string }).version).toBe('2.0');
    } finally {
      await upgraded.stop();
    }
  });
});

describe('overridableExistingInstanceStates', () => {
  it('AnyState: starting an instance id that is Running replaces it', async () => {
    const id = `override-${Date.now()}`;
    await startNew('WaitForever', 'first', { instanceId: id });
    await waitFor(id, ['Running']);
    await startNew('WaitForever', 'second', { instanceId: id });
    const r = await durableApi(`instances/${id}/raiseEvent/go`, {
      method: 'POST',
      body: '"now"',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
    const s = await waitFor(id);
    expect(s.output).toEqual({ input: 'second', event: 'now' });
  });
});

describe('list entities', () => {
  it('lists entities by name with their state and pages with the continuation header', async () => {
    const prefix = `k${Date.now()}`;
    for (let i = 0; i < 3; i++)
      await clientOp('signalEntity', { entity: 'Tally', key: `${prefix}-${i}`, operation: 'add', input: i + 1 });
    const deadline = Date.now() + 20_000;
    let all: Array<{ entityId: { name: string; key: string }; state?: unknown; lastOperationTime: string }> = [];
    while (Date.now() < deadline) {
      const r = await durableApi('entities/Tally?fetchState=true');
      expect(r.status).toBe(200);
      all = ((await r.json()) as typeof all).filter((e) => e.entityId.key.startsWith(prefix));
      if (all.length === 3) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(all.map((e) => [e.entityId.name, e.entityId.key, e.state])).toEqual([
      ['tally', `${prefix}-0`, 1],
      ['tally', `${prefix}-1`, 2],
      ['tally', `${prefix}-2`, 3],
    ]);
    expect(Number.isNaN(Date.parse(all[0]!.lastOperationTime))).toBe(false);

    const first = await durableApi('entities/tally?top=2');
    const page1 = (await first.json()) as Array<{ entityId: { key: string }; state?: unknown }>;
    expect(page1).toHaveLength(2);
    expect(page1[0]).not.toHaveProperty('state');
    const token = first.headers.get('x-ms-continuation-token');
    expect(token).toBeTruthy();
    const second = await durableApi('entities/tally?top=2', { headers: { 'x-ms-continuation-token': token! } });
    const page2 = (await second.json()) as Array<{ entityId: { key: string } }>;
    expect(page2.map((e) => e.entityId.key)).not.toContain(page1[0]!.entityId.key);
    expect((await durableApi('entities/Nobody')).status).toBe(200);
  });
});

describe('rewind', () => {
  it('re-runs the failed activity of a Failed instance (completed activities do not run again)', async () => {
    const key = `rw-${Date.now()}`;
    const id = await startNew('RewindMe', key);
    const failed = await waitFor(id);
    expect(failed.runtimeStatus).toBe('Failed');
    const r = await clientOp('rewind', { id, reason: 'fixed' });
    expect(r.status).toBe(200);
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ first: 1, flaky: 'ok after 2' });
    const c = await counts();
    expect(c[`Counted:${key}:first`]).toBe(1);
    expect(c[`FailTimes:${key}:flaky`]).toBe(2);
  });

  it('rewinds a failed sub-orchestration in place', async () => {
    const key = `rwp-${Date.now()}`;
    const id = await startNew('RewindParent', key);
    expect((await waitFor(id)).runtimeStatus).toBe('Failed');
    expect((await waitFor(`${id}-child`)).runtimeStatus).toBe('Failed');
    await clientOp('rewind', { id, reason: 'again' });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toEqual({ first: 1, child: { before: 1, flaky: 'ok after 2' } });
    const c = await counts();
    expect(c[`Counted:${key}:parent`]).toBe(1);
    expect(c[`Counted:${key}:child`]).toBe(1);
  });

  it('gives a retried activity its attempts again', async () => {
    const key = `rwr-${Date.now()}`;
    const id = await startNew('RewindRetry', key);
    expect((await waitFor(id)).runtimeStatus).toBe('Failed');
    await clientOp('rewind', { id, reason: 'retry' });
    const s = await waitFor(id);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe('ok after 4');
  });

  it('refuses instances that are not Failed (412) and unknown ones (404)', async () => {
    const id = await startNew('WaitForever', 'x');
    await waitFor(id, ['Running']);
    const running = await clientOp<{ error: string }>('rewind', { id, reason: 'no' });
    expect(running.status).toBe(500);
    expect(running.body.error).toContain('only Failed instances can be rewound');
    expect((await durableApi(`instances/nope-${Date.now()}/rewind?reason=x`, { method: 'POST' })).status).toBe(404);
  });
});

describe('building blocks', () => {
  it('compares versions by the documented rules', () => {
    expect(compareVersions('', null)).toBe(0);
    expect(compareVersions('', '1')).toBeLessThan(0);
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('v1-Release', 'V1-release')).toBe(0);
    expect(compareVersions('2025-01-01', '2024-12-31')).toBeGreaterThan(0);
    expect(versionMismatch('9.0', undefined)).toBeUndefined();
    expect(
      versionMismatch('9.0', { defaultVersion: '1.0', matchStrategy: 'None', failureStrategy: 'Fail' }),
    ).toBeUndefined();
    expect(
      versionMismatch('', { defaultVersion: '1.0', matchStrategy: 'CurrentOrOlder', failureStrategy: 'Fail' }),
    ).toBeUndefined();
    expect(
      versionMismatch('1.0', { defaultVersion: '1.0.1', matchStrategy: 'Strict', failureStrategy: 'Reject' }),
    ).toContain('does not match');
  });

  it('rewind keeps completed work and signals, and removes failed, in-flight and later work', () => {
    const e = (type: number, fields: Partial<HistoryEvent> = {}): HistoryEvent => ({
      EventType: type,
      EventId: -1,
      IsPlayed: true,
      Timestamp: '2026-01-01T00:00:00.000Z',
      ...fields,
    });
    const history = [
      e(EventType.OrchestratorStarted),
      e(EventType.ExecutionStarted, { Name: 'X' }),
      e(EventType.TaskScheduled, { EventId: 0, Name: 'ok' }),
      e(EventType.EventSent, { EventId: 1, Name: 'op', Input: JSON.stringify({ op: 'add', signal: true, id: 's1' }) }),
      e(EventType.TaskScheduled, { EventId: 2, Name: 'inflight' }),
      e(EventType.EventSent, { EventId: 3, Name: 'op', Input: JSON.stringify({ op: 'get', id: 'c1' }) }),
      e(EventType.SubOrchestrationInstanceCreated, { EventId: 4, Name: 'Child', InstanceId: 'child-running' }),
      e(EventType.TaskScheduled, { EventId: 5, Name: 'fails' }),
      e(EventType.OrchestratorCompleted),
      e(EventType.OrchestratorStarted),
      e(EventType.TaskCompleted, { TaskScheduledId: 0, Result: '1' }),
      e(EventType.TaskFailed, { TaskScheduledId: 5, Reason: 'r', Details: 'd' }),
      e(EventType.TimerCreated, { EventId: 6, FireAt: '2026-01-01T00:00:01.000Z' }),
      e(EventType.OrchestratorCompleted),
      e(EventType.OrchestratorStarted),
      e(EventType.TimerFired, { TimerId: 6 }),
      e(EventType.ExecutionCompleted, { OrchestrationStatus: 3 }),
      e(EventType.OrchestratorCompleted),
    ];
    const plan = rewindHistory(history, (id) => (id === 'child-running' ? 'active' : 'other'));
    const kept = plan.history.map(
      (h) => `${h.EventType}:${h.EventId >= 0 ? h.EventId : (h.TaskScheduledId ?? h.TimerId ?? '')}`,
    );
    expect(kept).toEqual(['12:', '0:', '4:0', '14:1', '7:4', '13:', '12:', '5:0', '13:', '12:', '13:']);
    expect(plan.children).toEqual([]);
  });
});
