/**
 * Durable engine benchmark, in-process: a real LocalHost (HTTP listener, durable extension, SQLite WAL task hub in
 * a temp state dir) runs bench/durable/app; instances are started through the public HTTP API like a client would.
 * Each figure is printed beside a raw SQLite commit rate measured in the same run on the same disk.
 *
 *   npx tsx bench/durable/run.ts            (full run)
 *   BENCH_QUICK=1 npx tsx bench/durable/run.ts
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { LocalHost } from '../../devhost/host/host';
import { createLogger } from '../../devhost/host/logger';
import type { DurableExtension } from '../../devhost/durable/extension';
import type { DurableEngine } from '../../devhost/durable/engine';

/** The local Durable HTTP API needs the host's master key. */
const MASTER_KEY = 'bench-durable-master-key-0123456789';

const QUICK = process.env['BENCH_QUICK'] === '1';
/** Comma list of parts to run (a,b,c,d,e); default all. */
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'a,b,c,d,e').split(','));
// The app is plain JS next to this file (also when run compiled from dist/bench/durable).
const APP = existsSync(join(__dirname, 'app'))
  ? join(__dirname, 'app')
  : join(__dirname, '..', '..', '..', 'bench', 'durable', 'app');

function rawCommitRate(dir: string, ms = 1000): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const tx = db.transaction((v: string) => ins.run(v));
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    tx('{"EventType":5,"Result":"\\"Hello Tokyo\\""}');
    n++;
  }
  db.close();
  return n / (ms / 1000);
}

/** CPU seconds (user+system) this process used since `since`: a load-independent cost figure on a shared machine. */
function cpuSecs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function start(base: string, name: string, input: unknown, id?: string): Promise<string> {
  const res = await fetch(`${base}/runtime/webhooks/durabletask/orchestrators/${name}${id ? `/${id}` : ''}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: {
      'content-type': 'application/json',
      'x-functions-key': process.env['STAGECRAFT_MASTER_KEY'] ?? MASTER_KEY,
    },
  });
  if (res.status !== 202) throw new Error(`start ${name}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'durable-bench-'));
  process.env['STAGECRAFT_MASTER_KEY'] ??= MASTER_KEY;
  const host = new LocalHost({
    appDir: APP,
    port: 0,
    stateDir,
    azurite: false,
    logger: createLogger({ minLevel: 'warning' }),
  });
  await host.start();
  const ext = host.context!.getExtension<DurableExtension>('durable')!;
  const engine: DurableEngine = ext.engine!;
  const base = host.baseUrl;
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    process.stdout.write(s + '\n');
  };
  say(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${process.platform}; load average at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  say('mode: in-process LocalHost (HTTP API for starts, SQLite WAL synchronous=NORMAL, group commit)');

  const raw = rawCommitRate(stateDir);
  say(`raw SQLite commit rate (1 small insert per transaction): ${raw.toFixed(0)} commits/s`);

  // warm-up
  await engine.waitForCompletion(await start(base, 'HelloSequence5', null), 10_000);

  // (a) HelloSequence5 × N started at once
  if (ONLY.has('a')) {
    const n = QUICK ? 200 : 1000;
    const c0 = engine.getStats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // All starts are issued at once through a pool of 64 keep-alive connections (1000 sockets at once exhaust the listen backlog).
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < n) {
          next++;
          ids.push(await start(base, 'HelloSequence5', null));
        }
      }),
    );
    await Promise.all(ids.map((id) => engine.waitForCompletion(id, 120_000)));
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSecs(cpu0);
    const c1 = engine.getStats();
    const commits = c1.commits - c0.commits;
    say(
      `(a) HelloSequence5 x${n} started at once: ${(n / secs).toFixed(0)} orchestrations/s wall (${secs.toFixed(2)} s), ${(n / cpu).toFixed(0)} per CPU-second (${cpu.toFixed(2)} CPU-s incl. the HTTP client); ${c1.episodes - c0.episodes} episodes, ${commits} SQLite commits = ${(commits / secs).toFixed(0)} commits/s, ${((c1.writes - c0.writes) / Math.max(1, commits)).toFixed(1)} writes/commit; goal >= 300/s`,
    );
  }

  // (b) one instance fanning out N activities
  if (ONLY.has('b')) {
    const n = 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const id = await start(base, 'FanOut', { count: n });
    await engine.waitForCompletion(id, 120_000);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSecs(cpu0);
    say(
      `(b) one instance fanning out ${n} activities: ${(n / secs).toFixed(0)} activities/s wall (${secs.toFixed(2)} s), ${(n / cpu).toFixed(0)} per CPU-second; goal >= 2000/s`,
    );
  }

  // (c) one instance, 200 sequential activities
  if (ONLY.has('c')) {
    const n = 200;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const id = await start(base, 'Sequential', { count: n });
    await engine.waitForCompletion(id, 120_000);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSecs(cpu0);
    say(
      `(c) one instance, ${n} sequential activities: ${(n / secs).toFixed(0)} activities/s wall (${secs.toFixed(2)} s), ${(n / cpu).toFixed(0)} per CPU-second; goal >= 500/s`,
    );
  }

  // (d) latency startNew → first activity start, idle host
  if (ONLY.has('d')) {
    const runs = QUICK ? 50 : 300;
    const samples: number[] = [];
    let pending: { id: string; t0: number; resolve: (ms: number) => void } | undefined;
    engine.onActivityStart = (instanceId) => {
      if (pending && instanceId === pending.id) {
        const p = pending;
        pending = undefined;
        p.resolve(performance.now() - p.t0);
      }
    };
    for (let i = 0; i < runs; i++) {
      const id = `lat-${i}`;
      const first = new Promise<number>((resolve) => (pending = { id, t0: performance.now(), resolve }));
      await start(base, 'HelloSequence5', null, id);
      samples.push(await first);
      await engine.waitForCompletion(id, 10_000);
    }
    engine.onActivityStart = undefined;
    samples.sort((x, y) => x - y);
    say(
      `(d) startNew -> first activity start (idle host, ${runs} runs): p50 ${pct(samples, 50).toFixed(2)} ms, p99 ${pct(samples, 99).toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms (goal p99 <= 25 ms)`,
    );
  }

  // (e) replay cost vs history length: orchestrator call time per episode of one long sequence
  if (ONLY.has('e')) {
    const n = QUICK ? 200 : 800;
    const buckets = new Map<number, number[]>();
    engine.onEpisode = (len, ms) => {
      const b = len < 100 ? 100 : len < 400 ? 400 : len < 1600 ? 1600 : 3200;
      const list = buckets.get(b) ?? [];
      list.push(ms);
      buckets.set(b, list);
    };
    const t0 = performance.now();
    const id = await start(base, 'Sequential', { count: n });
    await engine.waitForCompletion(id, 300_000);
    const secs = (performance.now() - t0) / 1000;
    engine.onEpisode = undefined;
    say(`(e) replay cost, one ${n}-activity sequence (${(n / secs).toFixed(0)} activities/s overall):`);
    let prev = 0;
    for (const [b, list] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) {
      const avg = list.reduce((s, x) => s + x, 0) / list.length;
      say(
        `    history < ${String(b).padStart(4)} events: ${avg.toFixed(3)} ms per orchestrator call (${list.length} calls)${prev ? `, x${(avg / prev).toFixed(1)} vs previous bucket` : ''}`,
      );
      prev = avg;
    }
  }

  say(
    `raw SQLite commit rate (end of run): ${rawCommitRate(stateDir).toFixed(0)} commits/s; load average at end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await host.stop(5000);
  rmSync(stateDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
