/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON answers of the API under test are inspected as data; their shapes are what the assertions check. */
/**
 * Shared set-up for the pipelines/retraining/runs integration tests: a temp workspace (policy, job scripts),
 * the real local host (durable engine + Azurite) started on the app, and small clients for its HTTP APIs.
 * Nothing here mocks our infrastructure; only GitHub is stood in for by a capture server (github-capture.ts).
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HostProcess, startHostProcess } from '../helpers/host';
import { sharedStorage } from '../records/azurite';
import { appDirForTests } from './app-fixture';

export const FUNCTION_KEY = 'test-function-key-0123456789';

export interface Workspace {
  dir: string;
  file(rel: string, content: string): string;
}

export function workspace(prefix: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `stagecraft-${prefix}-`));
  return {
    dir,
    file(rel, content) {
      const p = join(dir, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
  };
}

export interface TestHost {
  host: HostProcess;
  url: string;
  api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  start(orchestration: string, instanceId: string, input: unknown): Promise<number>;
  raise(instanceId: string, eventName: string, payload: unknown): Promise<number>;
  status(instanceId: string): Promise<any>;
  waitFor(instanceId: string, predicate: (s: any) => boolean, timeoutMs?: number, what?: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startTestHost(ws: Workspace, env: Record<string, string>): Promise<TestHost> {
  const host = await startHostProcess({
    appDir: appDirForTests(),
    env: {
      // An account of its own on the run's shared Azurite (the host's own Azurite is covered by test/host/azurite.test.ts).
      AzureWebJobsStorage: (await sharedStorage()).connectionString,
      STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY,
      STAGECRAFT_JOBS_DIR: join(ws.dir, 'jobs'),
      ...env,
    },
    readyTimeoutMs: 120_000,
  });
  const url = host.baseUrl;
  const api: TestHost['api'] = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      // The Durable HTTP API takes the master key; app functions the function key.
      headers: {
        'x-functions-key': path.startsWith('/runtime/webhooks/durabletask/') ? host.masterKey : FUNCTION_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      /* text */
    }
    return { status: res.status, json };
  };
  const durable = `/runtime/webhooks/durabletask`;
  const t: TestHost = {
    host,
    url,
    api,
    async start(orchestration, instanceId, input) {
      return (await api('POST', `${durable}/orchestrators/${orchestration}/${encodeURIComponent(instanceId)}`, input))
        .status;
    },
    async raise(instanceId, eventName, payload) {
      return (
        await api('POST', `${durable}/instances/${encodeURIComponent(instanceId)}/raiseEvent/${eventName}`, payload)
      ).status;
    },
    async status(instanceId) {
      const r = await api('GET', `${durable}/instances/${encodeURIComponent(instanceId)}`);
      return r.status === 404 ? undefined : r.json;
    },
    async waitFor(instanceId, predicate, timeoutMs = 60_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        last = await t.status(instanceId);
        if (last !== undefined && predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 150));
      }
      throw new Error(
        `timed out waiting for ${what} on ${instanceId}; last status: ${JSON.stringify(last)?.slice(0, 2_000)}\nhost logs:\n${host.logs().slice(-4_000)}`,
      );
    },
    async stop() {
      await host.stop();
    },
  };
  return t;
}

export const isDone = (s: any): boolean => ['Completed', 'Failed', 'Terminated'].includes(s?.runtimeStatus);

/** A local job script: appends its first argument to `<dir>/ran-<name>.log`, waits `ms`, exits with `code`. */
export function jobScript(
  ws: Workspace,
  name: string,
  opts: { ms?: number; code?: number; output?: string } = {},
): string {
  return ws.file(
    `${name}.js`,
    [
      `const fs = require('node:fs');`,
      `fs.appendFileSync(${JSON.stringify(join(ws.dir, `ran-${name}.log`))}, JSON.stringify(process.argv.slice(2)) + '\\n');`,
      `console.log(${JSON.stringify(opts.output ?? `${name} output`)});`,
      `setTimeout(() => process.exit(${opts.code ?? 0}), ${opts.ms ?? 50});`,
    ].join('\n'),
  );
}

/** Polls `probe` until `accept` holds (records and listings are written just after the decision they follow). */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (v: T) => boolean,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 1_000)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await probe();
  }
  return last;
}
