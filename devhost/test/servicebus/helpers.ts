/**
 * Start a real in-process broker on a free port with a fresh SQLite file; stop removes everything. The broker runs
 * on a `TestClock`: a test moves time forward with `b.clock.advance(ms)` instead of sleeping for lock expiry,
 * scheduled messages, TTL or duplicate-detection windows (without `advance` it is wall-clock time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { ServiceBusEmulator } from '../../servicebus/broker';
import { compileConfig } from '../../servicebus/config';
import { TestClock } from '../../lib/clock';

export interface TestBroker {
  emulator: ServiceBusEmulator;
  connectionString: string;
  client: ServiceBusClient;
  clock: TestClock;
  dir: string;
  stop(): Promise<void>;
}

export async function startBroker(rawConfig: unknown): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-'));
  const emulator = new ServiceBusEmulator();
  const clock = new TestClock();
  await emulator.start({
    host: '127.0.0.1',
    port: 0,
    dbPath: join(dir, 'sb.sqlite'),
    config: compileConfig(rawConfig),
    clock,
  });
  const connectionString = emulator.connectionString('127.0.0.1');
  const client = new ServiceBusClient(connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 10_000 },
  });
  return {
    emulator,
    connectionString,
    client,
    clock,
    dir,
    stop: async () => {
      await client.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function ns(queues: unknown[] = [], topics: unknown[] = []): unknown {
  return { UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: queues, Topics: topics }] } };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` (real time) until it holds; fails after `timeoutMs`. For waiting on a state, not on time passing. */
export async function until(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
