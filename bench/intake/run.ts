/**
 * Intake benchmark (issue 5) through the REAL local host as a child process (`bin/stagecraft.js start`: HTTP
 * functions, Azurite child, embedded Service Bus broker, SQLite durable engine). Build first: `npx tsc -p tsconfig.json`.
 *
 *   npx tsx bench/intake/run.ts [--count 3000] [--concurrency 32] [--latency 200] [--gap 20] [--warmup 300]
 *                               [--router on|off] [--azurite disk|memory] [--profile DIR]
 *
 * 1. Ceiling: a trivial node:http server (own process) answering 202, driven by the same client.
 * 2. Throughput: `count` distinct signed MLflow `model_version.created` webhooks (distinct delivery ids and
 *    versions of a model with no policy, so each promotion run ends after two activities: loadContext answers
 *    POLICY_NO_MODEL, writeRecord records it) over `concurrency`
 *    keep-alive connections. 202 = verified, validated, published to Service Bus, delivery id indexed, receipt written
 *    (Table writes and Service Bus sends group-committed across concurrent deliveries).
 *    Then waits (bounded) until every one of them has become a finished `promotion:<model>:<version>` instance.
 * 3. Latency: `latency` webhooks one at a time (`gap` ms apart, after the previous instance appeared). Primary
 *    figure: the instance's ExecutionStarted timestamp (ms precision, taken by the engine in startNew; same clock)
 *    minus the wall time just before the POST. Secondary: when a status poll (every 2 ms) first saw the instance.
 * `--router off` gives the workflow subscriptions a rule that never matches: intake alone, no orchestrations.
 * `--azurite memory` starts Azurite with --inMemoryPersistence (STAGECRAFT_AZURITE_PERSISTENCE=memory): no 5-second
 * autosave of its table store, which otherwise stalls a request every 5 s once it holds thousands of entities.
 * `--profile DIR` samples the host's CPU during the throughput phase only (see profiler.ts); summarize it with
 * `npx tsx bench/intake/profile-summary.ts FILE`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mlflowSignature, pythonIsoTimestamp, pythonJson } from '../../test/fakes/mlflow-webhooks';
import { freePort, REPO_ROOT, startHostProcess, type HostProcess } from '../../test/helpers/host';
import { startCeiling, type CeilingServer } from './ceiling';
import { pct, postOnce, runLoad, statusText, type LoadResult, type PreparedRequest } from './client';
import { cpuSnapshot, pidsWithArg, type CpuSnapshot } from './procstat';
import { profilerNodeOptions, waitForFile } from './profiler';

const SECRET = 'bench-intake-secret';
const MASTER_KEY = 'bench-intake-master-key';
const ROUTE = '/api/webhooks/mlflow';

function webhook(model: string, version: number): PreparedRequest {
  const deliveryId = randomUUID();
  const now = Date.now();
  const ts = String(Math.floor(now / 1000));
  const body = pythonJson({
    entity: 'model_version',
    action: 'created',
    timestamp: pythonIsoTimestamp(now),
    data: {
      name: model,
      version: String(version),
      source: `models:/m-${version}`,
      run_id: `run-${version}`,
      tags: { git_commit: 'abc123' },
      description: null,
    },
  });
  return {
    path: ROUTE,
    body: Buffer.from(body, 'utf8'),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'python-requests/2.32.3',
      'x-mlflow-delivery-id': deliveryId,
      'x-mlflow-timestamp': ts,
      'x-mlflow-signature': mlflowSignature(SECRET, deliveryId, ts, body),
    },
  };
}

function getJson(
  agent: Agent,
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, agent, method: 'GET' }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        res({ status: r.statusCode ?? 0, headers: r.headers, body });
      });
      r.on('error', rej);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('status request timed out')));
    req.on('error', rej);
    req.end();
  });
}

/** Counts instances with an id prefix (optionally only some statuses), following continuation tokens. */
async function countInstances(agent: Agent, port: number, prefix: string, statuses?: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const q = `instanceIdPrefix=${encodeURIComponent(prefix)}&top=1000&code=${MASTER_KEY}${statuses ? `&runtimeStatus=${statuses}` : ''}`;
    const r = await new Promise<{ status: number; token: string | undefined; body: string }>((res, rej) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: `/runtime/webhooks/durabletask/instances?${q}`,
          agent,
          headers: token ? { 'x-ms-continuation-token': token } : {},
        },
        (resp) => {
          const chunks: Buffer[] = [];
          resp.on('data', (c: Buffer) => chunks.push(c));
          resp.on('end', () => {
            const t = resp.headers['x-ms-continuation-token'];
            res({
              status: resp.statusCode ?? 0,
              token: Array.isArray(t) ? t[0] : t,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          resp.on('error', rej);
        },
      );
      req.on('error', rej);
      req.end();
    });
    if (r.status !== 200) throw new Error(`instance list answered ${r.status}: ${r.body.slice(0, 300)}`);
    n += (JSON.parse(r.body) as unknown[]).length;
    token = r.token;
    if (!token) return n;
  }
  return n;
}

async function drain(
  agent: Agent,
  port: number,
  prefix: string,
  expected: number,
  timeoutMs: number,
): Promise<{ ok: boolean; seconds: number; started: number; unfinished: number }> {
  const t0 = performance.now();
  let started = 0;
  let unfinished = -1;
  while (performance.now() - t0 < timeoutMs) {
    started = await countInstances(agent, port, prefix);
    unfinished = started >= expected ? await countInstances(agent, port, prefix, 'Pending,Running') : -1;
    if (started >= expected && unfinished === 0)
      return { ok: true, seconds: (performance.now() - t0) / 1000, started, unfinished };
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, seconds: (performance.now() - t0) / 1000, started, unfinished };
}

interface HistoryEventJson {
  EventType?: string;
  Timestamp?: string;
}

/** The intake service logs `ms` (handler time: verify → publish → index → receipt) per delivery id. */
function handlerMsByDelivery(logs: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.includes('intake delivery')) continue;
    const id = /deliveryId\\*"\s*:\s*\\*"([^"\\]+)/.exec(line)?.[1];
    const msText = /\\*"ms\\*"\s*:\s*(\d+)/.exec(line)?.[1];
    if (id && msText) out.set(id, Number(msText));
  }
  return out;
}

async function latencyRun(
  host: HostProcess,
  n: number,
  gapMs: number,
): Promise<{
  startMs: number[];
  visibleMs: number[];
  acceptMs: number[];
  handlerMs: number[];
  failures: string[];
  slowest: string[];
}> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const startMs: number[] = [];
  const visibleMs: number[] = [];
  const acceptMs: number[] = [];
  const failures: string[] = [];
  const deliveryIds: string[] = [];
  const slowest: Array<{ v: number; ms: number; at: string }> = [];
  const model = 'bench-intake-latency';
  try {
    for (let v = 1; v <= n; v++) {
      const req = webhook(model, v);
      deliveryIds.push(req.headers['x-mlflow-delivery-id'] ?? '');
      const id = `promotion:${model}:${v}`;
      const path = `/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}?showHistory=true&code=${MASTER_KEY}`;
      const wall0 = Date.now();
      const perf0 = performance.now();
      const answer = await postOnce(agent, host.port, req);
      acceptMs.push(performance.now() - perf0);
      if (answer.status !== 202) {
        failures.push(`v${v}: ${answer.status} ${answer.body.slice(0, 200)}`);
        continue;
      }
      let seen: number | undefined;
      let started: number | undefined;
      // Bounded: 10 s per webhook.
      while (performance.now() - perf0 < 10_000) {
        const s = await getJson(agent, host.port, path);
        if (s.status === 200 || s.status === 202) {
          seen ??= performance.now() - perf0;
          const history = (s.body as { historyEvents?: HistoryEventJson[] }).historyEvents ?? [];
          const ts = history.find((e) => e.EventType === 'ExecutionStarted')?.Timestamp;
          if (ts) {
            started = Date.parse(ts) - wall0;
            break;
          }
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      if (seen === undefined || started === undefined) {
        failures.push(`v${v}: instance ${id} not started within 10 s`);
        continue;
      }
      visibleMs.push(seen);
      startMs.push(started);
      slowest.push({ v, ms: started, at: new Date(wall0).toISOString().slice(11, 23) });
      await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    agent.destroy();
  }
  const logged = handlerMsByDelivery(host.logs());
  const handlerMs = deliveryIds.flatMap((d) => (logged.has(d) ? [logged.get(d)!] : [])).sort((a, b) => a - b);
  slowest.sort((a, b) => b.ms - a.ms);
  return {
    startMs: startMs.sort((a, b) => a - b),
    visibleMs: visibleMs.sort((a, b) => a - b),
    acceptMs: acceptMs.sort((a, b) => a - b),
    handlerMs,
    failures,
    slowest: slowest.slice(0, 5).map((s) => `v${s.v} ${s.ms} ms at ${s.at}`),
  };
}

/**
 * The repo's emulator config with every workflow subscription's rules replaced by one that never matches, so
 * nothing reaches the router: the intake path alone (verify, publish, index, receipt). The rule-less `audit`
 * subscription still stores each message, so the broker keeps doing one store per event as in the real layout.
 */
function starvedRouterConfig(dir: string): string {
  const raw = JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'servicebus', 'Config.json'), 'utf8')) as {
    UserConfig: {
      Namespaces: Array<{ Topics?: Array<{ Subscriptions?: Array<{ Name: string; Rules?: unknown[] }> }> }>;
    };
  };
  for (const ns of raw.UserConfig.Namespaces)
    for (const t of ns.Topics ?? [])
      for (const sub of t.Subscriptions ?? [])
        if (sub.Name !== 'audit')
          sub.Rules = [
            {
              Name: 'bench-never',
              Properties: { FilterType: 'Correlation', CorrelationFilter: { Label: 'bench.never.matches' } },
            },
          ];
  const file = join(dir, 'servicebus-router-off.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

function loadLine(label: string, r: LoadResult, cpu0: CpuSnapshot, cpu1: CpuSnapshot, serverLabel: string): string {
  const server = cpu1.tree - cpu0.tree;
  const client = cpu1.client - cpu0.client;
  return [
    `${label}: ${r.perSecond.toFixed(0)} accepted/s (${statusText(r.statuses, r.errors)} in ${r.seconds.toFixed(2)} s); latency under load p50 ${pct(r.latencies, 50).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms`,
    `    CPU: ${serverLabel} ${server.toFixed(2)} s (${(r.count / server).toFixed(0)} req per ${serverLabel} CPU-second, ${((server * 1000) / r.count).toFixed(2)} ms CPU per request; ` +
      `of which the main process ${(cpu1.root - cpu0.root).toFixed(2)} s, children ${(server - (cpu1.root - cpu0.root)).toFixed(2)} s), client ${client.toFixed(2)} s`,
  ].join('\n');
}

function ms(sorted: number[]): string {
  return `p50 ${pct(sorted, 50).toFixed(1)} ms, p90 ${pct(sorted, 90).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? NaN).toFixed(1)} ms (n=${sorted.length})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '3000' },
      concurrency: { type: 'string', default: '32' },
      latency: { type: 'string', default: '200' },
      gap: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '300' },
      profile: { type: 'string' },
      'drain-timeout': { type: 'string', default: '600' },
      router: { type: 'string', default: 'on' },
      azurite: { type: 'string', default: 'disk' },
    },
  });
  const count = Number(values.count);
  const concurrency = Number(values.concurrency);
  const latencyCount = Number(values.latency);
  const gap = Number(values.gap);
  const warmup = Number(values.warmup);
  const drainMs = Number(values['drain-timeout']) * 1000;
  if (values.router !== 'on' && values.router !== 'off') throw new Error('--router must be on or off');
  const routerOn = values.router === 'on';
  if (values.azurite !== 'disk' && values.azurite !== 'memory') throw new Error('--azurite must be disk or memory');
  for (const [k, v] of Object.entries({ count, concurrency, latency: latencyCount, gap, warmup, drainMs })) {
    if (!Number.isInteger(v) || v < 0 || v > 10_000_000)
      throw new Error(`--${k} must be a whole number (got ${String(v)})`);
  }

  const scratch = mkdtempSync(join(tmpdir(), 'stagecraft-intake-bench-'));
  let ceiling: CeilingServer | undefined;
  let host: HostProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    console.log(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average at start ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `settings: ${count} webhooks, ${concurrency} keep-alive connections, ${warmup} warm-up, ${latencyCount} latency samples ${gap} ms apart${values.profile ? ', host CPU profile on' : ''}${routerOn ? '' : ', ROUTER OFF (intake only: no workflow subscription matches)'}`,
    );

    // 1. Ceiling, first pass.
    ceiling = await startCeiling();
    await runLoad(
      ceiling.port,
      Array.from({ length: Math.max(warmup, 200) }, (_, i) => webhook('ceiling-warm', i + 1)),
      concurrency,
    );
    const ceilReqs = Array.from({ length: count }, (_, i) => webhook('ceiling', i + 1));
    let c0 = cpuSnapshot(ceiling.pid);
    const ceil1 = await runLoad(ceiling.port, ceilReqs, concurrency);
    let c1 = cpuSnapshot(ceiling.pid);
    console.log(loadLine('ceiling (raw node:http, pass 1)', ceil1, c0, c1, 'server'));

    // 2. The real host.
    const sbPort = await freePort();
    const env: Record<string, string> = {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ServiceBusConnection: `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
      ServiceBusTopicName: 'stagecraft-events',
      MLFLOW_WEBHOOK_SECRETS: SECRET,
      RECORDS_TABLE_PREFIX: 'Bench',
      STAGECRAFT_MASTER_KEY: MASTER_KEY,
      // Function logs stay at Information whatever this says: host.json sets "Function": "Information", and a
      // category entry beats the default this overrides. The figures include that logging.
      STAGECRAFT_LOG_LEVEL: 'information',
      // Models named bench-intake-* have no policy entry: each promotion ends after loadContext (POLICY_NO_MODEL).
      STAGECRAFT_POLICY_PATH: join(REPO_ROOT, 'stagecraft.policy.yaml'),
    };
    if (!routerOn) env['ServiceBusEmulatorConfig'] = starvedRouterConfig(scratch);
    // disk (default, as `npm start` runs it) or memory: no LokiJS autosave stall every 5 s (local-only cost).
    if (values.azurite === 'memory') env['STAGECRAFT_AZURITE_PERSISTENCE'] = 'memory';
    if (values.profile) {
      const dir = resolve(values.profile);
      mkdirSync(dir, { recursive: true });
      env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} ${profilerNodeOptions(dir)}`.trim();
    }
    const stateDir = join(scratch, 'state');
    try {
      host = await startHostProcess({ appDir: REPO_ROOT, stateDir, env, readyTimeoutMs: 120_000 });
    } catch (e) {
      // The helper leaves a host that missed its readiness deadline running: stop ours (its args name our state dir).
      for (const pid of pidsWithArg(stateDir)) process.kill(pid, 'SIGKILL');
      throw e;
    }
    const hostPid = host.child.pid;

    const warm = await runLoad(
      host.port,
      Array.from({ length: warmup }, (_, i) => webhook('bench-intake-warm', i + 1)),
      concurrency,
    );
    if ((warm.statuses.get(202) ?? 0) !== warmup)
      throw new Error(
        `warm-up: expected ${warmup} x 202, got ${statusText(warm.statuses, warm.errors)}: ${warm.samples.join(' | ')}\n${host.logs().slice(-3000)}`,
      );
    if (routerOn) {
      const warmDrain = await drain(agent, host.port, 'promotion:bench-intake-warm:', warmup, drainMs);
      if (!warmDrain.ok) throw new Error(`warm-up orchestrations did not finish: ${JSON.stringify(warmDrain)}`);
    }

    const reqs = Array.from({ length: count }, (_, i) => webhook('bench-intake-tput', i + 1));
    if (values.profile) host.child.kill('SIGUSR2');
    c0 = cpuSnapshot(hostPid);
    const hostLoad = await runLoad(host.port, reqs, concurrency);
    c1 = cpuSnapshot(hostPid);
    if (values.profile) {
      host.child.kill('SIGUSR2');
      const file = join(resolve(values.profile), `host-${String(hostPid)}-0.cpuprofile`);
      console.log(
        `  host CPU profile of the throughput phase: ${(await waitForFile(file, 30_000)) ? file : 'NOT written'}`,
      );
    }
    console.log(loadLine('host (intake-mlflow, verified + published)', hostLoad, c0, c1, 'host tree'));
    if (hostLoad.samples.length) console.log(`    non-202 samples: ${hostLoad.samples.join(' | ')}`);

    if (routerOn) {
      const d = await drain(agent, host.port, 'promotion:bench-intake-tput:', count, drainMs);
      const c2 = cpuSnapshot(hostPid);
      const e2eSeconds = hostLoad.seconds + d.seconds;
      console.log(
        `  orchestrations: ${d.started}/${count} promotion instances started and ${d.ok ? 'all finished' : `NOT all finished (${d.unfinished} pending/running)`} ${d.seconds.toFixed(1)} s after the last 202 -> ${(d.started / e2eSeconds).toFixed(0)} webhook->finished orchestration per s end to end; host tree CPU for the drain ${(c2.tree - c1.tree).toFixed(2)} s (main process ${(c2.root - c1.root).toFixed(2)} s)`,
      );
    }

    // Ceiling again, with the host idle beside it: brackets the load drift of a shared machine.
    c0 = cpuSnapshot(ceiling.pid);
    const ceil2 = await runLoad(
      ceiling.port,
      ceilReqs.map((r) => ({ ...r })),
      concurrency,
    );
    c1 = cpuSnapshot(ceiling.pid);
    console.log(loadLine('ceiling (raw node:http, pass 2)', ceil2, c0, c1, 'server'));
    const ceilBest = Math.max(ceil1.perSecond, ceil2.perSecond);
    console.log(
      `ratio host/ceiling: ${(hostLoad.perSecond / ceilBest).toFixed(3)} (${(ceilBest / hostLoad.perSecond).toFixed(1)}x slower); goal >= 3000/s -> ${(hostLoad.perSecond / 3000).toFixed(2)}x of goal`,
    );

    // 3. Latency, one at a time (needs the router).
    if (routerOn && latencyCount > 0) {
      const lat = await latencyRun(host, latencyCount, gap);
      console.log(`webhook POST -> 202:                                             ${ms(lat.acceptMs)}`);
      if (lat.handlerMs.length)
        console.log(`  of which the intake handler (its own log field ms):       ${ms(lat.handlerMs)}`);
      console.log(
        `webhook POST -> orchestration start (ExecutionStarted timestamp): ${ms(lat.startMs)}; goal p99 <= 50 ms -> ${(50 / pct(lat.startMs, 99)).toFixed(2)}x headroom`,
      );
      console.log(`webhook POST -> instance visible (2 ms status polls):            ${ms(lat.visibleMs)}`);
      console.log(`  slowest starts: ${lat.slowest.join(', ')}`);
      if (lat.failures.length)
        console.log(`latency failures (${lat.failures.length}): ${lat.failures.slice(0, 5).join(' | ')}`);
    }
    console.log(
      `load average at end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    agent.destroy();
    if (host) {
      const code = await host.stop(30_000);
      if (code !== 0 && code !== null) console.error(`host exited with code ${code}\n${host.logs().slice(-2000)}`);
    }
    if (ceiling) await ceiling.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
