/**
 * Runs Azurite (Blob, Queue, Table) from the `azurite` npm package as a child process.
 *
 * Invariants:
 * - Never `require('azurite')` in the host: its package main is a VS Code extension. The child runs the package's
 *   own CLI file (`dist/src/azurite.js`) behind a tiny wrapper.
 * - The child must not outlive the host. The wrapper holds an IPC channel to the host; when the channel closes
 *   (host exited, crashed or was SIGKILLed) the wrapper shuts Azurite down and exits. Residual risk: if the wrapper
 *   itself is SIGSTOPped or hangs before its event loop runs, it can survive; nothing else keeps it alive.
 * - Ready means all three ports accept TCP connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { STANDARD_PORTS, type StoragePorts } from './connection';

// Runs in the child via `node -e`. Counts Azurite's three "successfully closed" lines to exit as soon as it has
// flushed its databases (Azurite itself never exits after SIGTERM while an IPC channel is open).
const WRAPPER = `
const cli = process.argv[1];
process.argv = [process.argv[0], cli, ...process.argv.slice(2)];
let closed = 0, stopping = false;
const log = console.log.bind(console);
console.log = (...a) => { const s = a.join(' '); if (/successfully closed/.test(s) && ++closed === 3) setImmediate(() => process.exit(0)); log(...a); };
const stop = () => { if (stopping) return; stopping = true; process.emit('SIGTERM'); setTimeout(() => process.exit(0), 5000); };
process.on('disconnect', stop);
require(cli);
`;

export interface AzuriteProcess {
  ports: StoragePorts;
  pid: number | undefined;
  /** ms from spawn to all three ports accepting connections. */
  readyMs: number;
  stop(deadlineMs?: number): Promise<void>;
}

export interface StartAzuriteOptions {
  location: string;
  /** Ports to use (see choosePorts); if one is taken by the time Azurite binds, it retries once on fresh ports. */
  ports: StoragePorts;
  onOutput?: (line: string) => void;
  readyTimeoutMs?: number;
  /** Keep data in memory only (`--inMemoryPersistence`): nothing survives a restart, and no periodic save of the
   * table store (Azurite serialises its whole LokiJS table database every 5 s, stalling requests for 100+ ms once
   * it holds thousands of entities). For benches and throwaway state. */
  inMemory?: boolean;
}

function azuriteCli(): string {
  // Resolving package.json (not the package main) locates the CLI without loading the editor extension.
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** The preferred port when free, else an ephemeral free one. */
export async function choosePort(preferred: number): Promise<number> {
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function spawnOnce(options: StartAzuriteOptions, ports: StoragePorts): Promise<AzuriteProcess> {
  const started = Date.now();
  mkdirSync(options.location, { recursive: true });
  const args = [
    '-e',
    WRAPPER,
    azuriteCli(),
    // Azurite refuses --location together with --inMemoryPersistence; its debug log still goes nowhere (--silent).
    ...(options.inMemory ? ['--inMemoryPersistence'] : ['--location', options.location]),
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(ports.queue),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(ports.table),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: false,
  });
  let output = '';
  // Start-up output, kept whole until ready: a port that accepts connections may belong to another process (another
  // host's Azurite that bound it first), so ready also needs Azurite's own "successfully listening" for all three.
  let startup = '';
  const onData = (b: Buffer) => {
    const text = b.toString();
    output = (output + text).slice(-4000);
    if (startup.length < 64_000) startup += text;
    for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // The channel must not keep the host alive; it only exists so the child notices when the host is gone.
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  // Belt and braces next to the IPC check: a host that exits normally (even via process.exit) signals at once.
  const onHostExit = () => {
    if (!hasExited) child.kill('SIGTERM');
  };
  process.once('exit', onHostExit);
  void exited.then(() => {
    hasExited = true;
    process.removeListener('exit', onHostExit);
  });

  const deadline = started + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (hasExited) throw new Error(`Azurite exited before it was ready:\n${output.trim()}`);
    const ok = await Promise.all([accepts(ports.blob), accepts(ports.queue), accepts(ports.table)]);
    if (ok.every(Boolean) && (startup.match(/successfully listening/g) ?? []).length >= 3) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Azurite was not ready after ${options.readyTimeoutMs ?? 120_000} ms:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const readyMs = Date.now() - started;
  let stopping: Promise<void> | undefined;
  return {
    ports,
    pid: child.pid,
    readyMs,
    stop(deadlineMs = 5000) {
      stopping ??= (async () => {
        if (hasExited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(100, deadlineMs));
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** The standard ports (or `preferred`) where free; each taken one is replaced by a free ephemeral port. */
export async function choosePorts(preferred: StoragePorts = STANDARD_PORTS): Promise<StoragePorts> {
  return {
    blob: await choosePort(preferred.blob),
    queue: await choosePort(preferred.queue),
    table: await choosePort(preferred.table),
  };
}

/** Starts Azurite and waits until it accepts connections; retries once on fresh ports if a port was taken meanwhile. */
export async function startAzurite(options: StartAzuriteOptions): Promise<AzuriteProcess> {
  try {
    return await spawnOnce(options, options.ports);
  } catch (e) {
    if (!/EADDRINUSE/.test((e as Error).message)) throw e;
    const fresh = { blob: await choosePort(0), queue: await choosePort(0), table: await choosePort(0) };
    return spawnOnce(options, fresh);
  }
}
