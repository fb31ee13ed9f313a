/**
 * End to end through the local host (in-process LocalHost with the Service Bus extension; the app is plain JS
 * in fixtures/app): the embedded broker starts because the connection uses UseDevelopmentEmulator=true, an HTTP
 * function publishes with the SDK, a topic-subscription trigger with a SQL filter gets only its messages, a
 * failing handler's message reaches the dead-letter queue after maxDeliveryCount, and an output binding's array
 * reaches a cardinality-many trigger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceBusClient } from '@azure/service-bus';
import { LocalHost } from '../../host/host';
import { defaultExtensions } from '../../host/extensions-registry';
import { createServiceBusExtension } from '../../servicebus/extension';
import { freePort } from '../helpers/host';
import { sleep } from './helpers';

const appDir = join(__dirname, 'fixtures', 'app');
const stateDir = mkdtempSync(join(tmpdir(), 'sb-e2e-state-'));
let host: LocalHost;
let sbPort: number;

interface Seen {
  runs: Array<{ body: unknown; meta: Record<string, unknown> }>;
  poison: Array<{ body: unknown; deliveryCount: number }>;
  batches: Array<{ bodies: unknown[]; ids: string[] }>;
  sessions: Array<{ sessionId: string; body: { n: number }; overlapped: boolean }>;
}

async function seen(): Promise<Seen> {
  const res = await fetch(`${host.baseUrl}/api/seen`);
  return (await res.json()) as Seen;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

beforeAll(async () => {
  sbPort = await freePort();
  process.env['ServiceBusConnection'] =
    `Endpoint=sb://localhost:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;`;
  host = new LocalHost({
    appDir,
    port: 0,
    stateDir,
    azurite: false,
    extensions: (o) => {
      const exts = defaultExtensions(o);
      return exts.some((e) => e.name === 'servicebus') ? exts : [...exts, createServiceBusExtension()];
    },
  });
  await host.start();
});

afterAll(async () => {
  await host?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

it('an HTTP function publishes with the SDK and the SQL-filtered subscription trigger receives only matching messages, with Azure-shaped triggerMetadata', async () => {
  const res = await fetch(`${host.baseUrl}/api/publish`, {
    method: 'POST',
    body: JSON.stringify([
      { body: { runId: 'r-1', accuracy: 0.93 }, subject: 'run.completed', properties: { stage: 'train' } },
      { body: { runId: 'r-2' }, subject: 'run.completed', properties: { stage: 'deploy' } },
      { body: { model: 'm-1' }, subject: 'model.registered', properties: { stage: 'train' } },
      { body: 'plain text', subject: 'run.completed', properties: { stage: 'eval' } },
    ]),
  });
  expect(res.status).toBe(202);
  const s = await until(seen, (v) => v.runs.length >= 2);
  await sleep(500);
  const after = await seen();
  expect(after.runs.map((r) => r.body)).toEqual([{ runId: 'r-1', accuracy: 0.93 }, 'plain text']);
  const meta = s.runs[0]!.meta;
  expect(meta['subject']).toBe('run.completed');
  expect(meta['label']).toBe('run.completed');
  expect(meta['deliveryCount']).toBe(0);
  expect(meta['applicationProperties']).toEqual({ stage: 'train' });
  expect(typeof meta['messageId']).toBe('string');
  expect(typeof meta['enqueuedTimeUtc']).toBe('string');
  expect(typeof meta['lockToken']).toBe('string');
  expect(typeof meta['sequenceNumber']).toBe('number');
});

it("a failing handler's message is retried and reaches the dead-letter queue after maxDeliveryCount (3)", async () => {
  const client = new ServiceBusClient(
    `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true`,
  );
  try {
    await client.createSender('poison').sendMessages({ body: { job: 'bad' } });
    const s = await until(seen, (v) => v.poison.length >= 3);
    expect(s.poison.map((p) => p.deliveryCount)).toEqual([0, 1, 2]);
    const dlq = client.createReceiver('poison', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' });
    const dead = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    expect(dead.map((m) => [m.body as unknown, m.deadLetterReason])).toEqual([
      [{ job: 'bad' }, 'MaxDeliveryCountExceeded'],
    ]);
    await sleep(300);
    expect((await seen()).poison.length).toBe(3);
  } finally {
    await client.close();
  }
});

it('an output binding sends an array as a batch and a cardinality-many trigger receives it with messageIdArray', async () => {
  const res = await fetch(`${host.baseUrl}/api/enqueue`, {
    method: 'POST',
    body: JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]),
  });
  expect(res.status).toBe(202);
  const s = await until(seen, (v) => v.batches.flatMap((b) => b.bodies).length >= 3);
  expect(s.batches.flatMap((b) => b.bodies)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  expect(s.batches.flatMap((b) => b.ids).every((id) => typeof id === 'string')).toBe(true);
});

it('a session-enabled trigger handles each session one message at a time, in order, while sessions run in parallel', async () => {
  const client = new ServiceBusClient(
    `Endpoint=sb://127.0.0.1:${sbPort};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true`,
  );
  try {
    const sender = client.createSender('by-session');
    const msgs = [];
    for (let n = 0; n < 6; n++) for (const sessionId of ['s1', 's2', 's3']) msgs.push({ body: { n }, sessionId });
    await sender.sendMessages(msgs);
    await sender.close();
    const s = await until(seen, (v) => v.sessions.length >= 18);
    expect(s.sessions.length).toBe(18);
    for (const sid of ['s1', 's2', 's3'])
      expect(s.sessions.filter((x) => x.sessionId === sid).map((x) => x.body.n)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.sessions.some((x) => x.overlapped)).toBe(false);
  } finally {
    await client.close();
  }
});
