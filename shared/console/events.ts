/**
 * The Events view: intake receipts of every source (accepted, ignored, duplicate, rejected/failed with the reason)
 * and Service Bus dead letters of the workflow subscriptions, with resubmit.
 * Resubmit sends a copy of the dead-lettered message to the topic (one cannot send to a subscription) under a new
 * message id (the original id would be dropped by duplicate detection), then completes the dead letter. Workflows
 * are idempotent per event id (shared/router), so subscriptions that already handled the event record a duplicate.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { NotFoundError } from '../errors';
import type { Receipt } from '../intake/ports';
import { SOURCES, type SourceName } from '../intake/sources';
import { redactText } from './redact';
import type { DeadLetterView, ReceiptView, ResubmitResult } from './schemas';

/** Subscriptions of the events topic whose dead letters the console shows (functions/router.ts consumes them). */
export const DEAD_LETTER_SUBSCRIPTIONS = ['promotion', 'pipelines', 'retraining', 'jobs', 'native'] as const;
const PEEK_MAX = 100;
const BODY_PREVIEW = 600;

export async function receiptsView(
  list: (source: SourceName, limit: number) => Promise<Receipt[]>,
  outcome: string | undefined,
  limit: number,
): Promise<ReceiptView[]> {
  const all = (
    await Promise.all((Object.keys(SOURCES) as SourceName[]).map((s) => list(s, 1000).catch(() => [] as Receipt[])))
  ).flat();
  return all
    .filter((r) => !outcome || r.outcome === outcome)
    .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
    .slice(0, limit)
    .map((r) => ({
      receiptId: r.receiptId,
      source: r.source,
      receivedAt: r.receivedAt,
      outcome: r.outcome,
      httpStatus: r.httpStatus,
      eventTypes: r.eventTypes,
      ...(r.code ? { code: r.code } : {}),
      ...(r.reason ? { reason: redactText(r.reason) } : {}),
      ...(r.deliveryId ? { deliveryId: r.deliveryId } : {}),
    }));
}

function preview(body: unknown): string {
  let text: string;
  if (Buffer.isBuffer(body)) text = body.toString('utf8');
  else if (typeof body === 'string') text = body;
  else {
    try {
      text = JSON.stringify(body);
    } catch {
      text = String(body);
    }
  }
  return redactText(text.length > BODY_PREVIEW ? `${text.slice(0, BODY_PREVIEW)}…` : text);
}

function view(subscription: string, m: ServiceBusReceivedMessage): DeadLetterView {
  return {
    subscription,
    sequenceNumber: m.sequenceNumber?.toString() ?? '',
    bodyPreview: preview(m.body),
    ...(m.messageId !== undefined ? { messageId: String(m.messageId) } : {}),
    ...(m.subject ? { subject: m.subject } : {}),
    ...(m.enqueuedTimeUtc ? { enqueuedAt: m.enqueuedTimeUtc.toISOString() } : {}),
    ...(m.deadLetterReason ? { reason: m.deadLetterReason } : {}),
    ...(m.deadLetterErrorDescription ? { description: redactText(m.deadLetterErrorDescription) } : {}),
    deliveryCount: m.deliveryCount ?? 0,
  };
}

export async function deadLettersView(client: ServiceBusClient, topic: string): Promise<DeadLetterView[]> {
  const out: DeadLetterView[] = [];
  for (const sub of DEAD_LETTER_SUBSCRIPTIONS) {
    const receiver = client.createReceiver(topic, sub, { subQueueType: 'deadLetter' });
    try {
      const msgs = await receiver.peekMessages(PEEK_MAX);
      out.push(...msgs.map((m) => view(sub, m)));
    } finally {
      await receiver.close();
    }
  }
  return out.sort((a, b) => ((a.enqueuedAt ?? '') < (b.enqueuedAt ?? '') ? 1 : -1));
}

export async function resubmitDeadLetter(
  client: ServiceBusClient,
  topic: string,
  subscription: string,
  seq: string,
  nowMs: number,
): Promise<ResubmitResult & { subject?: string; originalMessageId?: string }> {
  if (!(DEAD_LETTER_SUBSCRIPTIONS as readonly string[]).includes(subscription))
    throw new NotFoundError(
      'DEAD_LETTER_NOT_FOUND',
      `no subscription '${subscription}' (known: ${DEAD_LETTER_SUBSCRIPTIONS.join(', ')})`,
    );
  const receiver = client.createReceiver(topic, subscription, { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
  const sender = client.createSender(topic);
  try {
    let target: ServiceBusReceivedMessage | undefined;
    const others: ServiceBusReceivedMessage[] = [];
    // Lock the dead letters until the one with this sequence number turns up; the others are released after.
    for (let round = 0; round < 5 && !target; round++) {
      const batch = await receiver.receiveMessages(50, { maxWaitTimeInMs: 1000 });
      if (batch.length === 0) break;
      for (const x of batch) {
        if (!target && x.sequenceNumber?.toString() === seq) target = x;
        else others.push(x);
      }
    }
    if (!target) {
      await Promise.all(others.map((x) => receiver.abandonMessage(x).catch(() => undefined)));
      throw new NotFoundError(
        'DEAD_LETTER_NOT_FOUND',
        `no dead letter ${seq} on ${subscription} (it may have been resubmitted already)`,
      );
    }
    const newMessageId = `${String(target.messageId ?? seq).slice(0, 80)}-resubmit-${nowMs.toString(36)}`;
    await sender.sendMessages({
      body: target.body as unknown,
      messageId: newMessageId,
      ...(target.subject ? { subject: target.subject } : {}),
      ...(target.contentType ? { contentType: target.contentType } : {}),
      ...(target.correlationId !== undefined ? { correlationId: target.correlationId } : {}),
      applicationProperties: { ...(target.applicationProperties ?? {}), resubmittedFrom: `${subscription}/${seq}` },
    });
    // Complete first, then release the others (rhea may merge dispositions sent in one tick).
    await receiver.completeMessage(target);
    for (const x of others) await receiver.abandonMessage(x).catch(() => undefined);
    return {
      subscription,
      sequenceNumber: seq,
      newMessageId,
      message: `dead letter ${seq} of ${subscription} sent to ${topic} again as ${newMessageId}`,
      ...(target.subject ? { subject: target.subject } : {}),
      ...(target.messageId !== undefined ? { originalMessageId: String(target.messageId) } : {}),
    };
  } finally {
    await sender.close();
    await receiver.close();
  }
}
