/**
 * The broker against the real @azure/service-bus SDK (public API only): send forms, ids, duplicate detection,
 * scheduling, TTL, settlement outcomes, locks, dead-lettering, peek, topics with rules, errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { managementRequest } from '../../servicebus/admin-client';
import { DEFAULT_SAS_KEY, DEFAULT_SAS_KEY_NAME } from '../../servicebus/broker';
import { ns, startBroker, type TestBroker } from './helpers';

let b: TestBroker;
const bodyOf = (m: ServiceBusReceivedMessage): unknown => m.body as unknown;

beforeAll(async () => {
  b = await startBroker(
    ns(
      [
        { Name: 'basic' },
        { Name: 'ids' },
        {
          Name: 'dedup',
          Properties: { RequiresDuplicateDetection: true, DuplicateDetectionHistoryTimeWindow: 'PT2S' },
        },
        { Name: 'sched' },
        { Name: 'ttl', Properties: { DeadLetteringOnMessageExpiration: true } },
        { Name: 'ttl-drop' },
        { Name: 'settle', Properties: { MaxDeliveryCount: 5 } },
        { Name: 'locks', Properties: { LockDuration: 'PT1M', MaxDeliveryCount: 5 } },
        { Name: 'maxdc', Properties: { MaxDeliveryCount: 3 } },
        { Name: 'rad' },
        { Name: 'peek' },
        { Name: 'subscribe', Properties: { MaxDeliveryCount: 10 } },
        { Name: 'merged', Properties: { MaxDeliveryCount: 10 } },
      ],
      [
        {
          Name: 'events',
          Subscriptions: [
            {
              Name: 'red',
              Rules: [
                {
                  Name: 'red-only',
                  Properties: {
                    FilterType: 'Sql',
                    SqlFilter: { SqlExpression: "color = 'red' AND sys.Label LIKE 'run.%'" },
                  },
                },
              ],
            },
            {
              Name: 'corr',
              Rules: [
                {
                  Name: 'c',
                  Properties: {
                    FilterType: 'Correlation',
                    CorrelationFilter: { CorrelationId: 'abc', Properties: { stage: 'train' } },
                  },
                },
              ],
            },
            { Name: 'all' },
          ],
        },
      ],
    ),
  );
});

afterAll(async () => {
  await b.stop();
});

async function drain(
  queue: string,
  n: number,
  wait = 1000,
  sub?: { subQueueType?: 'deadLetter'; topicSub?: string },
): Promise<ServiceBusReceivedMessage[]> {
  const receiver = sub?.topicSub
    ? b.client.createReceiver(queue, sub.topicSub, {
        receiveMode: 'receiveAndDelete',
        ...(sub.subQueueType ? { subQueueType: sub.subQueueType } : {}),
      })
    : b.client.createReceiver(queue, {
        receiveMode: 'receiveAndDelete',
        ...(sub?.subQueueType ? { subQueueType: sub.subQueueType } : {}),
      });
  const out: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + wait;
  while (out.length < n && Date.now() < deadline)
    out.push(...(await receiver.receiveMessages(n - out.length, { maxWaitTimeInMs: 300 })));
  await receiver.close();
  return out;
}

describe('send', () => {
  it('delivers single, array and createMessageBatch sends once each, with bodies and applicationProperties intact', async () => {
    const sender = b.client.createSender('basic');
    await sender.sendMessages({ body: { kind: 'single' }, applicationProperties: { n: 1, s: 'x', f: true } });
    await sender.sendMessages([{ body: 'array-1' }, { body: 'array-2', applicationProperties: { n: 2 } }]);
    const batch = await sender.createMessageBatch();
    expect(batch.tryAddMessage({ body: Buffer.from([1, 2, 3]) })).toBe(true);
    expect(
      batch.tryAddMessage({ body: 42, contentType: 'application/json', subject: 'num', correlationId: 'c-1' }),
    ).toBe(true);
    await sender.sendMessages(batch);
    await sender.close();
    const got = await drain('basic', 5);
    expect(got.map(bodyOf)).toEqual([{ kind: 'single' }, 'array-1', 'array-2', Buffer.from([1, 2, 3]), 42]);
    expect(got[0]?.applicationProperties).toEqual({ n: 1, s: 'x', f: true });
    expect(got[2]?.applicationProperties).toEqual({ n: 2 });
    expect(got[4]?.subject).toBe('num');
    expect(got[4]?.correlationId).toBe('c-1');
    const seqs = got.map((m) => Number(m.sequenceNumber));
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(5);
    expect(await drain('basic', 1, 400)).toEqual([]);
  });

  it('assigns a messageId when the sender sets none and keeps the one it sets', async () => {
    const sender = b.client.createSender('ids');
    await sender.sendMessages([{ body: 'no-id' }, { body: 'with-id', messageId: 'mine-1' }]);
    await sender.close();
    const got = await drain('ids', 2);
    expect(typeof got[0]?.messageId).toBe('string');
    expect(String(got[0]?.messageId).length).toBeGreaterThan(0);
    expect(got[1]?.messageId).toBe('mine-1');
  });

  it('drops a repeated messageId inside the duplicate-detection window and accepts it again after the window', async () => {
    const sender = b.client.createSender('dedup');
    await sender.sendMessages({ body: 'first', messageId: 'dup-1' });
    await sender.sendMessages({ body: 'second', messageId: 'dup-1' });
    await sender.sendMessages({ body: 'other', messageId: 'dup-2' });
    await b.clock.advance(2300);
    await sender.sendMessages({ body: 'third', messageId: 'dup-1' });
    await sender.close();
    const got = await drain('dedup', 4, 1200);
    expect(got.map(bodyOf)).toEqual(['first', 'other', 'third']);
  });
});

describe('scheduling and expiry', () => {
  it('keeps scheduled messages invisible until their time, and cancelScheduledMessages removes one', async () => {
    const sender = b.client.createSender('sched');
    // An hour ahead on the broker's clock: only `advance` gets there, however slow the machine.
    const at = new Date(b.clock.now() + 3_600_000);
    const [keep] = await sender.scheduleMessages({ body: 'scheduled' }, at);
    const [cancel] = await sender.scheduleMessages({ body: 'cancelled' }, at);
    await sender.sendMessages({ body: 'enqueue-time', scheduledEnqueueTimeUtc: at });
    expect(keep).toBeDefined();
    await sender.cancelScheduledMessages(cancel!);
    const peeked = await b.client.createReceiver('sched').peekMessages(10);
    expect(peeked.map((m) => m.state)).toEqual(['scheduled', 'scheduled']);
    expect(await drain('sched', 1, 300)).toEqual([]);
    await b.clock.advance(3_600_000 + 300);
    const got = await drain('sched', 3, 1000);
    expect(got.map(bodyOf).sort()).toEqual(['enqueue-time', 'scheduled']);
    expect(got.every((m) => m.enqueuedTimeUtc !== undefined && m.enqueuedTimeUtc.getTime() >= at.getTime() - 5)).toBe(
      true,
    );
    await sender.close();
  });

  it('moves an expired message to the dead-letter queue with TTLExpiredException when DeadLetteringOnMessageExpiration is on', async () => {
    const sender = b.client.createSender('ttl');
    await sender.sendMessages({ body: 'short', timeToLive: 300 });
    await sender.sendMessages({ body: 'long' });
    await b.clock.advance(800);
    expect((await drain('ttl', 2, 500)).map(bodyOf)).toEqual(['long']);
    const dead = await drain('ttl', 1, 1000, { subQueueType: 'deadLetter' });
    expect(dead.map(bodyOf)).toEqual(['short']);
    expect(dead[0]?.deadLetterReason).toBe('TTLExpiredException');
    await sender.close();
  });

  it('discards an expired message when dead-lettering on expiration is off', async () => {
    const sender = b.client.createSender('ttl-drop');
    await sender.sendMessages({ body: 'short', timeToLive: 200 });
    await b.clock.advance(600);
    expect(await drain('ttl-drop', 1, 400)).toEqual([]);
    expect(await drain('ttl-drop', 1, 400, { subQueueType: 'deadLetter' })).toEqual([]);
    await sender.close();
  });
});

describe('peek-lock settlement', () => {
  it('complete removes, abandon (with property changes) redelivers with deliveryCount+1, deadLetter carries reason and description, defer + receiveDeferredMessages works', async () => {
    const sender = b.client.createSender('settle');
    await sender.sendMessages(
      ['complete', 'abandon', 'deadletter', 'defer'].map((body) => ({ body, applicationProperties: { tag: 'orig' } })),
    );
    const receiver = b.client.createReceiver('settle', { maxAutoLockRenewalDurationInMs: 0 });
    const msgs = await receiver.receiveMessages(4, { maxWaitTimeInMs: 1000 });
    expect(msgs.map(bodyOf)).toEqual(['complete', 'abandon', 'deadletter', 'defer']);
    expect(
      msgs.every((m) => m.deliveryCount === 0 && typeof m.lockToken === 'string' && m.lockedUntilUtc !== undefined),
    ).toBe(true);
    const [c, a, d, f] = msgs as [
      ServiceBusReceivedMessage,
      ServiceBusReceivedMessage,
      ServiceBusReceivedMessage,
      ServiceBusReceivedMessage,
    ];
    await receiver.completeMessage(c);
    await receiver.abandonMessage(a, { tag: 'changed', extra: 7 });
    await receiver.deadLetterMessage(d, {
      deadLetterReason: 'BadInput',
      deadLetterErrorDescription: 'field x missing',
    });
    await receiver.deferMessage(f);

    const again = await receiver.receiveMessages(4, { maxWaitTimeInMs: 600 });
    expect(again.map(bodyOf)).toEqual(['abandon']);
    expect(again[0]?.deliveryCount).toBe(1);
    expect(again[0]?.applicationProperties).toEqual({ tag: 'changed', extra: 7 });
    await receiver.completeMessage(again[0]!);

    const deferred = await receiver.receiveDeferredMessages([f.sequenceNumber!]);
    expect(deferred.map(bodyOf)).toEqual(['defer']);
    expect(deferred[0]?.state).toBe('deferred');
    await receiver.completeMessage(deferred[0]!);
    await expect(receiver.receiveDeferredMessages([f.sequenceNumber!])).rejects.toThrow();

    const dead = await drain('settle', 1, 1000, { subQueueType: 'deadLetter' });
    expect(dead.map((m) => [bodyOf(m), m.deadLetterReason, m.deadLetterErrorDescription, m.deadLetterSource])).toEqual([
      ['deadletter', 'BadInput', 'field x missing', 'settle'],
    ]);
    expect(await drain('settle', 1, 300)).toEqual([]);
    await receiver.close();
    await sender.close();
  });

  it('renewMessageLock extends lockedUntil; an expired lock redelivers with deliveryCount 1 and the stale complete fails with MessageLockLost', async () => {
    const sender = b.client.createSender('locks');
    await sender.sendMessages([{ body: 'renewed' }, { body: 'expires' }]);
    const receiver = b.client.createReceiver('locks', { maxAutoLockRenewalDurationInMs: 0 });
    const [r, e] = (await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 })) as [
      ServiceBusReceivedMessage,
      ServiceBusReceivedMessage,
    ];
    const before = r.lockedUntilUtc!.getTime();
    await b.clock.advance(10_000);
    const until = await receiver.renewMessageLock(r);
    expect(until.getTime()).toBeGreaterThan(before);
    await b.clock.advance(40_000);
    await receiver.renewMessageLock(r);
    await b.clock.advance(25_000);
    // 75 s on: `r` stayed locked through renewals (until 110 s); `e` (60 s lock) expired and is delivered again.
    await receiver.completeMessage(r);
    const err = await receiver.completeMessage(e).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isServiceBusError(err) && err.code).toBe('MessageLockLost');
    const again = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    expect(again.map((m) => [bodyOf(m), m.deliveryCount])).toEqual([['expires', 1]]);
    await receiver.completeMessage(again[0]!);
    await receiver.close();
    await sender.close();
  });

  it('moves a message to the dead-letter queue with MaxDeliveryCountExceeded after maxDeliveryCount abandons', async () => {
    const sender = b.client.createSender('maxdc');
    await sender.sendMessages({ body: 'poison' });
    const receiver = b.client.createReceiver('maxdc', { maxAutoLockRenewalDurationInMs: 0 });
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
      counts.push(m!.deliveryCount!);
      await receiver.abandonMessage(m!);
    }
    expect(counts).toEqual([0, 1, 2]);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 400 })).toEqual([]);
    const dead = await drain('maxdc', 1, 1000, { subQueueType: 'deadLetter' });
    expect(dead.map((m) => [bodyOf(m), m.deadLetterReason])).toEqual([['poison', 'MaxDeliveryCountExceeded']]);
    await receiver.close();
    await sender.close();
  });

  it('subscribe() abandons when the handler throws and delivers again until the handler succeeds', async () => {
    const sender = b.client.createSender('subscribe');
    await sender.sendMessages({ body: 'flaky' });
    const receiver = b.client.createReceiver('subscribe');
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      receiver.subscribe(
        {
          processMessage: async (m) => {
            seen.push(m.deliveryCount ?? -1);
            if (seen.length < 3) throw new Error('transient');
            resolve();
          },
          processError: async () => undefined,
        },
        { maxConcurrentCalls: 2 },
      );
    });
    expect(seen).toEqual([0, 1, 2]);
    await receiver.close();
    await sender.close();
  });
});

describe('client quirks', () => {
  it('an abandon followed by completes in the same tick (rhea merges them into one disposition) loses nothing: each message is completed or delivered again', async () => {
    const sender = b.client.createSender('merged');
    await sender.sendMessages(Array.from({ length: 8 }, (_, i) => ({ body: i })));
    const receiver = b.client.createReceiver('merged', { maxAutoLockRenewalDurationInMs: 0 });
    const msgs = await receiver.receiveMessages(8, { maxWaitTimeInMs: 1000 });
    expect(msgs.length).toBe(8);
    await Promise.all([receiver.abandonMessage(msgs[0]!), ...msgs.slice(1).map((m) => receiver.completeMessage(m))]);
    const redelivered = await receiver.receiveMessages(8, { maxWaitTimeInMs: 800 });
    // Message 0 always comes back; completes merged into the abandon come back too (as they would from Azure).
    expect(redelivered.map(bodyOf)).toContain(0);
    expect(redelivered.every((m) => m.deliveryCount === 1)).toBe(true);
    await Promise.all(redelivered.map((m) => receiver.completeMessage(m)));
    expect(await receiver.receiveMessages(8, { maxWaitTimeInMs: 400 })).toEqual([]);
    await receiver.close();
    await sender.close();
  });
});

describe('receive-and-delete and peek', () => {
  it('receiveAndDelete removes messages on receipt', async () => {
    const sender = b.client.createSender('rad');
    await sender.sendMessages([{ body: 1 }, { body: 2 }]);
    expect((await drain('rad', 2)).map(bodyOf)).toEqual([1, 2]);
    expect(await drain('rad', 1, 300)).toEqual([]);
    await sender.close();
  });

  it('peekMessages returns messages in sequence order without locking or removing them', async () => {
    const sender = b.client.createSender('peek');
    await sender.sendMessages([{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const r = b.client.createReceiver('peek');
    const first = await r.peekMessages(2);
    const next = await r.peekMessages(5);
    expect(first.map(bodyOf)).toEqual(['a', 'b']);
    expect(next.map(bodyOf)).toEqual(['c']);
    expect(first.every((m) => m.lockToken === undefined)).toBe(true);
    expect((await r.peekMessages(5, { fromSequenceNumber: first[0]!.sequenceNumber! })).length).toBe(3);
    await r.close();
    expect((await drain('peek', 3)).map(bodyOf)).toEqual(['a', 'b', 'c']);
    await sender.close();
  });
});

describe('topics', () => {
  it('fans out to subscriptions by rule: SQL filter on user and sys properties, correlation filter, and a rule-less subscription gets everything', async () => {
    const sender = b.client.createSender('events');
    await sender.sendMessages([
      { body: 'red-run', subject: 'run.completed', applicationProperties: { color: 'red' } },
      { body: 'red-other', subject: 'model.registered', applicationProperties: { color: 'red' } },
      { body: 'blue-run', subject: 'run.completed', applicationProperties: { color: 'blue' } },
      { body: 'corr', correlationId: 'abc', applicationProperties: { stage: 'train' } },
      { body: 'corr-wrong-stage', correlationId: 'abc', applicationProperties: { stage: 'deploy' } },
    ]);
    await sender.close();
    expect((await drain('events', 5, 800, { topicSub: 'red' })).map(bodyOf)).toEqual(['red-run']);
    expect((await drain('events', 5, 800, { topicSub: 'corr' })).map(bodyOf)).toEqual(['corr']);
    expect((await drain('events', 5, 1000, { topicSub: 'all' })).map(bodyOf)).toEqual([
      'red-run',
      'red-other',
      'blue-run',
      'corr',
      'corr-wrong-stage',
    ]);
  });
});

describe('errors', () => {
  it('maps an unknown entity to MessagingEntityNotFound for senders and receivers', async () => {
    const err = await b.client
      .createSender('does-not-exist')
      .sendMessages({ body: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isServiceBusError(err) && err.code).toBe('MessagingEntityNotFound');
    const r = b.client.createReceiver('nope', { receiveMode: 'receiveAndDelete' });
    const err2 = await r.receiveMessages(1, { maxWaitTimeInMs: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isServiceBusError(err2) && err2.code).toBe('MessagingEntityNotFound');
    await r.close();
  });

  it('answers a $management operation it does not know with 501 naming it; known operations are answered (an empty peek: 204, no body)', async () => {
    const target = { host: '127.0.0.1', port: b.emulator.port, keyName: DEFAULT_SAS_KEY_NAME, key: DEFAULT_SAS_KEY };
    await expect(managementRequest(target, 'basic', 'com.example:no-such-operation', {})).rejects.toThrow(
      /\(501\).*'com\.example:no-such-operation' is not supported/,
    );
    await expect(managementRequest(target, 'basic', 'com.microsoft:add-rule', {})).rejects.toThrow(
      /\(501\).*Rule management/,
    );
    await expect(
      managementRequest(target, 'basic', 'com.microsoft:peek-message', { 'message-count': 1 }),
    ).resolves.toBeNull();
  });

  it('refuses a token signed with the wrong key with UnauthorizedAccess', async () => {
    const bad = new ServiceBusClient(b.connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=wrong-key'), {
      retryOptions: { maxRetries: 0, timeoutInMs: 5000 },
    });
    const err = await bad
      .createSender('basic')
      .sendMessages({ body: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isServiceBusError(err) && err.code).toBe('UnauthorizedAccess');
    await bad.close();
  });
});
