/** `devhost servicebus list|peek|resubmit` against a store written by the real broker through the SDK. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ServiceBusClient } from '@azure/service-bus';
import { ServiceBusEmulator } from '../../servicebus/broker';
import { servicebusCommand } from '../../servicebus/cli';
import { compileConfig } from '../../servicebus/config';
import { ns } from './helpers';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
const dbPath = join(stateDir, 'servicebus', 'servicebus-5672.sqlite');
const config = compileConfig(ns([{ Name: 'jobs' }], [{ Name: 'events', Subscriptions: [{ Name: 'audit' }] }]));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await servicebusCommand(args, {
    appDir: stateDir,
    stateDir,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

async function withBroker<T>(fn: (client: ServiceBusClient) => Promise<T>): Promise<T> {
  const emulator = new ServiceBusEmulator();
  await emulator.start({ host: '127.0.0.1', port: 0, dbPath, config });
  const client = new ServiceBusClient(emulator.connectionString('127.0.0.1'));
  try {
    return await fn(client);
  } finally {
    await client.close();
    await emulator.stop();
  }
}

it('lists entities with counts, peeks active and dead-lettered messages, and resubmits through the running broker and offline', async () => {
  await withBroker(async (client) => {
    const sender = client.createSender('jobs');
    await sender.sendMessages([{ body: { job: 1 } }, { body: { job: 2 }, subject: 'train' }, { body: { job: 3 } }]);
    await sender.scheduleMessages({ body: 'later' }, new Date(Date.now() + 3_600_000));
    const receiver = client.createReceiver('jobs');
    const [first, second] = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    await receiver.deadLetterMessage(first!, {
      deadLetterReason: 'Invalid',
      deadLetterErrorDescription: 'job 1 is bad',
    });
    await receiver.deadLetterMessage(second!, {
      deadLetterReason: 'Invalid',
      deadLetterErrorDescription: 'job 2 is bad',
    });
    await receiver.close();

    const dead = (await run(['peek', 'jobs', '--dlq'])).out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const live = await run(['resubmit', 'jobs', '--sequence', String(dead[1]?.['sequenceNumber'])]);
    expect(live.err).toEqual([]);
    expect(live.out[0]).toMatch(
      /^Resubmitted 1 dead-lettered message\(s\) to jobs \(through the running broker on port \d+\)\.$/,
    );
    const back = await client.createReceiver('jobs').peekMessages(10);
    expect(back.map((m) => m.body as unknown)).toEqual([{ job: 3 }, 'later', { job: 2 }]);
  });

  const list = await run(['list']);
  expect(list.code).toBe(0);
  const jobs = list.out.find((l) => l.startsWith('jobs '));
  expect(jobs?.split(/\s+/)).toEqual(['jobs', 'queue', '2', '1', '0', '1']);
  expect(list.out.some((l) => l.startsWith('events/Subscriptions/audit '))).toBe(true);

  const peek = await run(['peek', 'jobs', '--count', '5']);
  const rows = peek.out.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(rows.map((r) => r['body'])).toEqual([{ job: 3 }, 'later', { job: 2 }]);
  expect(rows.map((r) => r['state'])).toEqual(['active', 'scheduled', 'active']);
  expect(rows[2]?.['subject']).toBe('train');

  const dlq = await run(['peek', 'jobs', '--dlq']);
  const dead = dlq.out.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(
    dead.map((r) => [r['body'], (r['applicationProperties'] as Record<string, unknown>)['DeadLetterReason']]),
  ).toEqual([[{ job: 1 }, 'Invalid']]);

  const resubmit = await run(['resubmit', 'jobs', '--sequence', String(dead[0]?.['sequenceNumber'])]);
  expect(resubmit.code).toBe(0);
  expect(resubmit.out).toEqual(['Resubmitted 1 dead-lettered message(s) to jobs.']);

  const bodies = await withBroker(async (client) => {
    const r = client.createReceiver('jobs', { receiveMode: 'receiveAndDelete' });
    const got = await r.receiveMessages(5, { maxWaitTimeInMs: 800 });
    const dl = await client
      .createReceiver('jobs', { subQueueType: 'deadLetter', receiveMode: 'receiveAndDelete' })
      .receiveMessages(1, { maxWaitTimeInMs: 300 });
    return { got: got.map((m) => [m.body as unknown, m.deliveryCount, m.deadLetterReason]), dl: dl.length };
  });
  expect(bodies.got).toEqual([
    [{ job: 3 }, 0, undefined],
    [{ job: 2 }, 0, undefined],
    [{ job: 1 }, 0, undefined],
  ]);
  expect(bodies.dl).toBe(0);
});

it('answers usage errors with exit code 2 and names what is missing', async () => {
  expect((await run(['peek'])).code).toBe(2);
  expect((await run(['resubmit', 'jobs'])).err.join('')).toMatch(/--all or --sequence/);
  expect((await run(['peek', 'jobs', '--count', 'x'])).code).toBe(2);
  expect((await run(['frobnicate'])).code).toBe(2);
  const missing = await run(['peek', 'nope']);
  expect(missing.code).toBe(1);
  expect(missing.err.join('')).toMatch(/No entity 'nope'/);
});
