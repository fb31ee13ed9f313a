/**
 * `npx tsx scripts/mlflow/serve.ts [--port 5000] [--data .stagecraft/mlflow] [--key-passphrase TEXT]`
 * Starts a local MLflow server with webhook settings for local http targets and keeps it running until Ctrl-C,
 * which stops the whole process tree. The data folder (SQLite store + artifacts) is kept between runs; the Fernet key
 * is derived from the passphrase so webhook secrets stored earlier stay readable after a restart.
 */
import { join } from 'node:path';
import { DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, REPO_ROOT } from './paths';
import { fernetKeyFrom, startMlflowServer } from './server';
import { ensureVenv } from './venv';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const port = Number(arg('--port', '5000'));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: expected 0-65535, got ${arg('--port', '')}`);
  const dataDir = arg('--data', join(REPO_ROOT, '.stagecraft', 'mlflow'));
  const venv = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, { onProgress: (l) => console.log(`• ${l}`) });
  const t0 = Date.now();
  const server = await startMlflowServer({
    port,
    dataDir,
    webhookSecretKey: fernetKeyFrom(arg('--key-passphrase', 'stagecraft-local')),
    python: venv.python,
  });
  console.log(
    `MLflow ${server.url} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (data ${dataDir}, log ${join(dataDir, 'mlflow-server.log')})`,
  );
  console.log(`export MLFLOW_TRACKING_URI=${server.url}   # Ctrl-C stops the server`);
  const shutdown = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
