/**
 * Run the broker as a child process (main.ts through tsx): used by the crash test and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface BrokerProcess {
  port: number;
  connectionString: string;
  proc: ChildProcess;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  stderr(): string;
}

const REPO = join(__dirname, '..', '..');

export async function spawnBroker(opts: {
  dbPath: string;
  configPath?: string;
  port?: number;
  timeoutMs?: number;
}): Promise<BrokerProcess> {
  // From TypeScript sources (tests, tsx) run main.ts through tsx's loader; from compiled output run main.js.
  const compiled = __filename.endsWith('.js');
  const entry = compiled
    ? [join(__dirname, 'main.js')]
    : ['--import', require.resolve('tsx', { paths: [REPO] }), join(__dirname, 'main.ts')];
  const args = [...entry, '--db', opts.dbPath, '--port', String(opts.port ?? 0)];
  if (opts.configPath) args.push('--config', opts.configPath);
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = await new Promise<{ port: number; connectionString: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`broker did not start within ${opts.timeoutMs ?? 20_000} ms: ${err}`)),
      opts.timeoutMs ?? 20_000,
    );
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { port: number; connectionString: string });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${String(code)} before listening: ${err}`));
    });
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    await exited;
  };
  return { ...ready, proc, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL'), stderr: () => err };
}
