/**
 * Measures what one promotion and one drift alert cost in platform operations, against the real local host (the
 * unmodified app, the SQLite durable engine, the embedded Service Bus emulator) with Azurite behind a counting HTTP
 * proxy and the MLflow fake. Feeds the defaults of scripts/cost-model.ts; figures go to bench/RESULTS.md.
 *
 *   npm run build && npx tsx scripts/cost-measure.ts [--promotions 3] [--drifts 3]
 *
 * Counted:
 * - function executions and their summed duration, per function, from the host's `Executed 'Functions.X'
 *   (Succeeded|Failed, Id=..., Duration=Nms)` lines (every trigger: HTTP, Service Bus, orchestrator, activity, entity);
 * - storage requests (records tables, reports blobs) the app makes, per service, at the proxy;
 * - log volume (bytes and lines the host wrote, information level), a proxy for Application Insights ingestion;
 * - Service Bus messages: deliveries = executions of the route-* functions; publishes = events the intake and the
 *   workflows sent to the topic (each publish fans out to the matching subscriptions plus `audit`).
 * Not measurable locally: the durable backend's own storage traffic in Azure (the local engine is SQLite); the cost
 * model estimates it from the orchestrator and activity executions counted here (its assumptions say how).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeEvent, EVENT_TYPES } from '../shared/events';
import {
  decide,
  finished,
  pendingApproval,
  startEnv,
  startHost,
  stopEnv,
  until,
  type Env,
} from '../test/promotion/harness';
import type { HostProcess } from '../test/helpers/host';
import { instanceIdFor } from '../shared/router/instance-id';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const PROMOTIONS = arg('promotions', 3);
const DRIFTS = arg('drifts', 3);
const FUNCTION_KEY = 'cost-measure-function-key-0123456789';
const INTAKE_KEY = 'cost-measure-intake-key-0123456789';
const users = ['alice@contoso.com', 'bob@contoso.com'];

interface Counter {
  requests: Map<string, number>;
}

function countingProxy(target: number, service: string, counter: Counter): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = `${service} ${req.method ?? '?'}${(req.url ?? '').includes('$batch') ? ' batch' : ''}`;
    counter.requests.set(key, (counter.requests.get(key) ?? 0) + 1);
    const up = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: {
      notify: ['hook'],
      approval: { required: true, approvers: { users }, minApprovals: 1, excludeAuthor: true, deadline: '5m' },
    },
    models: {
      fraud: {
        validations: {
          tags: { type: 'required-tags', tags: ['git_commit'] },
          quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] },
          'vs-champion': { type: 'champion', rules: [{ metric: 'roc_auc', direction: 'higher', maxRegression: 0.01 }] },
          files: { type: 'artifacts', paths: ['model/MLmodel'] },
        },
      },
    },
  };
}

interface Snapshot {
  executions: Map<string, { count: number; ms: number }>;
  storage: Map<string, number>;
  logBytes: number;
  logLines: number;
}

function executions(logs: string): Map<string, { count: number; ms: number }> {
  const out = new Map<string, { count: number; ms: number }>();
  for (const m of logs.matchAll(
    /Executed 'Functions\.([^']+)' \((?:Succeeded|Failed), Id=[^,]+, Duration=(\d+(?:\.\d+)?)ms\)/g,
  )) {
    const e = out.get(m[1]!) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += Number(m[2]);
    out.set(m[1]!, e);
  }
  return out;
}

function diff(a: Snapshot, b: Snapshot, n: number) {
  const ex: Record<string, { perEvent: number; msPerEvent: number }> = {};
  for (const [k, v] of b.executions) {
    const before = a.executions.get(k) ?? { count: 0, ms: 0 };
    if (v.count > before.count)
      ex[k] = { perEvent: (v.count - before.count) / n, msPerEvent: Math.round((v.ms - before.ms) / n) };
  }
  const st: Record<string, number> = {};
  for (const [k, v] of b.storage) if (v > (a.storage.get(k) ?? 0)) st[k] = (v - (a.storage.get(k) ?? 0)) / n;
  return {
    executions: ex,
    storage: st,
    logBytesPerEvent: Math.round((b.logBytes - a.logBytes) / n),
    logLinesPerEvent: Math.round((b.logLines - a.logLines) / n),
  };
}

async function quiet(host: HostProcess): Promise<void> {
  // Until no new execution for 3 s (timers such as the reconciler are off: RECONCILER_MODELS empty).
  let last = -1;
  await until(
    'the host to be quiet',
    async () => {
      const n = [...executions(host.logs()).values()].reduce((s, e) => s + e.count, 0);
      if (n === last) return true;
      last = n;
      await new Promise((r) => setTimeout(r, 3000));
      return false;
    },
    120_000,
  );
}

async function main(): Promise<void> {
  let env: Env | undefined;
  let host: HostProcess | undefined;
  const proxies: Server[] = [];
  try {
    env = await startEnv((hook) => policy(hook));
    const counter: Counter = { requests: new Map() };
    const blob = await countingProxy(env.azurite.blobPort, 'blob', counter);
    const table = await countingProxy(env.azurite.tablePort, 'table', counter);
    proxies.push(blob, table);
    env.hostEnv['AzureWebJobsStorage'] = env.hostEnv['AzureWebJobsStorage']!.replace(
      `:${env.azurite.blobPort}/`,
      `:${(blob.address() as AddressInfo).port}/`,
    ).replace(`:${env.azurite.tablePort}/`, `:${(table.address() as AddressInfo).port}/`);
    env.hostEnv['STAGECRAFT_FUNCTION_KEY'] = FUNCTION_KEY;
    env.hostEnv['CLOUDEVENTS_KEYS'] = INTAKE_KEY;
    env.hostEnv['DRIFT_WEBHOOK_KEYS'] = INTAKE_KEY;
    host = await startHost(env);
    const snap = (): Snapshot => {
      const logs = host!.logs();
      return {
        executions: executions(logs),
        storage: new Map(counter.requests),
        logBytes: Buffer.byteLength(logs),
        logLines: logs.split('\n').length,
      };
    };
    await quiet(host);

    const seed = (v: string) => {
      const run = env!.mlflow.seedRun({
        metrics: { accuracy: 0.95, roc_auc: 0.95 + Number(v) / 1000 },
        artifacts: ['model/MLmodel'],
        tags: {},
      });
      env!.mlflow.seedVersion('fraud', {
        version: v,
        runId: run.run_id,
        source: `runs:/${run.run_id}/model`,
        userId: 'dave@contoso.com',
        tags: { git_commit: `c${v}` },
        ...(v === '1' ? { aliases: ['champion'] } : {}),
      });
    };
    seed('1');
    const before = snap();
    for (let i = 0; i < PROMOTIONS; i++) {
      const version = String(i + 2);
      seed(version);
      const event = makeEvent(
        EVENT_TYPES.modelVersionCreated,
        {
          model: { name: 'fraud', version },
          source: null,
          runId: null,
          tags: {},
          description: null,
          registry: 'mlflow',
          occurredAt: new Date().toISOString(),
        },
        { source: '/cost-measure', time: new Date().toISOString() },
      );
      const res = await fetch(`${host.baseUrl}/api/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json',
          'x-functions-key': FUNCTION_KEY,
          'x-stagecraft-key': INTAKE_KEY,
        },
        body: JSON.stringify(event),
      });
      if (res.status >= 300) throw new Error(`event refused: ${res.status} ${await res.text()}`);
      const approval = await pendingApproval(host, 'fraud', 90_000);
      const d = await decide(host, String(approval['id']), 'bob@contoso.com', 'approve');
      if (d.status !== 200) throw new Error(`decision failed: ${d.status} ${JSON.stringify(d.json)}`);
      const done = await finished(host, instanceIdFor('promotion', 'fraud', version));
      if (done.runtimeStatus !== 'Completed')
        throw new Error(`promotion ${version}: ${done.runtimeStatus} ${JSON.stringify(done.output)}`);
    }
    await quiet(host);
    const afterPromotions = snap();
    for (let i = 0; i < DRIFTS; i++) {
      const body = {
        model: 'fraud',
        tool: 'cost-measure',
        ref: `drift-${i}`,
        severity: 'Sev3',
        feature: 'amount',
        metric: 'js_distance',
        value: 0.4,
        threshold: 0.2,
        detectedAt: new Date(Date.now() + i * 1000).toISOString(),
      };
      const res = await fetch(`${host.baseUrl}/api/events/drift`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-functions-key': FUNCTION_KEY,
          'x-stagecraft-key': INTAKE_KEY,
        },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`drift refused: ${res.status} ${await res.text()}`);
    }
    await quiet(host);
    const afterDrifts = snap();
    const result = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      promotions: PROMOTIONS,
      drifts: DRIFTS,
      perPromotion: diff(before, afterPromotions, PROMOTIONS),
      perDrift: diff(afterPromotions, afterDrifts, DRIFTS),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await host?.stop();
    for (const p of proxies)
      await new Promise<void>((r) => {
        p.closeAllConnections();
        p.close(() => r());
      });
    await stopEnv(env);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
