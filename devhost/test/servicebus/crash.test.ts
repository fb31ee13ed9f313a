/**
 * Durability under kill -9: the broker runs as a child process, is SIGKILLed mid-traffic and restarted on the
 * same SQLite file. Invariants (the only things asserted, whatever the interleaving):
 * - every message whose send resolved is, after restart, either still in the queue or had its complete resolved;
 * - no message whose complete resolved is delivered again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ServiceBusClient } from '@azure/service-bus';
import { spawnBroker, type BrokerProcess } from '../../servicebus/child';
import { sleep } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
const brokers: BrokerProcess[] = [];

afterAll(async () => {
  for (const b of brokers) await b.kill();
  rmSync(dir, { recursive: true, force: true });
});

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

it('kill -9 mid-traffic loses no accepted message and never redelivers a completed one', async () => {
  const configPath = join(dir, 'Config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      UserConfig: {
        Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'crash', Properties: { LockDuration: 'PT30S' } }] }],
      },
    }),
  );
  const dbPath = join(dir, 'sb.sqlite');
  const first = await spawnBroker({ dbPath, configPath });
  brokers.push(first);
  const connect = (cs: string): ServiceBusClient =>
    new ServiceBusClient(cs.replace('sb://localhost', 'sb://127.0.0.1'), {
      retryOptions: { maxRetries: 0, timeoutInMs: 3000 },
    });

  const client = connect(first.connectionString);
  const acked = new Set<string>();
  const completed = new Set<string>();
  let stop = false;

  const sendLoop = async (worker: number): Promise<void> => {
    const sender = client.createSender('crash');
    for (let i = 0; !stop; i++) {
      const ids = Array.from({ length: 10 }, (_, k) => `w${worker}-${i}-${k}`);
      try {
        await sender.sendMessages(ids.map((id) => ({ body: id, messageId: id })));
        for (const id of ids) acked.add(id);
      } catch {
        return;
      }
    }
  };
  const receiveLoop = async (): Promise<void> => {
    const receiver = client.createReceiver('crash', { maxAutoLockRenewalDurationInMs: 0 });
    while (!stop) {
      try {
        const msgs = await receiver.receiveMessages(20, { maxWaitTimeInMs: 200 });
        await Promise.all(
          msgs.map(async (m) => {
            await receiver.completeMessage(m);
            completed.add(String(m.messageId));
          }),
        );
      } catch {
        return;
      }
    }
  };

  const loops = [sendLoop(1), sendLoop(2), receiveLoop(), receiveLoop()];
  // Kill once there is traffic in both directions (bounded wait: the machine may be busy).
  const deadline = Date.now() + 30_000;
  while ((acked.size < 600 || completed.size < 150) && Date.now() < deadline) await sleep(20);
  await first.kill();
  stop = true;
  await withTimeout(Promise.all(loops), 10_000);
  await withTimeout(client.close(), 3000);
  expect(acked.size).toBeGreaterThanOrEqual(200);
  expect(completed.size).toBeGreaterThanOrEqual(50);

  const second = await spawnBroker({ dbPath, configPath });
  brokers.push(second);
  const after = connect(second.connectionString);
  const receiver = after.createReceiver('crash', { receiveMode: 'receiveAndDelete' });
  const remaining: string[] = [];
  for (let idle = 0; idle < 3;) {
    const msgs = await receiver.receiveMessages(500, { maxWaitTimeInMs: 300 });
    if (msgs.length === 0) idle++;
    remaining.push(...msgs.map((m) => String(m.messageId)));
  }
  await after.close();
  await second.stop();

  const left = new Set(remaining);
  const lost = [...acked].filter((id) => !left.has(id) && !completed.has(id));
  const resurrected = [...completed].filter((id) => left.has(id));
  expect(lost).toEqual([]);
  expect(resurrected).toEqual([]);
  expect(remaining.length).toBe(left.size);
}, 120_000);
