/**
 * Bounded fuzzing of the intake through the real local host running this app (Azurite, Service Bus emulator,
 * durable engine), loopback only: 2,000 requests from a seeded PRNG — correctly signed deliveries whose fields are
 * replaced by hostile values (lone surrogates, NUL, very long strings, wrong types), unsigned and tampered ones,
 * wrong content types, form bodies, garbage bytes and bodies over the limit. The host must never answer 5xx
 * (a 5xx makes providers retry forever) and its memory must stay bounded.
 * A failure prints the seed and the request that broke it; FUZZ_SEED reproduces a run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';
import * as fx from './fixtures';
import { BASE_ENV, SECRETS, adoHeaders, databricksHeaders, githubHeaders, jobsHeaders, mlflowHeaders } from './helpers';

const SEED = Number(process.env['FUZZ_SEED'] ?? 1337);
const REQUESTS = 2_000;
const CONCURRENCY = 8;
const FUNCTION_KEY = 'fuzz-function-key';
const MAX_BODY = 65_536; // BASE_ENV INTAKE_MAX_BODY_BYTES
const MiB = 1024 * 1024;

/** mulberry32: small, seedable, good enough to pick cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Source =
  'mlflow' | 'databricks' | 'github' | 'azure-devops' | 'azure-monitor' | 'drift' | 'cloudevents' | 'databricks-jobs';

const ROUTES: Record<Source, string> = {
  mlflow: '/api/webhooks/mlflow',
  databricks: '/api/webhooks/databricks',
  github: '/api/webhooks/github',
  'azure-devops': '/api/webhooks/azure-devops',
  'azure-monitor': '/api/alerts/azure-monitor',
  drift: '/api/events/drift',
  cloudevents: '/api/events',
  'databricks-jobs': '/api/webhooks/databricks-jobs',
};

const BASES: Record<Source, unknown[]> = {
  mlflow: [fx.mlflowVersionCreated, fx.mlflowAliasCreated, fx.mlflowTagSet, fx.mlflowRegisteredModel],
  databricks: [fx.databricksTransitioned, fx.databricksVersionCreated, fx.databricksTagSet],
  github: [fx.githubPrMerged, fx.githubPushMain, fx.githubPing],
  'azure-devops': [fx.adoPrCompleted, fx.adoPushRelease],
  'azure-monitor': [fx.azureMonitorFired],
  drift: [fx.driftGeneric, fx.driftLakehouse],
  cloudevents: [fx.retrainCloudEvent, fx.promoteCloudEvent, fx.jobFinishedCloudEvent],
  'databricks-jobs': [fx.jobsOnSuccess],
};

const HOSTILE: unknown[] = [
  'x\ud800y',
  '\udc00',
  'a\u0000b',
  '\u0007bell',
  'm'.repeat(1000),
  'n'.repeat(20_000),
  '',
  ' ',
  '%',
  '%zz',
  '/',
  '../..',
  '#?\\',
  '😀'.repeat(300),
  'ü'.repeat(800),
  '\u202eRTL',
  'null',
  0,
  -1,
  1e308,
  2 ** 64,
  true,
  null,
  [],
  {},
  ['a'],
  { name: 'x' },
];

interface FuzzRequest {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function leafPaths(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (Array.isArray(value)) value.forEach((v, i) => leafPaths(v, [...path, String(i)], out));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) leafPaths(v, [...path, k], out);
  else out.push(path);
  return out;
}

function mutate(base: unknown, rand: () => number): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const edits = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < edits; i++) {
    const paths = leafPaths(copy);
    if (paths.length === 0) break;
    const path = pick(paths);
    let cur = copy;
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
    const last = path[path.length - 1]!;
    const r = rand();
    if (r < 0.75) cur[last] = pick(HOSTILE);
    else if (r < 0.9) delete cur[last];
    else cur[`${last}\ud83d`] = pick(HOSTILE); // a key ending in half a surrogate pair
  }
  return copy;
}

function sign(source: Source, body: string, rand: () => number): { headers: Record<string, string>; query: string } {
  const now = Math.floor(Date.now() / 1000);
  switch (source) {
    case 'mlflow':
      return {
        headers: mlflowHeaders(body, { timestamp: now, deliveryId: `fz-${Math.floor(rand() * 1e9)}` }),
        query: '',
      };
    case 'databricks':
      return { headers: databricksHeaders(body), query: '' };
    case 'github':
      return {
        headers: githubHeaders(body, rand() < 0.5 ? 'pull_request' : 'push', {
          delivery: `fz-${Math.floor(rand() * 1e9)}`,
        }),
        query: '',
      };
    case 'azure-devops':
      return { headers: adoHeaders(), query: '' };
    case 'azure-monitor':
      return { headers: { 'Content-Type': 'application/json' }, query: `?key=${SECRETS.azureMonitor}` };
    case 'drift':
      return {
        headers: {
          'Content-Type': 'application/json',
          'X-Stagecraft-Key': SECRETS.drift,
          'x-functions-key': FUNCTION_KEY,
        },
        query: '',
      };
    case 'cloudevents':
      return {
        headers: {
          'Content-Type': 'application/cloudevents+json',
          'X-Stagecraft-Key': 'ce-key',
          'x-functions-key': FUNCTION_KEY,
        },
        query: '',
      };
    case 'databricks-jobs':
      return { headers: jobsHeaders(), query: '' };
  }
}

function generate(rand: () => number): FuzzRequest {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const source = pick(Object.keys(ROUTES) as Source[]);
  const path = ROUTES[source];
  const r = rand();
  if (r < 0.6) {
    // Correctly signed, hostile fields.
    const body = JSON.stringify(mutate(pick(BASES[source]), rand));
    const s = sign(source, body, rand);
    return { what: `signed mutated ${source}`, method: 'POST', path: `${path}${s.query}`, headers: s.headers, body };
  }
  if (r < 0.7) {
    // Signed, but not JSON, or JSON that is not an object.
    const body = pick([
      '',
      'null',
      '[]',
      '0',
      '"x"',
      '{',
      '\u0000\u0001',
      '{"a":"\\ud800"}',
      '[{"specversion":"1.0"}]',
      '{"a":'.repeat(5000),
    ]);
    const s = sign(source, body, rand);
    return { what: `signed garbage ${source}`, method: 'POST', path: `${path}${s.query}`, headers: s.headers, body };
  }
  if (r < 0.78) {
    // Signed with a content type the endpoint does not take (form bodies included).
    const json = JSON.stringify(pick(BASES[source]));
    const form = rand() < 0.5;
    const body = form ? `payload=${encodeURIComponent(json)}` : json;
    const s = sign(source, body, rand);
    return {
      what: `signed ${form ? 'form' : 'text/plain'} ${source}`,
      method: 'POST',
      path: `${path}${s.query}`,
      headers: { ...s.headers, 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'text/plain' },
      body,
    };
  }
  if (r < 0.9) {
    // Unsigned or tampered.
    const body = JSON.stringify(mutate(pick(BASES[source]), rand));
    const s = sign(source, `${body} `, rand);
    return {
      what: `tampered ${source}`,
      method: 'POST',
      path: `${path}${rand() < 0.5 ? s.query : ''}`,
      headers: rand() < 0.5 ? s.headers : { 'Content-Type': 'application/json' },
      body,
    };
  }
  if (r < 0.93) {
    // Over the intake limit (the host's own limit is far above).
    const body = Buffer.alloc(MAX_BODY + 1 + Math.floor(rand() * MiB), 0x20);
    return {
      what: `oversized ${source}`,
      method: 'POST',
      path,
      headers: { 'Content-Type': 'application/json', ...sign(source, '', rand).headers },
      body,
    };
  }
  if (r < 0.96) {
    // CloudEvents binary mode with hostile ce-* headers (percent-encoded, malformed escapes).
    const id = pick(['%', '%E0%A4%A', '%C3%BC', 'a%2Fb', 'x'.repeat(300), '%ED%A0%80']);
    return {
      what: 'binary cloudevent',
      method: 'POST',
      path: '/api/events',
      headers: {
        'Content-Type': 'application/json',
        'ce-specversion': '1.0',
        'ce-type': 'io.stagecraft.job.finished',
        'ce-source': pick(['/a', '%', '/x%20y']),
        'ce-id': id,
        'X-Stagecraft-Key': 'ce-key',
        'x-functions-key': FUNCTION_KEY,
      },
      body: JSON.stringify(mutate(fx.jobFinishedCloudEvent.data, rand)),
    };
  }
  // Odd routes and queries.
  const odd = pick([
    { path: `/api/runs?code=${FUNCTION_KEY}`, method: 'GET' },
    { path: `/api/runs?code=${FUNCTION_KEY}&dupe=1&dupe=2`, method: 'GET' },
    { path: `/api/runs/%ED%A0%80?code=${FUNCTION_KEY}`, method: 'GET' },
    { path: '/api/webhooks/%ZZ', method: 'POST' },
    { path: '/api/nope', method: 'GET' },
    { path: `${path}?key=%ED%A0%80`, method: 'POST' },
  ]);
  return {
    what: `odd ${odd.path}`,
    method: odd.method,
    path: odd.path,
    headers: {},
    ...(odd.method === 'POST' ? { body: '{}' } : {}),
  };
}

function rssBytes(pid: number | undefined): number | undefined {
  const status = `/proc/${String(pid)}/status`;
  if (pid === undefined || !existsSync(status)) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

let host: HostProcess;

beforeAll(async () => {
  // Service Bus on a free port and storage on the run's shared Azurite (test/helpers/host.ts defaults for this app).
  const { ServiceBusConnection: _ignored, AzureWebJobsStorage: _storage, ...env } = BASE_ENV;
  host = await startHostProcess({
    appDir: REPO_ROOT,
    env: {
      ...env,
      CLOUDEVENTS_KEYS: 'ce-key',
      STAGECRAFT_FUNCTION_KEY: FUNCTION_KEY,
      STAGECRAFT_MASTER_KEY: 'fuzz-master-key',
      RECORDS_TABLE_PREFIX: 'Fuzz',
      REPORTS_CONTAINER: 'fuzz-reports',
      MLFLOW_TRACKING_URI: '',
      RECONCILER_MODELS: '',
    },
    readyTimeoutMs: 90_000,
  });
}, 120_000);

afterAll(async () => {
  await host?.stop();
});

describe('intake fuzzing through the real local host', () => {
  it(`answers ${REQUESTS} seeded hostile requests (seed ${SEED}) without a single 5xx, with bounded memory`, async () => {
    const rand = prng(SEED);
    const requests = Array.from({ length: REQUESTS }, () => generate(rand));
    const statuses = new Map<number, number>();
    const fiveXx: string[] = [];
    let next = 0;
    let baseline: number | undefined;
    let peak = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        const req = requests[i];
        if (req === undefined) return;
        if (i === 200) baseline = rssBytes(host.child.pid); // after warm-up (modules loaded, clients connected)
        const res = await fetch(`${host.baseUrl}${req.path}`, {
          method: req.method,
          headers: req.headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
        }).catch((e: unknown) => ({ status: 0, text: () => Promise.resolve(String(e)) }));
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 || res.status === 0)
          fiveXx.push(`#${i} ${req.what} ${req.method} ${req.path} → ${res.status} ${text.slice(0, 300)}`);
        if (i % 100 === 0) peak = Math.max(peak, rssBytes(host.child.pid) ?? 0);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    const after = rssBytes(host.child.pid);
    expect(fiveXx, `seed ${SEED}; status counts ${JSON.stringify([...statuses])}`).toEqual([]);
    // Every kind of answer was exercised, so the run is not vacuous.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(20);
    expect(statuses.get(413) ?? 0).toBeGreaterThan(10);
    expect(statuses.get(415) ?? 0).toBeGreaterThan(10);
    if (baseline !== undefined && after !== undefined) {
      expect(Math.max(after, peak) - baseline, `RSS grew from ${baseline} to ${after} (peak ${peak})`).toBeLessThan(
        256 * MiB,
      );
    }
  }, 300_000);

  it('accepts the documented key parameter on the runs API: GET /api/runs?code=<function key> is 200', async () => {
    const res = await fetch(`${host.baseUrl}/api/runs?code=${FUNCTION_KEY}`);
    expect(res.status).toBe(200);
  });
});
