/** Start a real in-process broker on a free port with a fresh SQLite file; stop removes everything. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceBusClient } from '@azure/service-bus';
import { ServiceBusEmulator } from '../../servicebus/broker';
import { compileConfig } from '../../servicebus/config';

export interface TestBroker {
  emulator: ServiceBusEmulator;
  connectionString: string;
  client: ServiceBusClient;
  dir: string;
  stop(): Promise<void>;
}

export async function startBroker(rawConfig: unknown): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-'));
  const emulator = new ServiceBusEmulator();
  await emulator.start({ host: '127.0.0.1', port: 0, dbPath: join(dir, 'sb.sqlite'), config: compileConfig(rawConfig) });
  const connectionString = emulator.connectionString('127.0.0.1');
  const client = new ServiceBusClient(connectionString, { retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 10_000 } });
  return {
    emulator,
    connectionString,
    client,
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
