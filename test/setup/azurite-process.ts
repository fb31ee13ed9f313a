/**
 * One Azurite (Blob, Queue, Table; in memory) as a child process on ports it picks itself (port 0), read from its
 * "successfully listening at" lines. Used by the run's shared Azurite (global.ts) and by files that need their own
 * (test/records/azurite.ts `startAzurite`). `stop()` ends the process and removes its working directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AzuriteProcess {
  ports: { Blob: number; Queue: number; Table: number };
  stop(): Promise<void>;
}

export async function spawnAzurite(
  options: { env?: NodeJS.ProcessEnv; dirPrefix?: string } = {},
): Promise<AzuriteProcess> {
  const cwd = mkdtempSync(join(tmpdir(), options.dirPrefix ?? 'stagecraft-azurite-'));
  const script = resolve(__dirname, '..', '..', 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const args = ['--silent', '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry'];
  for (const service of ['blob', 'queue', 'table']) args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, '0');
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const ports = await new Promise<AzuriteProcess['ports']>((res, rej) => {
      const found: Record<string, number> = {};
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        for (const m of output.matchAll(
          /Azurite (Blob|Table|Queue) service is successfully listening at http:\/\/127\.0\.0\.1:(\d+)/g,
        ))
          found[m[1]!] = Number(m[2]);
        if (found['Blob'] && found['Table'] && found['Queue'])
          res({ Blob: found['Blob'], Queue: found['Queue'], Table: found['Table'] });
      });
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) => rej(new Error(`azurite exited (${code}) before listening:\n${output}`)));
      child.once('error', rej);
    });
    return {
      ports,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(cwd, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
    throw e;
  }
}
