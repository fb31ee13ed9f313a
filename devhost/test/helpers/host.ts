/**
 * Starts the real local host (`devhost/bin/devhost.js start`) as a child process for the package's integration tests.
 * Requires a build (`npm test` runs `npm run build` first). Every started host must be stopped in afterAll/finally.
 * The app's own tests have their copy (test/helpers/host.ts), which runs the app's CLI and settings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hostSetting } from '../../host/setting-names';

/** The package folder (devhost/). */
export const DEVHOST_ROOT = resolve(__dirname, '..', '..');
/** The workspace root: its node_modules holds the hoisted dependencies fixture apps link to. */
export const REPO_ROOT = resolve(DEVHOST_ROOT, '..');

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

/** Master keys of the hosts this test process started, by base URL (the Durable HTTP API needs one). */
const masterKeys = new Map<string, string>();

/** Records the master key of a host started elsewhere (the app's own test helper), so `masterKeyFor` knows it. */
export function rememberMasterKey(baseUrl: string, key: string): void {
  masterKeys.set(baseUrl.replace(/\/+$/, ''), key);
}

/** The master key of a host started here (its env's DEVHOST_MASTER_KEY, else the one in its state dir). */
export function masterKeyFor(baseUrl: string): string {
  const key = masterKeys.get(baseUrl.replace(/\/+$/, ''));
  if (!key) throw new Error(`No master key known for ${baseUrl}: start it with startHostProcess`);
  return key;
}

/** Headers for the local Durable HTTP API of a host started here: its master key, plus JSON when there is a body. */
export function durableHeaders(baseUrl: string, json = false): Record<string, string> {
  return { 'x-functions-key': masterKeyFor(baseUrl), ...(json ? { 'content-type': 'application/json' } : {}) };
}

function readMasterKey(stateDir: string, env: Record<string, string | undefined>): string | undefined {
  const fromEnv = hostSetting(env, 'MASTER_KEY');
  if (fromEnv) return fromEnv;
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'keys.json'), 'utf8')) as { masterKey?: string }).masterKey;
  } catch {
    return undefined;
  }
}

export interface HostProcess {
  baseUrl: string;
  /** The host's master key (what the Durable HTTP API and admin functions need). */
  masterKey: string;
  port: number;
  stateDir: string;
  child: ChildProcess;
  /** Everything the host printed so far (stdout + stderr). */
  logs(): string;
  /** Resolves when the output contains `text` (or matches the regex). */
  waitForLog(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after the grace period). Returns the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

export interface StartHostOptions {
  /** The CLI script that runs `start` (default: this package's `bin/devhost.js`; an app may pass its own CLI). */
  cli?: string;
  appDir: string;
  port?: number;
  stateDir?: string;
  env?: Record<string, string>;
  args?: string[];
  readyTimeoutMs?: number;
  /** false: do not pass --port (the host then takes local.settings.json Host.LocalHttpPort); `port` must be that port. */
  portFlag?: boolean;
}

export async function startHostProcess(options: StartHostOptions): Promise<HostProcess> {
  const port = options.port ?? (await freePort());
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'devhost-state-'));
  const portArgs = options.portFlag === false ? [] : ['--port', String(port)];
  const args = [
    options.cli ?? join(DEVHOST_ROOT, 'bin', 'devhost.js'),
    'start',
    '--app',
    options.appDir,
    ...portArgs,
    '--state',
    stateDir,
    ...(options.args ?? []),
  ];
  const childEnv = {
    ...process.env,
    DEVHOST_LOG_LEVEL: hostSetting(process.env, 'LOG_LEVEL') ?? 'information',
    ...options.env,
  };
  const child = spawn(process.execPath, args, {
    cwd: options.appDir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const onData = (b: Buffer) => {
    output += b.toString();
    for (const w of [...waiters])
      if (w.test(output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const waitForLog = (pattern: string | RegExp, timeoutMs = 30_000) =>
    new Promise<void>((res, rej) => {
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      if (test(output)) return res();
      const timer = setTimeout(
        () => rej(new Error(`Timed out waiting for ${String(pattern)} in host output:\n${output}`)),
        timeoutMs,
      );
      waiters.push({ test, resolve: () => (clearTimeout(timer), res()) });
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`Host exited (code ${String(code)}) before printing ${String(pattern)}:\n${output}`));
      });
    });

  try {
    await waitForLog('Host started', options.readyTimeoutMs ?? 60_000);
  } catch (e) {
    // Never leave a half-started host behind (it may hold ports and Azurite).
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw e;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const masterKey = readMasterKey(stateDir, childEnv) ?? '';
  if (masterKey) masterKeys.set(baseUrl, masterKey);
  return {
    baseUrl,
    masterKey,
    port,
    stateDir,
    child,
    logs: () => output,
    waitForLog,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs `devhost start` expecting it to exit by itself (e.g. a start-up failure); returns the exit code and output. */
export async function runHostToExit(
  options: StartHostOptions & { timeoutMs?: number },
): Promise<{ code: number | null; output: string }> {
  const port = options.port ?? (await freePort());
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'devhost-state-'));
  const args = [
    options.cli ?? join(DEVHOST_ROOT, 'bin', 'devhost.js'),
    'start',
    '--app',
    options.appDir,
    '--port',
    String(port),
    '--state',
    stateDir,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: options.appDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, output };
}
