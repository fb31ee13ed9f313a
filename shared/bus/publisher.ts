/**
 * EventPublisher over @azure/service-bus: every event becomes one message on the configured topic with
 * messageId = event id (= dedupe key), subject = type and CloudEvents application properties (shared/events).
 * Several events from one delivery go out in as few batches as fit; one batch is atomic on Service Bus.
 */
import type { ServiceBusSender } from '@azure/service-bus';
import type { ServiceBusConfig } from '../config';
import { toServiceBusMessage, type StagecraftEvent } from '../events';
import type { EventPublisher } from '../intake/ports';
import { getServiceBusClient, serviceBusKey } from './client';

export class ServiceBusEventPublisher implements EventPublisher {
  constructor(private readonly sender: ServiceBusSender) {}

  async publish(events: readonly StagecraftEvent[]): Promise<void> {
    if (events.length === 0) return;
    const messages = events.map(toServiceBusMessage);
    if (messages.length === 1) {
      await this.sender.sendMessages(messages[0]!);
      return;
    }
    let batch = await this.sender.createMessageBatch();
    for (const m of messages) {
      if (batch.tryAddMessage(m)) continue;
      if (batch.count === 0) throw new Error(`event ${m.messageId} is too large for one Service Bus message`);
      await this.sender.sendMessages(batch);
      batch = await this.sender.createMessageBatch();
      if (!batch.tryAddMessage(m)) throw new Error(`event ${m.messageId} is too large for one Service Bus message`);
    }
    await this.sender.sendMessages(batch);
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}

const publishers = new Map<string, ServiceBusEventPublisher>();

/** The process-wide publisher for the configured topic. */
export function getEventPublisher(config: ServiceBusConfig): ServiceBusEventPublisher {
  const key = `${serviceBusKey(config)}|${config.topicName}`;
  let p = publishers.get(key);
  if (p === undefined) {
    p = new ServiceBusEventPublisher(getServiceBusClient(config).createSender(config.topicName));
    publishers.set(key, p);
  }
  return p;
}

export async function closeEventPublishers(): Promise<void> {
  const all = [...publishers.values()];
  publishers.clear();
  await Promise.all(all.map((p) => p.close()));
}
