/**
 * Sessions through the real @azure/service-bus SDK: RequiresSession queues and subscriptions, acceptSession /
 * acceptNextSession, FIFO per session, one receiver per session, session state, session lock renewal and expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { ns, sleep, startBroker, until, type TestBroker } from './helpers';

let b: TestBroker;
const bodyOf = (m: ServiceBusReceivedMessage): unknown => m.body as unknown;
const errorOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(async () => {
  b = await startBroker(
    ns(
      [
        { Name: 'plain' },
        { Name: 'fifo', Properties: { RequiresSession: true } },
        { Name: 'next', Properties: { RequiresSession: true } },
        { Name: 'wait', Properties: { RequiresSession: true } },
        { Name: 'state', Properties: { RequiresSession: true } },
        { Name: 'expiry', Properties: { RequiresSession: true, LockDuration: 'PT1M' } },
        { Name: 'deferred', Properties: { RequiresSession: true } },
      ],
      [{ Name: 'orders', Subscriptions: [{ Name: 'by-customer', Properties: { RequiresSession: true } }] }],
    ),
  );
});

afterAll(async () => {
  await b.stop();
});

describe('session entities', () => {
  it('refuse a message without sessionId and a non-session receiver; a non-session entity refuses session receivers', async () => {
    const sender = b.client.createSender('fifo');
    const err = await errorOf(sender.sendMessages({ body: 'no-session' }));
    expect(String((err as Error).message)).toMatch(/SessionId was not set/);
    const r = b.client.createReceiver('fifo', { receiveMode: 'receiveAndDelete' });
    const err2 = await errorOf(r.receiveMessages(1, { maxWaitTimeInMs: 500 }));
    expect(String((err2 as Error).message)).toMatch(/requires sessions/);
    await r.close();
    const err3 = await errorOf(b.client.acceptNextSession('plain'));
    expect(String((err3 as Error).message)).toMatch(/does not require sessions/);
    await sender.close();
  });

  it('acceptSession receives only its session, in order; abandoned messages come back first; one receiver per session', async () => {
    const sender = b.client.createSender('fifo');
    await sender.sendMessages([
      { body: 'a1', sessionId: 'A' },
      { body: 'b1', sessionId: 'B' },
      { body: 'a2', sessionId: 'A' },
      { body: 'a3', sessionId: 'A' },
      { body: 'b2', sessionId: 'B' },
    ]);
    const a = await b.client.acceptSession('fifo', 'A', { maxAutoLockRenewalDurationInMs: 0 });
    expect(a.sessionId).toBe('A');
    expect(a.sessionLockedUntilUtc.getTime()).toBeGreaterThan(Date.now());
    const first = await a.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    expect(first.map(bodyOf)).toEqual(['a1', 'a2']);
    expect(first.every((m) => m.sessionId === 'A')).toBe(true);
    const busy = await errorOf(b.client.acceptSession('fifo', 'A'));
    expect(isServiceBusError(busy) && busy.code).toBe('SessionCannotBeLocked');
    await a.completeMessage(first[0]!);
    await a.abandonMessage(first[1]!);
    const rest = await a.receiveMessages(5, { maxWaitTimeInMs: 800 });
    expect(rest.map((m) => [bodyOf(m), m.deliveryCount])).toEqual([
      ['a2', 1],
      ['a3', 0],
    ]);
    for (const m of rest) await a.completeMessage(m);
    await a.close();

    const bs = await b.client.acceptSession('fifo', 'B', { receiveMode: 'receiveAndDelete' });
    expect((await bs.receiveMessages(5, { maxWaitTimeInMs: 800 })).map(bodyOf)).toEqual(['b1', 'b2']);
    await bs.close();
    // Closed: the session can be accepted again (empty now).
    const again = await b.client.acceptSession('fifo', 'A');
    expect(await again.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
    await again.close();
    await sender.close();
  });

  it('acceptNextSession takes the unlocked session with the oldest message, skipping locked ones', async () => {
    const sender = b.client.createSender('next');
    await sender.sendMessages([
      { body: 'x1', sessionId: 'X' },
      { body: 'y1', sessionId: 'Y' },
    ]);
    const first = await b.client.acceptNextSession('next');
    const second = await b.client.acceptNextSession('next');
    expect([first.sessionId, second.sessionId]).toEqual(['X', 'Y']);
    expect((await second.receiveMessages(1, { maxWaitTimeInMs: 1000 })).map(bodyOf)).toEqual(['y1']);
    await first.close();
    await second.close();
    const drain = await b.client.acceptNextSession('next', { receiveMode: 'receiveAndDelete' });
    expect((await drain.receiveMessages(2, { maxWaitTimeInMs: 800 })).map(bodyOf)).toEqual(['x1']);
    await drain.close();
    await sender.close();
  });

  it('acceptNextSession waits for a session to get messages, and times out with ServiceTimeout when none does', async () => {
    const sender = b.client.createSender('wait');
    const pending = b.client.acceptNextSession('wait');
    await sleep(400);
    await sender.sendMessages({ body: 'late', sessionId: 'L' });
    const r = await pending;
    expect(r.sessionId).toBe('L');
    const [late] = await r.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(bodyOf(late!)).toBe('late');
    await r.completeMessage(late!);
    await r.close();

    const quick = new ServiceBusClient(b.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 1500 } });
    const err = await errorOf(quick.acceptNextSession('wait'));
    expect(isServiceBusError(err) && err.code).toBe('ServiceTimeout');
    await quick.close();
    await sender.close();
  });

  it('keeps session state (set/get through $management) across receivers', async () => {
    const r = await b.client.acceptSession('state', 'S1');
    expect(await r.getSessionState()).toBeUndefined();
    await r.setSessionState({ step: 2 });
    expect(await r.getSessionState()).toEqual({ step: 2 });
    await r.close();
    const r2 = await b.client.acceptSession('state', 'S1');
    expect(await r2.getSessionState()).toEqual({ step: 2 });
    await r2.setSessionState(null);
    expect(await r2.getSessionState()).toBeNull();
    await r2.close();
  });

  it('renewSessionLock extends the lock; an unrenewed session lock expires: SessionLockLost, and the messages go to the next receiver with deliveryCount 1', async () => {
    const sender = b.client.createSender('expiry');
    await sender.sendMessages([
      { body: 'e1', sessionId: 'E' },
      { body: 'e2', sessionId: 'E' },
    ]);
    const r = await b.client.acceptSession('expiry', 'E', { maxAutoLockRenewalDurationInMs: 0 });
    const before = r.sessionLockedUntilUtc.getTime();
    const [m] = await r.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await b.clock.advance(10_000);
    const renewed = await r.renewSessionLock();
    expect(renewed.getTime()).toBeGreaterThan(before);
    // 75 s on: the renewed lock (until 70 s) has expired; the broker detaches the receiver (session-lock-lost).
    await b.clock.advance(65_000);
    await until(() => r.isClosed, 'the receiver to see its session lock lost');
    const err = await errorOf(r.completeMessage(m!));
    expect(isServiceBusError(err) && err.code).toBe('SessionLockLost');
    const next = await b.client.acceptSession('expiry', 'E', { maxAutoLockRenewalDurationInMs: 0 });
    const got = await next.receiveMessages(2, { maxWaitTimeInMs: 1000 });
    expect(got.map((x) => [bodyOf(x), x.deliveryCount])).toEqual([
      ['e1', 1],
      ['e2', 0],
    ]);
    for (const x of got) await next.completeMessage(x);
    await next.close();
    await r.close().catch(() => undefined);
    await sender.close();
  });

  it('defers a session message and receives it by sequence number through the session receiver; peek sees only the session', async () => {
    const sender = b.client.createSender('deferred');
    await sender.sendMessages([
      { body: 'd1', sessionId: 'D' },
      { body: 'o1', sessionId: 'O' },
    ]);
    const r = await b.client.acceptSession('deferred', 'D');
    const [m] = await r.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    await r.deferMessage(m!);
    expect((await r.peekMessages(5)).map(bodyOf)).toEqual(['d1']);
    const [d] = await r.receiveDeferredMessages([m!.sequenceNumber!]);
    expect(bodyOf(d!)).toBe('d1');
    await r.completeMessage(d!);
    await r.close();
    await sender.close();
  });

  it('works for a RequiresSession topic subscription', async () => {
    const sender = b.client.createSender('orders');
    await sender.sendMessages([
      { body: 'c1-1', sessionId: 'c1' },
      { body: 'c2-1', sessionId: 'c2' },
      { body: 'c1-2', sessionId: 'c1' },
    ]);
    const r = await b.client.acceptSession('orders', 'by-customer', 'c1', { receiveMode: 'receiveAndDelete' });
    expect((await r.receiveMessages(5, { maxWaitTimeInMs: 800 })).map(bodyOf)).toEqual(['c1-1', 'c1-2']);
    await r.close();
    const n = await b.client.acceptNextSession('orders', 'by-customer', { receiveMode: 'receiveAndDelete' });
    expect(n.sessionId).toBe('c2');
    await n.close();
    await sender.close();
  });
});
