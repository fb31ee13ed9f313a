/**
 * Host start-up to first served request: spawn `stagecraft start` (as a user would), poll an HTTP route every 10 ms
 * until it answers 200, then SIGTERM and wait for exit. Fresh state dir and port per run.
 *
 *   npx tsx bench/startup/run.ts [--runs 10] [--skip-azurite]
 *
 * Prints p50/p90 per scenario and the machine (CPU count, model, Node, load average — start-up is CPU-bound, so a
 * busy machine moves these figures a lot).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'devhost', 'test', 'host', 'fixtures');

interface Scenario {
  name: string;
  appDir: string;
  route: string;
  args: string[];
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * CPU time (user + system, ms) a process and its live children have used, from /proc (Linux; CLK_TCK = 100).
 * Unlike wall time this hardly moves with machine load, so it is the figure to compare across runs.
 */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) * 10;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return own + children.reduce((sum, c) => sum + cpuMs(c), 0);
  } catch {
    return NaN;
  }
}

async function once(s: Scenario): Promise<{ firstRequestMs: number; cpuMs: number; stopMs: number }> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'stagecraft-bench-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'stagecraft.js'),
      'start',
      '--app',
      s.appDir,
      '--port',
      String(port),
      '--state',
      stateDir,
      ...s.args,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STAGECRAFT_LOG_LEVEL: 'warning' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  let firstRequestMs = 0;
  let cpu = NaN;
  for (;;) {
    if (done) throw new Error(`host exited before serving: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${s.route}`);
      await res.arrayBuffer();
      if (res.status === 200) {
        firstRequestMs = performance.now() - started;
        cpu = child.pid ? cpuMs(child.pid) : NaN;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const stopStarted = performance.now();
  child.kill('SIGTERM');
  const code = await exited;
  const stopMs = performance.now() - stopStarted;
  if (code !== 0) throw new Error(`host exited with ${String(code)}: ${stderr}`);
  rmSync(stateDir, { recursive: true, force: true });
  return { firstRequestMs, cpuMs: cpu, stopMs };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runsIdx = argv.indexOf('--runs');
  const runs = runsIdx >= 0 ? Number(argv[runsIdx + 1]) : 10;
  const scenarios: Scenario[] = [
    {
      name: 'sample app (18 functions: HTTP + timers), --no-azurite',
      appDir: join(FIXTURES, 'sample-app'),
      route: '/api/items/1',
      args: ['--no-azurite'],
    },
  ];
  if (!argv.includes('--skip-azurite')) {
    scenarios.push({
      name: 'storage app with Azurite (Blob+Queue+Table child)',
      appDir: join(FIXTURES, 'azurite-app'),
      route: '/api/storage-info',
      args: [],
    });
  }
  const cpu = cpus();
  console.log(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const p50s: number[] = [];
  for (const s of scenarios) {
    await once(s); // warm the file cache; not counted
    const first: number[] = [];
    const cpu: number[] = [];
    const stop: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await once(s);
      first.push(r.firstRequestMs);
      cpu.push(r.cpuMs);
      stop.push(r.stopMs);
    }
    for (const list of [first, cpu, stop]) list.sort((a, b) => a - b);
    p50s.push(pct(first, 50));
    console.log(
      `${s.name}: start-up to first served request p50 ${pct(first, 50).toFixed(0)} ms, p90 ${pct(first, 90).toFixed(0)} ms, ` +
        `min ${first[0]!.toFixed(0)} ms, max ${first[first.length - 1]!.toFixed(0)} ms (n=${runs}); ` +
        `CPU used by then (host + children) p50 ${pct(cpu, 50).toFixed(0)} ms, p90 ${pct(cpu, 90).toFixed(0)} ms; SIGTERM to exit p50 ${pct(stop, 50).toFixed(0)} ms`,
    );
  }
  if (p50s.length === 2)
    console.log(
      `Azurite adds ${(p50s[1]! - p50s[0]!).toFixed(0)} ms at p50 (ratio ${(p50s[1]! / p50s[0]!).toFixed(2)}x)`,
    );
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
