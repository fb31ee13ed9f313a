/**
 * Helpers for durable integration tests: drive the SDK's own DurableClient through the fixture app's `ClientOp`
 * HTTP function, and the public durable HTTP API directly.
 */
import { join } from 'node:path';
import { durableHeaders } from '../helpers/host';

export { durableHeaders };

export const FIXTURES = join(__dirname, 'fixtures');
export const CONFORMANCE_APP = join(FIXTURES, 'conformance-app');

export interface Status {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Array<Record<string, unknown>>;
  history?: Array<Record<string, unknown>>;
}

/** Calls a DurableClient method inside the app (the SDK's client, talking to our RPC API). */
export async function clientOp<T = unknown>(
  baseUrl: string,
  op: string,
  args: Record<string, unknown> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${baseUrl}/api/client/${op}`, {
    method: 'POST',
    body: JSON.stringify(args),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export async function startNew(baseUrl: string, name: string, input?: unknown, instanceId?: string): Promise<string> {
  const r = await clientOp<{ id?: string; error?: string }>(baseUrl, 'startNew', {
    name,
    options: { ...(input !== undefined ? { input } : {}), ...(instanceId ? { instanceId } : {}) },
  });
  if (!r.body.id) throw new Error(`startNew ${name} failed: ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export const api = (baseUrl: string) => `${baseUrl}/runtime/webhooks/durabletask`;

export async function rawStatus(baseUrl: string, id: string, query = ''): Promise<{ code: number; body: Status }> {
  const res = await fetch(`${api(baseUrl)}/instances/${encodeURIComponent(id)}${query}`, {
    headers: durableHeaders(baseUrl),
  });
  return { code: res.status, body: (await res.json()) as Status };
}

/** Polls the public status API until the instance reaches one of `statuses` (tests never assert timings). */
export async function waitFor(
  baseUrl: string,
  id: string,
  statuses: string[] = ['Completed', 'Failed', 'Terminated'],
  timeoutMs = 30_000,
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    const r = await fetch(
      `${api(baseUrl)}/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=true`,
      { headers: durableHeaders(baseUrl) },
    );
    if (r.status !== 404) {
      last = (await r.json()) as Status;
      if (statuses.includes(last.runtimeStatus)) return last;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `Instance ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms; last status: ${JSON.stringify(last)}`,
  );
}

export async function raiseRaw(baseUrl: string, id: string, name: string, data: unknown): Promise<number> {
  const res = await fetch(
    `${api(baseUrl)}/instances/${encodeURIComponent(id)}/raiseEvent/${encodeURIComponent(name)}`,
    { method: 'POST', body: JSON.stringify(data), headers: durableHeaders(baseUrl, true) },
  );
  return res.status;
}
