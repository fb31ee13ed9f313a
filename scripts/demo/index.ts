/**
 * `npm run demo [-- --auto-approve] [--keep]` — the whole model lifecycle against a real MLflow server and the local
 * Stagecraft host. DRAFT: the setup half (venv, MLflow, webhook) is real and tested (test/e2e/mlflow-server.e2e.test.ts);
 * the lifecycle half is written against today's routes and waits only on state it can observe in MLflow (aliases,
 * tags, versions) and the approvals API, but has not run end to end yet (the workflows are still being written).
 *
 * Every process it starts (MLflow, the host, Python jobs) is in its own tracked process group and is stopped on exit,
 * on error and on Ctrl-C (scripts/mlflow/processes.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_VENV_DIR,
  EXAMPLE_DIR,
  EXAMPLE_REQUIREMENTS,
  ensureVenv,
  fernetKeyFrom,
  freePort,
  registerWebhook,
  registry,
  runPython,
  startMlflowServer,
  type MlflowServer,
} from '../mlflow';
import { startDemoHost, type DemoHost } from './host';
import { note, stepStart, table, waitFor } from './progress';

const MODEL = 'breast-cancer-classifier';
const APPROVER = 'ml-lead@example.com';

interface Approval {
  approvalId: string;
  version: string;
  status: string;
}

async function pendingApproval(hostUrl: string, key: string, version: string): Promise<Approval | undefined> {
  const r = await fetch(`${hostUrl}/api/approvals?status=pending&model=${encodeURIComponent(MODEL)}`, { headers: { 'x-functions-key': key } });
  if (!r.ok) return undefined;
  const body = (await r.json()) as { approvals?: Approval[] };
  return body.approvals?.find((a) => a.version === version);
}

async function approve(hostUrl: string, key: string, approvalId: string, comment: string): Promise<void> {
  const r = await fetch(`${hostUrl}/api/approvals/${encodeURIComponent(approvalId)}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': key },
    body: JSON.stringify({ decision: 'approve', comment }),
  });
  if (!r.ok) throw new Error(`approval ${approvalId} refused: ${r.status} ${await r.text()}`);
}

async function main(): Promise<void> {
  const autoApprove = process.argv.includes('--auto-approve');
  const keep = process.argv.includes('--keep');
  const workDir = mkdtempSync(join(tmpdir(), 'stagecraft-demo-'));
  const secrets = {
    webhook: randomBytes(24).toString('base64url'),
    drift: randomBytes(24).toString('base64url'),
    functionKey: randomBytes(24).toString('base64url'),
    approverKey: randomBytes(24).toString('base64url'),
  };
  let mlflow: MlflowServer | undefined;
  let host: DemoHost | undefined;
  try {
    stepStart('Python environment for the example project');
    const venv = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, { onProgress: note });
    note(venv.installed ? `installed in ${(venv.installMs / 1000).toFixed(0)}s` : 'up to date');

    stepStart('MLflow server (SQLite, local artifacts, webhooks to http://127.0.0.1 allowed)');
    mlflow = await startMlflowServer({ dataDir: join(workDir, 'mlflow'), webhookSecretKey: fernetKeyFrom('stagecraft-demo'), python: venv.python });
    note(`${mlflow.url}  (UI and REST API)`);

    stepStart('Stagecraft local host');
    host = await startDemoHost({
      port: await freePort(),
      stateDir: join(workDir, 'stagecraft'),
      mlflowUrl: mlflow.url,
      webhookSecret: secrets.webhook,
      driftKey: secrets.drift,
      functionKey: secrets.functionKey,
      approver: { user: APPROVER, key: secrets.approverKey },
      policyPath: join(EXAMPLE_DIR, 'stagecraft.policy.yaml'),
    });
    note(host.url);

    stepStart('Register the MLflow webhook (signed) pointing at Stagecraft');
    const hook = await registerWebhook(mlflow.url, { name: 'stagecraft', targetUrl: `${host.url}/api/webhooks/mlflow`, secret: secrets.webhook, description: 'Stagecraft demo' });
    note(`webhook ${hook.webhook_id}: ${hook.events.length} registry events → ${hook.url}`);

    const env = { MLFLOW_TRACKING_URI: mlflow.url };
    const promote = async (version: string) => {
      stepStart(`Validations of v${version}, then challenger`);
      await waitFor(`${MODEL}@challenger = v${version}`, async () => ((await registry.getByAlias(mlflow!.url, MODEL, 'challenger')).version === version ? true : undefined), 300_000);
      stepStart(`Approval requested for v${version}`);
      const a = await waitFor(`a pending approval for v${version}`, () => pendingApproval(host!.url, secrets.approverKey, version));
      note(`approve in a browser: ${host!.url}/api/approvals/${a.approvalId}\n` +
        `or: curl -X POST ${host!.url}/api/approvals/${a.approvalId}/decision -H 'x-functions-key: <approver key>' -d '{"decision":"approve"}'`);
      if (autoApprove) await approve(host!.url, secrets.approverKey, a.approvalId, 'demo --auto-approve');
      stepStart(`v${version} becomes champion`);
      await waitFor(`${MODEL}@champion = v${version}`, async () => ((await registry.getByAlias(mlflow!.url, MODEL, 'champion')).version === version ? true : undefined), autoApprove ? 300_000 : 24 * 3600_000);
    };

    stepStart('Train v1 (train.py registers a version tagged with the git commit)');
    const v1 = await runPython('train.py', ['--reason', 'demo'], env, { python: venv.python });
    if (v1.code !== 0) throw new Error(`train.py failed:\n${v1.stderr.slice(-2000)}`);
    await promote('1');

    stepStart('Batch scoring job (deploy step) with the champion');
    note('waiting for examples/ml-project/out/predictions-v1.csv (written by score.py through the local job runner)');

    stepStart('Simulated drift (detect_drift.py --shift 0.5 posts to /api/events/drift)');
    const drift = await runPython('detect_drift.py', ['--shift', '0.5', '--stagecraft-url', host.url, '--stagecraft-key', secrets.drift, '--functions-key', secrets.functionKey], env, { python: venv.python });
    note(`drifted: ${String(drift.result?.['drifted'])}, share ${String(drift.result?.['share_of_drifted_features'])}, Stagecraft answered ${String(drift.result?.['stagecraft_status'])}`);

    stepStart('Retraining → v2 (tagged stagecraft.retraining_run_id)');
    const v2 = await waitFor('version 2', async () => (await registry.getVersion(mlflow!.url, MODEL, '2').catch(() => undefined)), 600_000);
    note(`retraining run ${v2.tags.find((t) => t.key === 'stagecraft.retraining_run_id')?.value ?? '(tag missing)'}`);
    await promote('2');

    stepStart('Rollback to v1');
    const rb = await fetch(`${host.url}/api/models/${MODEL}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': secrets.approverKey },
      body: JSON.stringify({ toVersion: '1', reason: 'demo rollback' }),
    });
    note(`rollback requested: HTTP ${rb.status}`);
    await waitFor(`${MODEL}@champion = v1`, async () => ((await registry.getByAlias(mlflow!.url, MODEL, 'champion')).version === '1' ? true : undefined), 300_000);

    stepStart('Summary');
    const rows = [];
    for (const v of ['1', '2']) {
      const mv = await registry.getVersion(mlflow.url, MODEL, v);
      rows.push({ version: v, aliases: mv.aliases.join(', '), tags: mv.tags.map((t) => `${t.key}=${t.value.slice(0, 12)}`).join(' ') });
    }
    process.stdout.write(table(rows));
    note(`MLflow UI: ${mlflow.url}   Stagecraft state: ${join(workDir, 'stagecraft')}`);
    // TODO(demo): add Stagecraft's records (validations, approvals, alias history, promotion record, report blob URLs)
    // once the records query API exists.
  } catch (e) {
    if (host) process.stderr.write(`\n--- last lines of the Stagecraft host log ---\n${host.logs().split('\n').slice(-40).join('\n')}\n`);
    if (mlflow) process.stderr.write(`MLflow server log: ${join(mlflow.dataDir, 'mlflow-server.log')}${keep ? '' : ' (deleted on exit; use --keep)'}\n`);
    throw e;
  } finally {
    if (!keep) {
      await host?.stop();
      await mlflow?.stop();
      rmSync(workDir, { recursive: true, force: true });
    } else {
      note(`--keep: ${workDir} kept; Ctrl-C stops MLflow and the host`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
