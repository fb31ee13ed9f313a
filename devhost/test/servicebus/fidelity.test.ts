/**
 * Fidelity with Azure Service Bus (issue #13), through the real @azure/service-bus SDK: message size limit,
 * settlement after lock expiry, redelivery of an expired lock to a waiting receiver, effective TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServiceBusError, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { ns, startBroker, until, type TestBroker } from './helpers';

let b: TestBroker;
const bodyOf = (m: ServiceBusReceivedMessage): unknown => m.body as unknown;
const errorOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(async () => {
  b = await startBroker(
    ns([
      { Name: 'size' },
      { Name: 'lost', Properties: { LockDuration: 'PT1M' } },
      { Name: 'waiting', Properties: { LockDuration: 'PT1M' } },
      { Name: 'ttl-cap', Properties: { DefaultMessageTimeToLive: 'PT1M' } },
    ]),
  );
});

afterAll(async () => {
  await b.stop();
});

describe('message size', () => {
  it('refuses a single message over 256 KB with MessageSizeExceeded and advertises 256 KB as the link maximum', async () => {
    const sender = b.client.createSender('size');
    const batch = await sender.createMessageBatch();
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    const err = await errorOf(sender.sendMessages({ body: Buffer.alloc(300 * 1024, 1) }));
    expect(isServiceBusError(err) && err.code).toBe('MessageSizeExceeded');
    await sender.sendMessages({ body: Buffer.alloc(200 * 1024, 2) });
    const r = b.client.createReceiver('size', { receiveMode: 'receiveAndDelete' });
    const got = await r.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    expect(got.map((m) => (m.body as Buffer).length)).toEqual([200 * 1024]);
    await r.close();
    await sender.close();
  });
});

describe('lock expiry', () => {
  it('a complete after the lock expired fails with MessageLockLost and the message is delivered again', async () => {
    const sender = b.client.createSender('lost');
    await sender.sendMessages({ body: 'late' });
    const r = b.client.createReceiver('lost', { maxAutoLockRenewalDurationInMs: 0 });
    const [m] = await r.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(m).toBeDefined();
    await b.clock.advance(61_000);
    const err = await errorOf(r.completeMessage(m!));
    expect(isServiceBusError(err) && err.code).toBe('MessageLockLost');
    const again = await r.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(again.map((x) => [bodyOf(x), x.deliveryCount])).toEqual([['late', 1]]);
    await r.completeMessage(again[0]!);
    await r.close();
    await sender.close();
  });

  it('an expired lock makes the message available at once to a receiver already waiting, with deliveryCount 1', async () => {
    const sender = b.client.createSender('waiting');
    await sender.sendMessages({ body: 'held' });
    const holder = b.client.createReceiver('waiting', { maxAutoLockRenewalDurationInMs: 0 });
    const [m] = await holder.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(m).toBeDefined();
    expect(b.emulator.readyReceivers('waiting')).toBe(0);
    const other = b.client.createReceiver('waiting', { maxAutoLockRenewalDurationInMs: 0 });
    const receiving = other.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
    // The lock expires only once `other` is attached and has asked for a message.
    await until(() => b.emulator.readyReceivers('waiting') === 1, 'the second receiver to wait with credit');
    await b.clock.advance(61_000);
    const got = await receiving;
    expect(got.map((x) => [bodyOf(x), x.deliveryCount])).toEqual([['held', 1]]);
    await other.completeMessage(got[0]!);
    const err = await errorOf(holder.completeMessage(m!));
    expect(isServiceBusError(err) && err.code).toBe('MessageLockLost');
    await holder.close();
    await other.close();
    await sender.close();
  });
});

describe('time to live', () => {
  it("reports the effective TTL: an entity's default caps the message's own timeToLive and expiresAtUtc", async () => {
    const sender = b.client.createSender('ttl-cap');
    await sender.sendMessages([
      { body: 'long', timeToLive: 3_600_000 },
      { body: 'short', timeToLive: 30_000 },
      { body: 'none' },
    ]);
    const r = b.client.createReceiver('ttl-cap', { receiveMode: 'receiveAndDelete' });
    const got = await r.receiveMessages(3, { maxWaitTimeInMs: 1000 });
    expect(got.map((m) => [bodyOf(m), m.timeToLive])).toEqual([
      ['long', 60_000],
      ['short', 30_000],
      ['none', 60_000],
    ]);
    for (const m of got) expect(m.expiresAtUtc!.getTime()).toBe(m.enqueuedTimeUtc!.getTime() + m.timeToLive!);
    await r.close();
    await sender.close();
  });
});
