/**
 * `npx tsx scripts/mlflow/capture-webhooks.ts [--out DIR]` — observes what a real MLflow server sends.
 *
 * Starts MLflow (example venv), registers a signed webhook for every model-registry event, an unsigned one and one
 * whose receiver fails twice with 503, drives the registry (train v1, alias, tags, train v2, move and delete the
 * alias, the /test endpoint), verifies each signature independently and writes one fixture per delivery to
 * test/e2e/fixtures/mlflow-webhooks/. Fixtures keep the exact body bytes and MLflow's headers, so a receiver's
 * tests can verify the real signature with the recorded secret (and a clock pinned to `headers["x-mlflow-timestamp"]`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventName, signatureMatches, startCaptureServer, type Delivery } from './capture';
import { EXAMPLE_REQUIREMENTS, DEFAULT_VENV_DIR, REPO_ROOT } from './paths';
import { runPython } from './python';
import { fernetKeyFrom, startMlflowServer } from './server';
import { ensureVenv } from './venv';
import { registerWebhook, registry, STAGECRAFT_EVENTS, testWebhook } from './webhooks';

const SECRET = 'stagecraft-fixture-secret';
const MODEL = 'breast-cancer-classifier';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fixture(d: Delivery, note: string, secret: string | null) {
  const keep = [
    'content-type',
    'x-mlflow-delivery-id',
    'x-mlflow-timestamp',
    'x-mlflow-signature',
    'user-agent',
    'content-length',
    'accept',
    'accept-encoding',
  ];
  const headers = Object.fromEntries(keep.filter((k) => d.headers[k] !== undefined).map((k) => [k, d.headers[k]]));
  return {
    note,
    capturedWith: 'mlflow 3.17.2 (mlflow server, SQLite store, --workers 1), scripts/mlflow/capture-webhooks.ts',
    secret,
    receivedAt: d.receivedAt,
    request: {
      method: d.method,
      path: d.path,
      headerNamesAsSent: d.rawHeaderNames.filter((h) => h.toLowerCase() !== 'host'),
      headers,
      rawBody: d.rawBody,
    },
    body: d.json,
  };
}

async function main(): Promise<void> {
  const outDir = argValue('--out') ?? join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'mlflow-webhooks');
  const venv = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, { onProgress: (l) => console.log(`• ${l}`) });
  const dataDir = mkdtempSync(join(tmpdir(), 'stagecraft-mlflow-capture-'));
  let attemptsOnFlaky = 0;
  const capture = await startCaptureServer({
    status: (d) => (d.path.startsWith('/flaky') && ++attemptsOnFlaky <= 2 ? 503 : 200),
  });
  const t0 = Date.now();
  const mlflow = await startMlflowServer({
    dataDir,
    webhookSecretKey: fernetKeyFrom('stagecraft-capture'),
    python: venv.python,
  });
  console.log(`MLflow answered /health after ${((Date.now() - t0) / 1000).toFixed(1)}s at ${mlflow.url}`);
  try {
    const signed = await registerWebhook(mlflow.url, {
      name: 'stagecraft-signed',
      targetUrl: `${capture.url}/signed`,
      secret: SECRET,
      events: STAGECRAFT_EVENTS,
      description: 'fixture capture',
    });
    await registerWebhook(mlflow.url, {
      name: 'stagecraft-unsigned',
      targetUrl: `${capture.url}/unsigned`,
      events: ['model_version.created'],
    });
    await registerWebhook(mlflow.url, {
      name: 'stagecraft-flaky',
      targetUrl: `${capture.url}/flaky`,
      secret: SECRET,
      events: ['model_version_alias.deleted'],
    });
    writeFileSync(join(dataDir, 'webhook.json'), JSON.stringify(signed, null, 2));

    const env = { MLFLOW_TRACKING_URI: mlflow.url };
    const v1 = await runPython(
      'train.py',
      ['--git-commit', '0123456789abcdef0123456789abcdef01234567', '--reason', 'manual'],
      env,
      { python: venv.python },
    );
    if (v1.code !== 0 || !v1.result) throw new Error(`train.py failed: ${v1.stderr}`);
    await capture.waitFor((d) => d.path === '/signed' && eventName(d) === 'model_version.created');
    await registry.setAlias(mlflow.url, MODEL, 'champion', '1');
    await registry.setVersionTag(mlflow.url, MODEL, '1', 'stagecraft.validation', 'passed');
    await registry.deleteVersionTag(mlflow.url, MODEL, '1', 'stagecraft.validation');
    const v2 = await runPython(
      'train.py',
      [
        '--git-commit',
        '89abcdef0123456789abcdef0123456789abcdef',
        '--retraining-run-id',
        'retrain-breast-cancer-classifier-0001',
        '--reason',
        'drift',
        '--C',
        '0.5',
      ],
      env,
      { python: venv.python },
    );
    if (v2.code !== 0) throw new Error(`train.py (v2) failed: ${v2.stderr}`);
    await capture.waitFor(
      (d) =>
        d.path === '/signed' &&
        eventName(d) === 'model_version.created' &&
        (d.json as { data: { version: string } }).data.version === '2',
    );
    await registry.setAlias(mlflow.url, MODEL, 'champion', '2');
    await registry.deleteAlias(mlflow.url, MODEL, 'champion');
    const test = await testWebhook(mlflow.url, signed.webhook_id, 'model_version.created');
    console.log(`/test answered ${JSON.stringify(test)}`);
    await capture.waitFor((d) => d.path === '/flaky' && attemptsOnFlaky >= 3, 30_000);
    await new Promise((r) => setTimeout(r, 1000));

    mkdirSync(outDir, { recursive: true });
    const counts = new Map<string, number>();
    const written: string[] = [];
    for (const d of capture.deliveries) {
      const ev = eventName(d) ?? 'unknown';
      const kind = d.path.slice(1);
      const key = `${kind}:${ev}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      const isTest = kind === 'signed' && (d.json as { data?: { name?: string } }).data?.name === 'example_model';
      const secret = kind === 'unsigned' ? null : SECRET;
      const verified = secret === null ? d.headers['x-mlflow-signature'] === undefined : signatureMatches(secret, d);
      console.log(
        `${kind.padEnd(8)} ${ev.padEnd(28)} id=${String(d.headers['x-mlflow-delivery-id'])} sig=${verified ? 'verified' : 'MISMATCH'} ${d.rawBody.length}B`,
      );
      if (!verified) process.exitCode = 1;
      const file =
        kind === 'flaky'
          ? `retry-${ev.replace('.', '-')}-attempt${n}.json`
          : kind === 'unsigned'
            ? `unsigned-${ev.replace('.', '-')}.json`
            : isTest
              ? `test-endpoint-${ev.replace('.', '-')}.json`
              : `${ev.replace('.', '-')}${n > 1 ? `-${n}` : ''}.json`;
      const note =
        kind === 'flaky'
          ? `attempt ${n}: the receiver answered ${n <= 2 ? 503 : 200}; urllib3 retries resend the same prepared request`
          : kind === 'unsigned'
            ? 'webhook registered without a secret: no X-MLflow-Signature header'
            : isTest
              ? 'sent by POST /api/2.0/mlflow/webhooks/{id}/test: fixed example payload, nothing marks it as a test'
              : `signed delivery #${n} of ${ev}`;
      writeFileSync(join(outDir, file), `${JSON.stringify(fixture(d, note, secret), null, 2)}\n`);
      written.push(file);
    }
    writeFileSync(
      join(outDir, 'webhook-create-response.json'),
      `${JSON.stringify({ note: 'POST /api/2.0/mlflow/webhooks response (webhook object)', webhook: signed }, null, 2)}\n`,
    );
    console.log(`wrote ${written.length + 1} fixtures to ${outDir}`);
  } finally {
    await mlflow.stop();
    await capture.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
