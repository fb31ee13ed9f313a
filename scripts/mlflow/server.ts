/**
 * A real open-source MLflow 3.x tracking server for local runs: SQLite backend store and proxied local artifact
 * storage under `dataDir`, bound to 127.0.0.1, with the settings model-registry webhooks to a local http target need.
 *
 * Settings (names verified in mlflow 3.17.2 `environment_variables.py`, `webhooks/delivery.py`, `webhooks/ssrf.py`):
 * - MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https — default is https only; checked at create/update AND at each delivery.
 * - MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true — otherwise 127.0.0.1 is refused by the URL check and again on the connected
 *   socket (SSRF guard); a refused delivery is only a server log line.
 * - MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY=<Fernet key> — without it each server process encrypts webhook secrets with a
 *   random key, so secrets stored before a restart can no longer be decrypted.
 * - MLFLOW_WEBHOOK_CACHE_TTL=0 — the per-process "webhooks subscribed to event X" cache (default 60 s) would hide a
 *   webhook registered after the first event of its kind.
 * - MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false — skips the server-side job runner (7 huey consumer processes), which
 *   Stagecraft does not use; start time drops from ~35 s to ~14 s on 2 cores.
 * - `--workers 1` — the webhook cache and delivery thread pool are per worker; one worker keeps delivery in one place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError, TransientError, ValidationError } from '../../shared/errors';
import { DEFAULT_VENV_DIR, venvPython } from './paths';
import { spawnTracked, stopGroup } from './processes';

export interface StartMlflowOptions {
  /** 0 or undefined: a free port. */
  port?: number;
  /** Holds mlflow.db, artifacts/ and mlflow-server.log; created if missing; reused across restarts. */
  dataDir: string;
  /** Fernet key (32 url-safe base64 bytes); see fernetKey()/fernetKeyFrom(). Keep it fixed across restarts. */
  webhookSecretKey: string;
  /** Interpreter of a venv with mlflow installed (default: the example project's venv). */
  python?: string;
  /** Extra or overriding environment variables for the server. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface MlflowServer {
  /** http://127.0.0.1:<port> (no trailing slash) */
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Server output so far (stdout + stderr, also in <dataDir>/mlflow-server.log). */
  logs(): string;
  /** Stops the whole process tree (SIGTERM, SIGKILL after the grace period). Idempotent. */
  stop(): Promise<void>;
}

const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;

/** A fresh random Fernet key. */
export function fernetKey(): string {
  return randomBytes(32).toString('base64url') + '=';
}

/** A Fernet key derived from a passphrase, for setups that must survive restarts without storing a key (demo, e2e). */
export function fernetKeyFrom(passphrase: string): string {
  return createHash('sha256').update(passphrase, 'utf8').digest('base64url') + '=';
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return r.ok && (await r.text()).trim() === 'OK';
  } catch {
    return false;
  }
}

export async function startMlflowServer(options: StartMlflowOptions): Promise<MlflowServer> {
  if (!FERNET_KEY.test(options.webhookSecretKey)) {
    throw new ValidationError(
      'MLFLOW_SECRET_KEY_INVALID',
      'webhookSecretKey: must be a Fernet key (32 bytes, url-safe base64, 44 characters ending in "=")',
    );
  }
  const python = options.python ?? venvPython(DEFAULT_VENV_DIR);
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, 'artifacts'), { recursive: true });
  const port = options.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  if (await healthy(url))
    throw new ConfigError(`port ${port} already answers /health: another MLflow server is running there`, { port });

  const logPath = join(dataDir, 'mlflow-server.log');
  const logFd = openSync(logPath, 'a');
  const args = [
    '-m',
    'mlflow',
    'server',
    '--backend-store-uri',
    `sqlite:///${join(dataDir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONUNBUFFERED: '1',
    MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY: options.webhookSecretKey,
    MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
    MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
    MLFLOW_WEBHOOK_CACHE_TTL: '0',
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    ...options.env,
  };
  // A tracking URI inherited from the caller's shell must not redirect the server's own store.
  delete env['MLFLOW_TRACKING_URI'];
  let child;
  try {
    child = spawnTracked(python, args, { cwd: dataDir, env, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const logs = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopGroup(child).then(() => undefined));

  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  for (;;) {
    if (spawnError) {
      throw new ConfigError(`cannot start ${python} (${spawnError.message}); run ensureVenv() first`, { python });
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ConfigError(
        `mlflow server exited (${child.exitCode ?? child.signalCode}) before answering /health:\n${logs().slice(-3000)}`,
        { port, logPath },
      );
    }
    if (await healthy(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new TransientError(
        'MLFLOW_START_TIMEOUT',
        `mlflow server did not answer ${url}/health in time:\n${logs().slice(-3000)}`,
        { details: { port, logPath } },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, dataDir, pid: child.pid ?? -1, logs, stop };
}
