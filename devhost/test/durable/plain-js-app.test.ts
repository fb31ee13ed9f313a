/**
 * A plain JavaScript Durable Functions app (the Azure template: df.app.orchestration, df.app.activity,
 * df.input.durableClient(), client.createCheckStatusResponse), copied to a folder outside this repository with its
 * own package.json "main" glob, runs unmodified under `devhost start --app DIR`.
 * Requires a build (`npx tsc -p tsconfig.json`).
 */
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import { FIXTURES, waitFor } from './helpers';

let host: HostProcess;

beforeAll(async () => {
  const appDir = mkdtempSync(join(tmpdir(), 'plain-js-durable-app-'));
  cpSync(join(FIXTURES, 'plain-js-app'), appDir, { recursive: true });
  // Stands in for `npm install` in the app folder: the app resolves its packages from its own node_modules.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(appDir, 'node_modules'), 'dir');
  host = await startHostProcess({ appDir, args: ['--no-azurite'] });
});

afterAll(async () => {
  await host?.stop();
});

it('serves the template HTTP starter: 202 with check-status links whose status URL reports the orchestration output', async () => {
  const res = await fetch(`${host.baseUrl}/api/orchestrators/durableHello1Orchestrator`, {
    method: 'POST',
    body: 'from the template',
  });
  expect(res.status).toBe(202);
  const links = (await res.json()) as Record<string, string>;
  expect(res.headers.get('location')).toBe(links['statusQueryGetUri']);
  expect(links['statusQueryGetUri']).toContain(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${links['id']}`);
  const s = await waitFor(host.baseUrl, links['id']!);
  expect(s.runtimeStatus).toBe('Completed');
  expect(s.output).toEqual(['Hello, Tokyo', 'Hello, Seattle', 'Hello, Cairo']);
  expect(s.input).toBe('from the template');
  const viaLink = await fetch(links['statusQueryGetUri']!);
  expect(viaLink.status).toBe(200);
  expect(((await viaLink.json()) as { output: unknown }).output).toEqual([
    'Hello, Tokyo',
    'Hello, Seattle',
    'Hello, Cairo',
  ]);
});

it('keeps the default task hub name and stores it under the state dir', async () => {
  const { existsSync } = await import('node:fs');
  expect(existsSync(join(host.stateDir, 'durable', 'TestHubName.db'))).toBe(true);
});

it('has no test clock unless DEVHOST_TEST_CLOCK is set: POST /admin/host/clock is 404', async () => {
  const res = await fetch(`${host.baseUrl}/admin/host/clock`, {
    method: 'POST',
    headers: { 'x-functions-key': host.masterKey, 'content-type': 'application/json' },
    body: '{"advanceMs":1000}',
  });
  expect(res.status).toBe(404);
});
