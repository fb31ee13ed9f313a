/**
 * EventPublisher over @azure/service-bus: every event becomes one message on the configured topic with
 * messageId = event id (= dedupe key), subject = type and CloudEvents application properties (shared/events).
 * Concurrent publishes share batches (group commit, below); one batch is atomic on Service Bus.
 */
import type { ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import type { ServiceBusConfig } from '../config';
import { toServiceBusMessage, type StagecraftEvent } from '../events';
import type { EventPublisher } from '../intake/ports';
import { GroupCommitQueue } from '../group-commit';
import { getServiceBusClient, serviceBusKey } from './client';
import { inSpan, SpanKind, traceProperties } from '../telemetry/trace';

interface PendingPublish {
  messages: ServiceBusMessage[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: publishes issued while a send is in flight (or in the same event-loop turn) go out together in
 * as few message batches as fit, one AMQP transfer each, instead of one transfer per publish.
 * Invariants: a publish resolves only after every batch holding one of its messages was accepted by the broker,
 * and rejects if any of them failed (the sender's retry republishes the same messageIds, which duplicate detection
 * drops); a message too large for a batch fails only its own publish.
 */
export class ServiceBusEventPublisher implements EventPublisher {
  private readonly pending: GroupCommitQueue<PendingPublish>;

  constructor(
    private readonly sender: ServiceBusSender,
    maxInFlight = 4,
  ) {
    this.pending = new GroupCommitQueue((group) => this.send(group), undefined, maxInFlight);
  }

  publish(events: readonly StagecraftEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    // Tracing: one producer span per publish; its context rides on each message (`traceparent`, `Diagnostic-Id`).
    return inSpan(
      `${this.sender.entityPath} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'servicebus',
          'messaging.operation.type': 'send',
          'messaging.destination.name': this.sender.entityPath,
          'messaging.batch.message_count': events.length,
        },
      },
      () => {
        const trace = traceProperties();
        const messages = events.map((e) => {
          const m = toServiceBusMessage(e);
          return Object.keys(trace).length === 0
            ? m
            : { ...m, applicationProperties: { ...m.applicationProperties, ...trace } };
        });
        return new Promise<void>((resolve, reject) => this.pending.push({ messages, resolve, reject }));
      },
    );
  }

  private async send(group: PendingPublish[]): Promise<void> {
    const failed = new Map<PendingPublish, unknown>();
    let batch: ServiceBusMessageBatch | undefined;
    let members = new Set<PendingPublish>();
    const flush = async (): Promise<void> => {
      if (batch === undefined || batch.count === 0) return;
      const sending = batch;
      const owners = members;
      batch = undefined;
      members = new Set();
      try {
        await this.sender.sendMessages(sending);
      } catch (e) {
        for (const p of owners) if (!failed.has(p)) failed.set(p, e);
      }
    };
    try {
      for (const p of group) {
        for (const m of p.messages) {
          if (failed.has(p)) break;
          batch ??= await this.sender.createMessageBatch();
          if (batch.tryAddMessage(m)) {
            members.add(p);
            continue;
          }
          if (batch.count > 0) {
            await flush();
            batch = await this.sender.createMessageBatch();
            if (batch.tryAddMessage(m)) {
              members.add(p);
              continue;
            }
          }
          failed.set(p, new Error(`event ${String(m.messageId)} is too large for one Service Bus message`));
        }
      }
      await flush();
    } catch (e) {
      // createMessageBatch failed (link or connection down): everything not yet confirmed fails.
      for (const p of group) if (!failed.has(p)) failed.set(p, e);
    }
    for (const p of group) {
      const e = failed.get(p);
      if (e === undefined) p.resolve();
      else p.reject(e);
    }
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
