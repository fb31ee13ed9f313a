/**
 * Retraining storm: how long 1,000 drift alerts for one model take to settle into decisions (exactly one run).
 * Starts the real local host (durable engine + Azurite) on a subset app or the repo (see test/runs/app-fixture),
 * delivers the alerts through the public durable API (raiseEvent, as the router does) with C concurrent senders,
 * and prints: send time, settle time (last alert decided), total, alerts/s, and runs started.
 *
 * Run: npm run build && STAGECRAFT_TEST_APP_SUBSET=1 npx tsx bench/retraining/storm.ts [N] [C...]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appDirForTests } from '../../test/runs/app-fixture';

/** The local Durable HTTP API needs the host's master key. */
const MASTER_KEY = 'bench-storm-master-key-0123456789';

const ROOT = resolve(__dirname, '..', '..');
const N = Number(process.argv[2] ?? 1000);
const CONCURRENCY = process.argv
  .slice(3)
  .map(Number)
  .filter((n) => n > 0);
if (CONCURRENCY.length === 0) CONCURRENCY.push(25, 100);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stagecraft-bench-storm-'));
  mkdirSync(join(dir, 'jobs'), { recursive: true });
  writeFileSync(join(dir, 'train.js'), 'setTimeout(() => {}, 1500)\n');
  const models = CONCURRENCY.map((c) => `storm-c${c}`);
  writeFileSync(
    join(dir, 'policy.yaml'),
    `version: 1\ndefaults:\n  approval: { required: false }\nmodels:\n${models.map((m) => `  ${m}:\n    retraining:\n      trainingJob: { runner: local, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(join(dir, 'train.js'))}], timeout: 5m }\n      drift: [{ metric: psi, threshold: 0.2, n: 1, m: 1 }]\n      cooldown: 1h\n`).join('')}`,
  );
  const port = 17000 + Math.floor(Math.random() * 2000);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'stagecraft.js'),
      'start',
      '--app',
      appDirForTests(),
      '--port',
      String(port),
      '--state',
      join(dir, 'state'),
    ],
    {
      env: {
        ...process.env,
        STAGECRAFT_MASTER_KEY: MASTER_KEY,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        STAGECRAFT_POLICY_PATH: join(dir, 'policy.yaml'),
        STAGECRAFT_JOBS_DIR: join(dir, 'jobs'),
        STAGECRAFT_LOG_LEVEL: 'information',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  try {
    const t0 = Date.now();
    while (!out.includes('Host started')) {
      if (child.exitCode !== null || Date.now() - t0 > 120_000) throw new Error(`host did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const base = `http://127.0.0.1:${port}/runtime/webhooks/durabletask`;
    console.log(`machine: ${cpus().length} cores, Node ${process.version}; ${N} drift alerts per storm`);
    for (const [i, c] of CONCURRENCY.entries()) {
      const model = models[i]!;
      const id = `retraining:${model}`;
      const ev = (k: number) => ({
        specversion: '1.0',
        type: 'io.stagecraft.drift.detected',
        id: `drift:${model}:${k}`,
        source: '/bench',
        subject: `models/${model}`,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: {
          model: { name: model },
          detector: { tool: 'bench' },
          window: { start: '2026-11-27T00:00:00Z', end: '2026-11-28T00:00:00Z' },
          severity: 'Sev2',
          features: [{ name: 'f', metric: 'psi', value: 0.5, drifted: true }],
          detectedAt: '2026-11-28T00:00:00Z',
        },
      });
      await fetch(`${base}/orchestrators/retrainingCoordinator/${encodeURIComponent(id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-functions-key': MASTER_KEY },
        body: JSON.stringify({ model }),
      });
      const start = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (next < N) {
            const k = next++;
            const r = await fetch(`${base}/instances/${encodeURIComponent(id)}/raiseEvent/RetrainTrigger`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-functions-key': MASTER_KEY },
              body: JSON.stringify(ev(k)),
            });
            if (r.status !== 202) throw new Error(`raiseEvent answered ${r.status}`);
          }
        }),
      );
      const sent = Date.now();
      let totals: Record<string, number> = {};
      for (;;) {
        const s = (await (
          await fetch(`${base}/instances/${encodeURIComponent(id)}`, { headers: { 'x-functions-key': MASTER_KEY } })
        ).json()) as { customStatus?: { totals?: Record<string, number>; generation?: number } };
        totals = s.customStatus?.totals ?? {};
        const decided =
          (totals['start'] ?? 0) + (totals['suppress'] ?? 0) + (totals['ignore'] ?? 0) + (totals['drop'] ?? 0);
        if (decided >= N) break;
        if (Date.now() - sent > 300_000) throw new Error(`not settled: ${JSON.stringify(totals)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const settled = Date.now();
      console.log(
        [
          `concurrency ${c}`,
          `send ${sent - start} ms (${Math.round((N * 1000) / (sent - start))} alerts/s accepted)`,
          `settle after last send ${settled - sent} ms`,
          `total ${settled - start} ms (${Math.round((N * 1000) / (settled - start))} alerts/s decided)`,
          `runs started ${totals['start'] ?? 0}, suppressed ${totals['suppress'] ?? 0}, ignored ${totals['ignore'] ?? 0}`,
          `decide/send ratio ${((settled - start) / (sent - start)).toFixed(2)}`,
        ].join('; '),
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
