/**
 * Console runs view at scale: records 10,000 runs (instances of the app's workflows, terminal statuses, created over
 * the last 7 days) straight into a fresh local host's durable store, starts the host (`stagecraft start`), and in
 * Debian's headless chromium measures (a) the runs API answer for a page of 50 with counts and time buckets and
 * (b) the runs view render: navigation to 50 rendered rows, and a filter change to re-rendered rows. Prints
 * medians over `--runs` repetitions and the machine.
 *
 *   npx tsx bench/console/run.ts [--runs 5] [--count 10000]
 *
 * Needs a build (`npm run build`) and /usr/bin/chromium.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { hubDbPath } from '../../devhost/durable/extension';
import { SqliteStore } from '../../devhost/durable/store';

const ROOT = resolve(__dirname, '..', '..');
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const RUNS = arg('runs', 5);
const COUNT = arg('count', 10_000);
const KEY = 'bench-operator-key-0123456789';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function seed(stateDir: string): void {
  mkdirSync(join(stateDir, 'durable'), { recursive: true });
  const store = new SqliteStore(hubDbPath(stateDir, 'StagecraftHub'));
  const workflows = [
    'modelPromotion',
    'ciPipeline',
    'retrainingRun',
    'modelRollback',
    'releaseDeployment',
    'scheduledJob',
  ];
  const statuses = ['Completed', 'Completed', 'Completed', 'Failed', 'Terminated'] as const;
  const now = Date.now();
  store.transaction(() => {
    for (let i = 0; i < COUNT; i++) {
      const name = workflows[i % workflows.length]!;
      const model = `model-${i % 40}`;
      const created = now - Math.floor((i / COUNT) * 7 * 86_400_000);
      store.upsertInstance({
        instanceId: `${name === 'modelPromotion' ? 'promotion' : name}:${model}:${i}`,
        name,
        version: '',
        executionId: `e${i}`,
        status: statuses[i % statuses.length]!,
        input: JSON.stringify({ model }),
        output: JSON.stringify({ outcome: 'done' }),
        customStatus: JSON.stringify({ step: 'done', model }),
        createdAt: created,
        updatedAt: created + 30_000,
        parent: null,
      });
    }
  });
  store.close();
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'stagecraft-bench-console-'));
  seed(stateDir);
  const port = await freePort();
  const sbPort = await freePort();
  const host = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'stagecraft.js'), 'start', '--app', ROOT, '--port', String(port), '--state', stateDir],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        STAGECRAFT_APPROVER_KEYS: `ops@contoso.com=${KEY}`,
        STAGECRAFT_USER_ROLES: 'operator=ops@contoso.com',
        ServiceBusTopicName: 'stagecraft-events',
        ServiceBusConnection: `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  host.stdout.on('data', (b: Buffer) => (out += b.toString()));
  host.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    for (let i = 0; !out.includes('Host started'); i++) {
      if (i > 1200 || host.exitCode !== null) throw new Error(`host did not start:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const api: number[] = [];
    const first: number[] = [];
    const filter: number[] = [];
    let total = 0;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/console/api/runs?limit=50`, { headers: { 'x-stagecraft-key': KEY } });
      total = ((await res.json()) as { total: number }).total;
      api.push(performance.now() - t0);
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await context.addInitScript(`sessionStorage.setItem('stagecraft-identity-key', ${JSON.stringify(KEY)})`);
      const page = await context.newPage();
      const t1 = performance.now();
      await page.goto(`${base}/api/console/#/runs`);
      await page.locator('table.runs tbody tr').nth(49).waitFor();
      first.push(performance.now() - t1);
      const t2 = performance.now();
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash =
          '#/runs?workflow=modelPromotion&status=Failed';
      });
      await page.waitForFunction(() => {
        const d = (
          globalThis as unknown as {
            document: { querySelectorAll: (s: string) => ArrayLike<{ textContent: string | null }> };
          }
        ).document;
        const rows = d.querySelectorAll('table.runs tbody tr td:nth-child(4)');
        return rows.length > 0 && Array.from(rows).every((c) => c.textContent === 'Failed');
      });
      filter.push(performance.now() - t2);
      await context.close();
    }
    const cpu = cpus();
    console.log(`runs recorded: ${total} listed (of ${COUNT} seeded), ${RUNS} repetitions`);
    console.log(
      `runs API (page of 50 + counts + buckets), median: ${median(api).toFixed(0)} ms  [${api.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `runs view first render (navigation → 50 rows), median: ${median(first).toFixed(0)} ms  [${first.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `runs view filter change (workflow+status → rows), median: ${median(filter).toFixed(0)} ms  [${filter.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await browser.close();
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
