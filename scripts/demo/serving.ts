/**
 * The demo's online serving: the example policy with `deploy: serving-endpoint` on the local serving runner
 * (`mlflow models serve` per version behind a proxy on a stable port), a request payload from the training data,
 * and a load generator that counts requests and failures while Stagecraft swaps the served version.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_LOCAL_SERVING_COMMAND } from '../../shared/serving/local/settings';

export function servingPolicy(examplePolicy: string, model: string, endpoint: string, out: string): string {
  const doc = parse(readFileSync(examplePolicy, 'utf8')) as { models: Record<string, Record<string, unknown>> };
  const m = doc.models[model];
  if (!m) throw new Error(`the example policy has no model ${model}`);
  // Canary 10 % beside the champion for 10 s, then 100 % (no ab-test checks locally: no inference table).
  m['deploy'] = {
    action: 'serving-endpoint',
    endpoint,
    runner: 'local',
    rollout: { challengerTraffic: 10, hold: '10s', updateTimeout: '5m', pollEvery: '2s' },
  };
  writeFileSync(out, JSON.stringify(doc, null, 2));
  return out;
}

export function servingEnv(python: string, endpoint: string, port: number, exampleDir: string): Record<string, string> {
  return {
    STAGECRAFT_JOBS_BASE_DIR: exampleDir,
    // The runner's default command, with the venv's mlflow (the demo's host does not have the venv on PATH).
    STAGECRAFT_LOCAL_SERVING_COMMAND: JSON.stringify([
      join(dirname(python), 'mlflow'),
      ...DEFAULT_LOCAL_SERVING_COMMAND.slice(1),
    ]),
    STAGECRAFT_LOCAL_SERVING_PORTS: `${endpoint}=${port}`,
  };
}

/** Five rows of the breast cancer data as an MLflow scoring request (`dataframe_split`). */
export function samplePayload(python: string): Promise<string> {
  const code =
    'import json\nfrom sklearn.datasets import load_breast_cancer\nX = load_breast_cancer(as_frame=True).data.head(5)\nprint(json.dumps({"dataframe_split": {"columns": list(X.columns), "data": X.values.tolist()}}))';
  return new Promise((resolve, reject) =>
    execFile(python, ['-c', code], { timeout: 60_000 }, (err, stdout) =>
      err ? reject(new Error(err.message)) : resolve(stdout.trim()),
    ),
  );
}

export interface LoadStats {
  sent: number;
  failures: number;
  byVersion: Record<string, number>;
  errors: string[];
}

/** Sends scoring requests back to back (a few in parallel) until stopped. */
export function startLoad(url: string, payload: string, parallel = 4): { stop(): Promise<LoadStats> } {
  const stats: LoadStats = { sent: 0, failures: 0, byVersion: {}, errors: [] };
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      stats.sent++;
      try {
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload,
          signal: AbortSignal.timeout(30_000),
        });
        await r.text();
        if (r.status !== 200) {
          stats.failures++;
          if (stats.errors.length < 3) stats.errors.push(`HTTP ${r.status}`);
          continue;
        }
        const v = r.headers.get('x-served-version') ?? '?';
        stats.byVersion[v] = (stats.byVersion[v] ?? 0) + 1;
      } catch (e) {
        stats.failures++;
        if (stats.errors.length < 3) stats.errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  const workers = Array.from({ length: parallel }, () => worker());
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return stats;
    },
  };
}

export function loadText(s: LoadStats): string {
  const by = Object.entries(s.byVersion)
    .map(([v, n]) => `v${v}: ${n}`)
    .join(', ');
  return `${s.sent} requests during the swap, ${s.failures} failed${s.errors.length ? ` (${s.errors.join('; ')})` : ''}; answered by ${by || 'none'}`;
}
