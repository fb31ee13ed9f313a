/**
 * The example ML project against a real open-source MLflow server (mlflow 3.17.2 from PyPI): registration through
 * train.py, MLflow's own signed webhook deliveries, and the job scripts (evaluate, score, detect_drift).
 * Stagecraft's host is not involved here; the capture server stands in for Stagecraft's webhook endpoint only to
 * record what MLflow sends. Fails (never skips) when Python or MLflow cannot be set up.
 *
 * The same server also runs the registry contract Stagecraft's MLflow client relies on (test/adapters/mlflow-contract.ts):
 * that suite passes against the HTTP fake in `npm test`, so the fake cannot drift from MLflow. It runs after the
 * webhook tests (its own uniquely named models would otherwise be the first `registered_model.created`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_VENV_DIR,
  EXAMPLE_REQUIREMENTS,
  ensureVenv,
  eventName,
  fernetKeyFrom,
  findPython,
  registerWebhook,
  registry,
  runPython,
  signatureMatches,
  startCaptureServer,
  startMlflowServer,
  type CaptureServer,
  type Delivery,
  type MlflowServer,
} from '../../scripts/mlflow';
import { driftSource } from '../../shared/intake/sources/drift';
import { mlflowContract } from '../adapters/mlflow-contract';
import type { ParseContext } from '../../shared/intake/sources/types';
import { testConfig } from '../intake/helpers';

const MODEL = 'breast-cancer-classifier';
const SECRET = 'e2e-webhook-secret';
const COMMIT = 'c0ffee0000000000000000000000000000000001';
const RETRAINING_RUN = 'retrain-e2e-0001';

interface Body {
  entity: string;
  action: string;
  timestamp: string;
  data: Record<string, unknown> & { tags?: Record<string, string> };
}
const body = (d: Delivery) => d.json as Body;

describe('example ML project against a real MLflow server', () => {
  let python: string;
  let dataDir: string;
  let mlflow: MlflowServer | undefined;
  let capture: CaptureServer | undefined;
  let env: Record<string, string>;
  let version: string;
  let runId: string;

  // A setup failure (no Python, pip cannot install, MLflow does not start) is rethrown by every test, so each one
  // is reported as failed with the cause; a failing beforeAll alone would show them as skipped.
  let setupError: Error | undefined;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      python = (await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS)).python;
      dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-e2e-mlflow-'));
      capture = await startCaptureServer();
      mlflow = await startMlflowServer({ dataDir, webhookSecretKey: fernetKeyFrom('stagecraft-e2e'), python });
      env = { MLFLOW_TRACKING_URI: mlflow.url };
      await registerWebhook(mlflow.url, {
        name: 'stagecraft-e2e',
        targetUrl: `${capture.url}/api/webhooks/mlflow`,
        secret: SECRET,
      });
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  });

  afterAll(async () => {
    await mlflow?.stop();
    await capture?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to run without a usable Python instead of skipping', () => {
    expect(() => findPython('/nonexistent/python3')).toThrow(/Python 3\.10\+ not found/);
  });

  it('train.py registers a new READY version tagged with the git commit and the retraining run id', async () => {
    ready();
    const r = await runPython(
      'train.py',
      ['--git-commit', COMMIT, '--retraining-run-id', RETRAINING_RUN, '--reason', 'e2e'],
      env,
      { python },
    );
    expect(r.code, r.stderr).toBe(0);
    version = String(r.result?.['version']);
    runId = String(r.result?.['run_id']);
    const mv = await registry.getVersion(mlflow!.url, MODEL, version);
    expect(mv.status).toBe('READY');
    expect(mv.run_id).toBe(runId);
    expect(Object.fromEntries(mv.tags.map((t) => [t.key, t.value]))).toMatchObject({
      git_commit: COMMIT,
      'stagecraft.retraining_run_id': RETRAINING_RUN,
    });
    const run = (await (await fetch(`${mlflow!.url}/api/2.0/mlflow/runs/get?run_id=${runId}`)).json()) as {
      run: { data: { metrics: { key: string; value: number }[]; params: { key: string }[] } };
    };
    expect(run.run.data.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['accuracy', 'roc_auc', 'log_loss']));
    expect(run.run.data.params.map((p) => p.key)).toEqual(expect.arrayContaining(['C', 'max_iter']));
  });

  it('MLflow delivers model_version.created with the tags and a v1 HMAC-SHA256 signature over id.timestamp.body', async () => {
    ready();
    const d = await capture!.waitFor(
      (x) => eventName(x) === 'model_version.created' && body(x).data['version'] === version,
    );
    expect(d.method).toBe('POST');
    expect(d.path).toBe('/api/webhooks/mlflow');
    expect(d.headers['content-type']).toBe('application/json');
    expect(d.headers['x-mlflow-delivery-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(d.headers['x-mlflow-timestamp']).toMatch(/^\d{10}$/);
    expect(d.headers['x-mlflow-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(signatureMatches(SECRET, d)).toBe(true);
    expect(signatureMatches('not-the-secret', d)).toBe(false);
    expect(body(d).data).toMatchObject({
      name: MODEL,
      version,
      run_id: runId,
      tags: { git_commit: COMMIT, 'stagecraft.retraining_run_id': RETRAINING_RUN },
    });
    expect(body(d).timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('the first registration of the model also emits registered_model.created', async () => {
    ready();
    const d = await capture!.waitFor((x) => eventName(x) === 'registered_model.created');
    expect(body(d).data).toMatchObject({ name: MODEL, tags: {} });
    expect(signatureMatches(SECRET, d)).toBe(true);
  });

  it('setting and deleting an alias emit model_version_alias.created (with the version) and .deleted (without)', async () => {
    ready();
    await registry.setAlias(mlflow!.url, MODEL, 'challenger', version);
    await registry.deleteAlias(mlflow!.url, MODEL, 'challenger');
    const created = await capture!.waitFor(
      (x) => eventName(x) === 'model_version_alias.created' && body(x).data['alias'] === 'challenger',
    );
    const deleted = await capture!.waitFor(
      (x) => eventName(x) === 'model_version_alias.deleted' && body(x).data['alias'] === 'challenger',
    );
    expect(body(created).data).toEqual({ name: MODEL, alias: 'challenger', version });
    expect(body(deleted).data).toEqual({ name: MODEL, alias: 'challenger' });
    expect(signatureMatches(SECRET, created) && signatureMatches(SECRET, deleted)).toBe(true);
  });

  it('setting a version tag emits model_version_tag.set with key and value', async () => {
    ready();
    await registry.setVersionTag(mlflow!.url, MODEL, version, 'stagecraft.validation', 'passed');
    const d = await capture!.waitFor(
      (x) => eventName(x) === 'model_version_tag.set' && body(x).data['key'] === 'stagecraft.validation',
    );
    expect(body(d).data).toEqual({ name: MODEL, version, key: 'stagecraft.validation', value: 'passed' });
  });

  it('evaluate.py passes the default holdout thresholds and logs holdout metrics to the version run', async () => {
    ready();
    const r = await runPython('evaluate.py', ['--model_name', MODEL, '--model_version', version], env, { python });
    expect(r.code, r.stderr).toBe(0);
    expect(r.result).toMatchObject({ passed: true, version, run_id: runId });
    const run = (await (await fetch(`${mlflow!.url}/api/2.0/mlflow/runs/get?run_id=${runId}`)).json()) as {
      run: { data: { metrics: { key: string }[]; tags: { key: string; value: string }[] } };
    };
    expect(run.run.data.metrics.map((m) => m.key)).toEqual(
      expect.arrayContaining(['holdout_accuracy', 'holdout_roc_auc', 'holdout_log_loss']),
    );
    expect(run.run.data.tags).toContainEqual({ key: 'stagecraft.evaluation', value: 'passed' });
  });

  it('evaluate.py exits 1 and names the metric when a threshold is not met', async () => {
    ready();
    const r = await runPython('evaluate.py', ['--model-version', version, '--min-roc-auc', '1.01'], env, { python });
    expect(r.code).toBe(1);
    expect(r.result?.['passed']).toBe(false);
    expect(String((r.result?.['failures'] as string[])[0])).toMatch(/^roc_auc .* < min 1\.01$/);
  });

  it('score.py scores the holdout rows with the version behind @champion and names that version', async () => {
    ready();
    await registry.setAlias(mlflow!.url, MODEL, 'champion', version);
    const output = join(dataDir, 'predictions.csv');
    const r = await runPython('score.py', ['--model_uri', `models:/${MODEL}@champion`, '--output', output], env, {
      python,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.result).toMatchObject({ version, rows: 114, output });
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row_id,prediction,label,probability_benign');
    expect(lines).toHaveLength(115);
  });

  it('detect_drift.py finds no drift in an unshifted window and posts nothing', async () => {
    ready();
    const r = await runPython(
      'detect_drift.py',
      ['--report', join(dataDir, 'drift-none.json'), '--stagecraft-url', capture!.url],
      env,
      { python },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.result).toMatchObject({ drifted: false, posted: false });
    expect(capture!.deliveries.some((d) => d.path === '/api/events/drift')).toBe(false);
  });

  it("detect_drift.py with --shift posts a drift payload that Stagecraft's drift intake turns into io.stagecraft.drift.detected", async () => {
    ready();
    const r = await runPython(
      'detect_drift.py',
      [
        '--shift',
        '1',
        '--report',
        join(dataDir, 'drift.json'),
        '--stagecraft-url',
        capture!.url,
        '--stagecraft-key',
        'drift-key',
        '--functions-key',
        'function-key',
      ],
      env,
      { python },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.result).toMatchObject({ drifted: true, posted: true, stagecraft_status: 200 });
    const d = await capture!.waitFor((x) => x.path === '/api/events/drift');
    expect(d.headers['x-stagecraft-key']).toBe('drift-key');
    expect(d.headers['x-functions-key']).toBe('function-key');
    const ctx = { config: testConfig(), now: new Date().toISOString(), deliveryId: 'e2e-drift-1' } as ParseContext;
    const outcome = driftSource.parse(d.json, ctx);
    expect(outcome.kind).toBe('events');
    if (outcome.kind !== 'events') return;
    expect(outcome.events[0]?.type).toBe('io.stagecraft.drift.detected');
    expect(outcome.events[0]?.data).toMatchObject({
      model: { name: MODEL, alias: 'champion', version },
      detector: { tool: 'scipy-ks' },
    });
  });

  mlflowContract('real MLflow 3.17.2 server', () => {
    ready();
    const s = mlflow!;
    return { url: s.url, close: () => s.stop() };
  });

  it('stopping the server stops its whole process tree', async () => {
    ready();
    const pid = mlflow!.pid;
    await mlflow!.stop();
    expect(() => process.kill(-pid, 0)).toThrow();
    const health = await fetch(`${mlflow!.url}/health`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(health).toBe('refused');
  });
});
