/**
 * A plain JavaScript v4 app written without any knowledge of this host, copied outside this repository (its only
 * link back is `node_modules/@azure/functions`, as after `npm install`), run with `devhost start --app DIR`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';

function copyOutsideRepo(fixture: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'plain-js-app-')), 'app');
  cpSync(fixture, dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@azure'), { recursive: true });
  symlinkSync(
    dirname(require.resolve('@azure/functions/package.json', { paths: [REPO_ROOT] })),
    join(dir, 'node_modules', '@azure', 'functions'),
    'dir',
  );
  return dir;
}

describe('a plain JavaScript v4 app from outside the repository', () => {
  let host: HostProcess;
  let heartbeatFile: string;
  const functionKey = 'external-app-function-key-0123456789';

  beforeAll(async () => {
    const appDir = copyOutsideRepo(resolve(__dirname, 'fixtures', 'external-js-app'));
    heartbeatFile = join(dirname(appDir), 'heartbeats.ndjson');
    host = await startHostProcess({
      appDir,
      env: { HEARTBEAT_FILE: heartbeatFile, DEVHOST_FUNCTION_KEY: functionKey },
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('loads every file its package.json "main" glob matches and lists the functions', () => {
    expect(host.logs()).toMatch(/greet: \[GET,POST\] http:\/\/127\.0\.0\.1:\d+\/api\/greet/);
    expect(host.logs()).toMatch(/heartbeat: timerTrigger {2}Cron: '\*\/1 \* \* \* \* \*'/);
    expect(host.logs()).not.toMatch(/test mode/i);
  });

  it('serves an anonymous HTTP function reading query, body and local.settings.json', async () => {
    expect(await (await fetch(`${host.baseUrl}/api/greet?name=Ada`)).text()).toBe('Hello, Ada!');
    expect(await (await fetch(`${host.baseUrl}/api/greet`, { method: 'POST', body: 'Grace' })).text()).toBe(
      'Hello, Grace!',
    );
    expect(await (await fetch(`${host.baseUrl}/api/GREET`)).text()).toBe('Hello, world!');
  });

  it('gives the query string the Azure semantics: decoded values, repeated keys joined with a comma, absent keys null', async () => {
    const res = await fetch(`${host.baseUrl}/api/query?color=red&color=blue&note=a%20b%26c&empty=&flag`);
    expect(await res.json()).toEqual({
      entries: [
        ['color', 'red,blue'],
        ['note', 'a b&c'],
        ['empty', ''],
        ['flag', ''],
      ],
      color: 'red,blue',
      colorAll: ['red,blue'],
      missing: null,
      has: true,
    });
  });

  it('protects a function-level function with the configured key (header or ?code=)', async () => {
    expect((await fetch(`${host.baseUrl}/api/orders/42`)).status).toBe(401);
    const byHeader = await fetch(`${host.baseUrl}/api/orders/42`, { headers: { 'x-functions-key': functionKey } });
    expect(await byHeader.json()).toEqual({ orderId: '42' });
    expect((await fetch(`${host.baseUrl}/api/orders/42?code=${functionKey}`)).status).toBe(200);
  });

  it('runs its timer on schedule with the Timer argument', async () => {
    const deadline = Date.now() + 20_000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      try {
        lines = readFileSync(heartbeatFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        lines = [];
      }
      if (lines.length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(lines[0]!)).toEqual({ schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false });
    expect(
      ((await (await fetch(`${host.baseUrl}/api/beats`)).json()) as { beats: number }).beats,
    ).toBeGreaterThanOrEqual(2);
  });
});

describe('local.settings.json Host section', () => {
  it('listens on Host.LocalHttpPort when no --port is given', async () => {
    const appDir = copyOutsideRepo(resolve(__dirname, 'fixtures', 'external-js-app'));
    const port = await freePort();
    const settings = JSON.parse(readFileSync(join(appDir, 'local.settings.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(appDir, 'local.settings.json'), JSON.stringify({ ...settings, Host: { LocalHttpPort: port } }));
    const host = await startHostProcess({ appDir, port, portFlag: false });
    try {
      expect(host.logs()).toContain(`http://127.0.0.1:${port}/api/greet`);
      expect(await (await fetch(`http://127.0.0.1:${port}/api/greet?name=port`)).text()).toBe('Hello, port!');
    } finally {
      expect(await host.stop()).toBe(0);
    }
  });
});
