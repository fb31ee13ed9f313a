/**
 * #18 readiness through the real local host: `GET /api/health/ready` checks Storage Tables and Blobs (Azurite), Service
 * Bus (a peek on the embedded emulator) and the registry (the MLflow fake), in parallel with a timeout each. All up:
 * 200. A stopped dependency: 503 with that check failed, the others ok, and no URL, port, connection string, key or
 * message in the anonymous body. Liveness (`/api/health`) keeps answering 200 without touching dependencies.
 * Storage is the file's account on the run's Azurite, each endpoint reached through a TCP relay of its own; the last
 * test closes the relays, so Storage is down for the host (connections refused, as by a stopped Azurite) without
 * stopping the Azurite other files use. Requires a build (`npm run build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnv, startHost, type Env } from '../promotion/harness';
import type { HostProcess } from '../helpers/host';
import { startRelay, type TcpRelay } from '../helpers/tcp-relay';

let env: Env;
let host: HostProcess;
/** One relay per Storage endpoint the host is given; the last test closes them. */
const relays: TcpRelay[] = [];

/** The connection string with each endpoint (Blob, Queue, Table) through a relay of its own. */
async function throughRelays(connectionString: string): Promise<string> {
  const parts = [];
  for (const part of connectionString.split(';')) {
    const m = /^(BlobEndpoint|QueueEndpoint|TableEndpoint)=(.+)$/.exec(part);
    if (!m) {
      parts.push(part);
      continue;
    }
    const url = new URL(m[2]!);
    const relay = await startRelay(Number(url.port));
    relays.push(relay);
    url.port = String(relay.port);
    parts.push(`${m[1]}=${url.toString()}`);
  }
  return parts.join(';');
}

beforeAll(async () => {
  env = await startEnv((hook) => ({ version: 1, channels: { hook: { type: 'webhook', url: hook } }, models: {} }));
  env.hostEnv['AzureWebJobsStorage'] = await throughRelays(env.azurite.connectionString);
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await Promise.all(relays.map((r) => r.close()));
  await env?.receiver.close();
  await env?.mlflow.close().catch(() => undefined);
  await env?.azurite.stop();
});

interface ReadyBody {
  status: string;
  checks: Array<{ name: string; status: string; code?: string }>;
}

async function ready(): Promise<{ status: number; text: string; body: ReadyBody; cache: string | null }> {
  const res = await fetch(`${host.baseUrl}/api/health/ready`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as ReadyBody, cache: res.headers.get('cache-control') };
}

function statusOf(body: ReadyBody): Record<string, string> {
  return Object.fromEntries(body.checks.map((c) => [c.name, c.status]));
}

/** Nothing that locates or unlocks a dependency may appear in the anonymous answer. */
function expectNoConfiguration(text: string): void {
  const secrets = [
    env.mlflow.url,
    new URL(env.mlflow.url).host,
    String(env.azurite.tablePort),
    String(env.azurite.blobPort),
    ...relays.map((r) => String(r.port)),
    '127.0.0.1',
    'localhost',
    'SharedAccessKey',
    'AccountKey',
    'Endpoint',
    env.tablePrefix,
    'stagecraft-events',
    'stagecraft-reports',
    'http',
  ];
  for (const s of secrets) expect(text, `body leaks ${s}`).not.toContain(s);
}

describe('GET /api/health/ready', () => {
  it('answers 200 when Storage, Service Bus and the registry answer', async () => {
    const r = await ready();
    expect(r.status, r.text).toBe(200);
    expect(r.cache).toBe('no-store');
    expect(r.body.status).toBe('ready');
    expect(statusOf(r.body)).toEqual({ tables: 'ok', blobs: 'ok', serviceBus: 'ok', registry: 'ok' });
    expectNoConfiguration(r.text);
  });

  it('answers 503 naming the registry when the MLflow server is down, without leaking where it is', async () => {
    await env.mlflow.close();
    const r = await ready();
    expect(r.status, r.text).toBe(503);
    expect(r.body.status).toBe('not-ready');
    expect(statusOf(r.body)).toEqual({ tables: 'ok', blobs: 'ok', serviceBus: 'ok', registry: 'failed' });
    const registry = r.body.checks.find((c) => c.name === 'registry');
    expect(registry?.code).toMatch(/^[A-Za-z][A-Za-z0-9_]{1,40}$/);
    expect(Object.keys(registry ?? {}).sort()).toEqual(['code', 'name', 'status']);
    expectNoConfiguration(r.text);
  });

  it('answers 503 naming Tables and Blobs when Storage is down; liveness still answers 200', async () => {
    expect(relays.length).toBeGreaterThanOrEqual(2);
    await Promise.all(relays.map((relay) => relay.close()));
    const r = await ready();
    expect(r.status, r.text).toBe(503);
    expect(statusOf(r.body)).toMatchObject({ tables: 'failed', blobs: 'failed', serviceBus: 'ok' });
    expectNoConfiguration(r.text);
    const live = await fetch(`${host.baseUrl}/api/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', service: 'stagecraft' });
  }, 30_000);
});
