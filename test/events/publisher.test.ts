/**
 * The real @azure/service-bus publisher against our Service Bus emulator loaded with infra/servicebus/Config.json:
 * events reach the subscriptions of their type with the CloudEvents mapping intact, duplicate detection drops a
 * republished event, and an Azure DevOps native message (no subject) reaches the `native` subscription.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEventPublishers, getEventPublisher, ServiceBusEventPublisher } from '../../shared/bus';
import { EVENT_TYPES, makeEvent } from '../../shared/events';
import { normalizeBusMessage } from '../../shared/intake';
import { testConfig } from '../intake/helpers';
import * as fx from '../intake/fixtures';
import { startBroker, type TestBroker } from '../../devhost/test/servicebus/helpers';

const TIME = '2026-05-14T09:21:07Z';
let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker(
    JSON.parse(readFileSync(join(__dirname, '..', '..', 'infra', 'servicebus', 'Config.json'), 'utf8')),
  );
});

afterAll(async () => {
  await closeEventPublishers();
  await broker?.stop();
});

async function drain(subscription: string, max = 10) {
  const receiver = broker.client.createReceiver('stagecraft-events', subscription, { receiveMode: 'receiveAndDelete' });
  try {
    return await receiver.receiveMessages(max, { maxWaitTimeInMs: 1500 });
  } finally {
    await receiver.close();
  }
}

describe('ServiceBusEventPublisher', () => {
  it('publishes to the topic; subscriptions receive their types with messageId, subject and cloudEvents: properties', async () => {
    const config = testConfig({ ServiceBusConnection: broker.connectionString });
    const publisher = getEventPublisher(config.serviceBus);
    const created = makeEvent(
      EVENT_TYPES.modelVersionCreated,
      {
        model: { name: 'fraud-detector', version: '7' },
        source: null,
        runId: 'r1',
        tags: {},
        description: null,
        registry: 'mlflow',
        occurredAt: TIME,
      },
      { source: '/stagecraft/intake/mlflow', time: TIME, deliveryId: 'd-1' },
    );
    const merged = makeEvent(
      EVENT_TYPES.gitMerged,
      { provider: 'github', repository: { id: 'contoso/fraud-ml' }, branch: 'main', commit: 'abc', via: 'push' },
      { source: '/stagecraft/intake/github', time: TIME },
    );
    await publisher.publish([created, merged]);
    await publisher.publish([created]); // webhook retry / reconciler: same messageId, dropped by duplicate detection

    const promotion = await drain('promotion');
    const pipelines = await drain('pipelines');
    const audit = await drain('audit');
    expect(promotion).toHaveLength(1);
    expect(pipelines.map((m) => m.subject)).toEqual([EVENT_TYPES.gitMerged]);
    expect(audit.map((m) => m.messageId).sort()).toEqual([created.id, merged.id].sort());

    const m = promotion[0]!;
    expect(m.messageId).toBe('model.version.created:fraud-detector:7');
    expect(m.subject).toBe(EVENT_TYPES.modelVersionCreated);
    expect(m.contentType).toBe('application/json');
    expect(m.body).toEqual(created.data);
    expect(m.applicationProperties).toMatchObject({
      'cloudEvents:id': created.id,
      'cloudEvents:type': created.type,
      'cloudEvents:source': created.source,
      'cloudEvents:deliveryid': 'd-1',
    });
    expect(normalizeBusMessage(m, config, TIME)).toEqual({ kind: 'events', events: [created] });
  });

  it('routes an Azure DevOps native message (no subject) to the native subscription, where it normalizes to git.merged', async () => {
    const sender = broker.client.createSender('stagecraft-events');
    try {
      await sender.sendMessages({ body: fx.adoPrCompleted, messageId: 'ado-native-1' });
    } finally {
      await sender.close();
    }
    const native = await drain('native');
    expect(native).toHaveLength(1);
    expect(await drain('pipelines')).toHaveLength(0);
    const out = normalizeBusMessage(native[0]!, testConfig(), TIME);
    expect(out).toMatchObject({ kind: 'events', events: [{ type: EVENT_TYPES.gitMerged }] });
    await drain('audit');
  });

  it('group commit: 150 concurrent publishes share a few transfers, each resolves after the broker took it, a copy in the same batch is dropped', async () => {
    const sends: number[] = [];
    const sender = broker.client.createSender('stagecraft-events');
    const counting = new Proxy(sender, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'sendMessages' && typeof v === 'function') {
          return (batch: { count?: number }, ...rest: unknown[]) => {
            sends.push(batch.count ?? 1);
            return (v as (...a: unknown[]) => Promise<void>).call(target, batch, ...rest);
          };
        }
        return v;
      },
    });
    const publisher = new ServiceBusEventPublisher(counting);
    const events = Array.from({ length: 150 }, (_, i) =>
      makeEvent(
        EVENT_TYPES.gitMerged,
        { provider: 'github', repository: { id: 'contoso/group' }, branch: 'main', commit: `c${i}`, via: 'push' },
        { source: '/stagecraft/intake/github', time: TIME },
      ),
    );
    await Promise.all([...events.map((e) => publisher.publish([e])), publisher.publish([events[0]!])]);
    expect(sends.reduce((a, b) => a + b, 0)).toBe(151);
    expect(sends.length).toBeLessThan(151 / 5);
    const got = [];
    for (let i = 0; i < 10 && got.length < 150; i++) got.push(...(await drain('pipelines', 200)));
    expect(got.map((m) => m.messageId).sort()).toEqual(events.map((e) => e.id).sort());
    await sender.close();
  });
});
