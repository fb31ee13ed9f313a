/**
 * `npx tsx scripts/mlflow/measure.ts [--runs N] [--cold-venv DIR]` — timings for bench/RESULTS.md ("Demo"):
 * venv creation + pip install (only with --cold-venv: a fresh venv in DIR, deleted afterwards), the up-to-date
 * venv check, MLflow server start to /health on a fresh and on an existing SQLite store, stop, and each example
 * script once. Prints one line per figure and a summary (median of N runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS } from './paths';
import { runPython } from './python';
import { fernetKeyFrom, startMlflowServer } from './server';
import { ensureVenv } from './venv';
import { registry } from './webhooks';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 3);
  const coldDir = arg('--cold-venv');
  if (coldDir) {
    rmSync(coldDir, { recursive: true, force: true });
    const v = await ensureVenv(coldDir, EXAMPLE_REQUIREMENTS);
    console.log(`cold venv: python -m venv ${s(v.venvMs)}, pip install ${s(v.installMs)}`);
    rmSync(coldDir, { recursive: true, force: true });
  }
  const t0 = Date.now();
  const venv = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS);
  console.log(`venv check (stamp matches: ${!venv.installed}): ${s(Date.now() - t0)}`);

  const fresh: number[] = [];
  const existing: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-measure-'));
    try {
      for (const [label, bucket] of [
        ['fresh store', fresh],
        ['existing store', existing],
      ] as const) {
        const t = Date.now();
        const server = await startMlflowServer({
          dataDir,
          webhookSecretKey: fernetKeyFrom('measure'),
          python: venv.python,
        });
        bucket.push(Date.now() - t);
        console.log(`run ${i + 1}: MLflow start (${label}) ${s(Date.now() - t)}`);
        if (i === 0 && label === 'existing store') {
          const env = { MLFLOW_TRACKING_URI: server.url };
          const train = await runPython('train.py', [], env, { python: venv.python });
          console.log(`train.py ${s(train.durationMs)} (exit ${train.code})`);
          await registry.setAlias(
            server.url,
            'breast-cancer-classifier',
            'champion',
            String(train.result?.['version']),
          );
          for (const [script, args] of [
            ['evaluate.py', ['--alias', 'champion']],
            ['score.py', ['--output', join(dataDir, 'p.csv')]],
            ['detect_drift.py', ['--shift', '1', '--report', join(dataDir, 'd.json')]],
          ] as const) {
            const r = await runPython(script, args, env, { python: venv.python });
            console.log(`${script} ${s(r.durationMs)} (exit ${r.code})`);
          }
        }
        const ts = Date.now();
        await server.stop();
        stops.push(Date.now() - ts);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log(
    `median of ${runs}: MLflow start fresh store ${s(median(fresh))}, existing store ${s(median(existing))}, stop ${s(median(stops))}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
