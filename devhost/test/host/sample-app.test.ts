/**
 * The local host running a plain-JavaScript v4 sample app as a child process, driven over HTTP only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostProcess, type HostProcess } from '../helpers/host';

const APP = resolve(__dirname, 'fixtures', 'sample-app');

interface TimerArg {
  schedule: { adjustForDST: boolean };
  scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  isPastDue: boolean;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('local host on the sample app', () => {
  let host: HostProcess;
  let sideEffects: string;
  let keys: { masterKey: string; hostKeys: Record<string, string> };

  beforeAll(async () => {
    sideEffects = join(mkdtempSync(join(tmpdir(), 'devhost-se-')), 'effects.ndjson');
    host = await startHostProcess({
      appDir: APP,
      env: { SIDE_EFFECT_FILE: sideEffects, OVERRIDDEN_BY_ENV: 'from-real-env' },
    });
    keys = JSON.parse(readFileSync(join(host.stateDir, 'keys.json'), 'utf8')) as typeof keys;
  });

  afterAll(async () => {
    await host?.stop();
  });

  const get = (path: string, init?: RequestInit) => fetch(`${host.baseUrl}${path}`, init);

  it('lists every function with its trigger, URL and auth level, timers with schedule and next occurrence, and prints the keys', () => {
    const logs = host.logs();
    expect(logs).toMatch(/echo: \[GET,POST\] http:\/\/127\.0\.0\.1:\d+\/api\/echo\/\{name\?\}/);
    expect(logs).toMatch(/secret: \[GET\] http:\/\/127\.0\.0\.1:\d+\/api\/secret {2}\(auth: function\)/);
    expect(logs).toMatch(
      /tick: timerTrigger {2}Cron: '\*\/2 \* \* \* \* \*' {2}next: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00/,
    );
    expect(logs).toContain(`default function key: ${keys.hostKeys['default']}`);
  });

  it('answers with the status, headers, cookies and JSON body the handler returned, with route params and query', async () => {
    const res = await get('/api/echo/bob?tag=a&tag=b&x=1', { headers: { 'x-custom': 'c1' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // As the Functions host writes it (ASP.NET Core Response.Cookies.Append: lower-case attributes, path / by default).
    expect(res.headers.get('set-cookie')).toBe('session=a%20b; path=/; httponly');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      method: 'GET',
      params: { name: 'bob' },
      custom: 'c1',
      functionName: 'echo',
      user: null,
    });
    // Azure hands repeated query keys to the worker joined with a comma.
    expect(body['query']).toEqual({ tag: 'a,b', x: '1' });
    expect(body['queryAll']).toEqual(['a,b']);
    expect(body['invocationId']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes the request body and content type through, and omits an optional route parameter', async () => {
    const res = await get('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello body',
    });
    expect(await res.json()).toMatchObject({
      method: 'POST',
      params: {},
      body: 'hello body',
      contentType: 'text/plain',
    });
  });

  it('parses request.user from the x-ms-client-principal headers', async () => {
    const principal = Buffer.from(
      JSON.stringify({ auth_typ: 'aad', claims: [], name_typ: 'name', role_typ: 'roles' }),
    ).toString('base64');
    const res = await get('/api/echo', {
      headers: {
        'x-ms-client-principal': principal,
        'x-ms-client-principal-id': 'user-1',
        'x-ms-client-principal-idp': 'aad',
        'x-ms-client-principal-name': 'u',
      },
    });
    expect(((await res.json()) as { user: unknown }).user).toEqual({ type: 'AppService', id: 'user-1' });
  });

  it('answers 404 for unknown routes and for route constraints that do not hold, 405 with Allow for a wrong method', async () => {
    expect((await get('/api/nope')).status).toBe(404);
    expect((await get('/api/items/abc')).status).toBe(404);
    expect(await (await get('/api/items/12')).json()).toEqual({ id: 12 });
    const wrong = await get('/api/echo', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
  });

  it('requires a function key for authLevel function (header or code query) and the master key for admin', async () => {
    const fnKey = keys.hostKeys['default']!;
    expect((await get('/api/secret')).status).toBe(401);
    expect((await get('/api/secret', { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    expect(await (await get('/api/secret', { headers: { 'x-functions-key': fnKey } })).text()).toBe(
      'function-level ok',
    );
    expect((await get(`/api/secret?code=${encodeURIComponent(fnKey)}`)).status).toBe(200);
    expect((await get('/api/admin-only', { headers: { 'x-functions-key': fnKey } })).status).toBe(401);
    expect(await (await get('/api/admin-only', { headers: { 'x-functions-key': keys.masterKey } })).text()).toBe(
      'admin ok',
    );
  });

  it('answers 500 with the invocation id when a handler throws, logs the error with that id, and keeps serving', async () => {
    const res = await get('/api/boom');
    expect(res.status).toBe(500);
    const { invocationId } = (await res.json()) as { invocationId: string };
    await host.waitForLog(new RegExp(`Executed 'Functions\\.boom' \\(Failed, Id=${invocationId}.*boom on purpose`));
    expect(host.logs()).toMatch(new RegExp(`about to fail {2}function=boom invocationId=${invocationId}`));
    expect((await get('/api/items/1')).status).toBe(200);
  });

  it('fails an invocation that exceeds host.json functionTimeout with 500 and logs the timeout', async () => {
    const res = await get('/api/hang');
    expect(res.status).toBe(500);
    const { invocationId } = (await res.json()) as { invocationId: string };
    expect(host.logs()).toContain(
      `Timeout value of 00:00:02 exceeded by function 'Functions.hang' (Id: '${invocationId}')`,
    );
    expect((await get('/api/items/2')).status).toBe(200);
  });

  it('streams a ReadableStream body and drops the body of a 204', async () => {
    expect(await (await get('/api/stream')).text()).toBe('one,two,three');
    const res = await get('/api/no-content');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('applies local.settings.json Values without overriding the real environment', async () => {
    expect(await (await get('/api/settings')).json()).toEqual({
      fromSettings: 'from-local-settings',
      overridden: 'from-real-env',
    });
  });

  it('answers a CORS preflight for an origin in Host.CORS and adds no CORS headers for others', async () => {
    const ok = await get('/api/echo', {
      method: 'OPTIONS',
      headers: { origin: 'https://allowed.example', 'access-control-request-method': 'POST' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    const other = await get('/api/items/3', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('routes context logs to the host log with function name and invocation id, filtered by host.json levels', async () => {
    expect((await get('/api/quiet')).status).toBe(204);
    await host.waitForLog(/quiet-warn-line {2}function=quiet invocationId=[0-9a-f-]{36}/);
    // logging.logLevel "Function.quiet.User": "Warning" hides the info line.
    expect(host.logs()).not.toContain('quiet-info-line');
  });

  it('runs pre/post invocation and appStart hooks', async () => {
    await get('/api/echo/hooked');
    const calls = (await (await get('/api/hooks')).json()) as Record<string, unknown>[];
    expect(calls[0]).toEqual({ hook: 'appStart' });
    expect(calls).toContainEqual({ hook: 'postInvocation', fn: 'echo', pre: true, appStartSeen: true });
  });

  it('runs a runOnStartup timer at start-up and then on its %Setting% schedule, with the Timer argument of @azure/functions', async () => {
    const runs = await waitFor('three tick runs', async () => {
      const all = (await (await get('/api/ticks')).json()) as { name: string; timer: TimerArg }[];
      const ticks = all.filter((r) => r.name === 'tick');
      return ticks.length >= 3 ? ticks : undefined;
    });
    // A sub-minute schedule is not monitored (as in Azure): scheduleStatus is null.
    for (const r of runs)
      expect(r.timer).toEqual({ schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false });
    expect(host.logs()).toContain("Timer 'tick' runs on start-up");
    const file = readFileSync(sideEffects, 'utf8');
    expect(file.split('\n').filter((l) => l.includes('"tick"')).length).toBeGreaterThanOrEqual(3);
  });

  it('never overlaps runs of one timer, even when a run outlasts the schedule interval', async () => {
    const runs = await waitFor(
      'three finished overlap runs',
      async () => {
        const all = (await (await get('/api/overlap-runs')).json()) as {
          start: number;
          end?: number;
          concurrent: number;
        }[];
        return all.filter((r) => r.end !== undefined).length >= 3 ? all : undefined;
      },
      30_000,
    );
    for (const r of runs) expect(r.concurrent).toBe(1);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end!);
  });
});
