/**
 * What a Service Bus-triggered function receives, shaped as the Azure Functions Node worker gives it:
 * the body (JSON parsed; strings as strings; binary bodies as UTF-8 strings parsed as JSON when possible, unless
 * the binding says dataType 'binary'), and `triggerMetadata` with camel-cased keys. Times are ISO strings, as
 * they arrive through the worker's JSON conversion on Azure.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function triggerBody(m: ServiceBusReceivedMessage, dataType: unknown): unknown {
  const body: unknown = m.body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    if (dataType === 'binary') return Buffer.from(body);
    const text = Buffer.from(body).toString('utf8');
    if (Buffer.from(text, 'utf8').equals(Buffer.from(body))) return tryJson(text);
    return Buffer.from(body);
  }
  if (dataType === 'binary' && typeof body === 'string') return Buffer.from(body, 'utf8');
  return body;
}

const iso = (d: Date | undefined): string | undefined => (d ? d.toISOString() : undefined);

export function messageMetadata(m: ServiceBusReceivedMessage): Record<string, unknown> {
  return {
    messageId: m.messageId,
    deliveryCount: m.deliveryCount,
    enqueuedTimeUtc: iso(m.enqueuedTimeUtc),
    expiresAtUtc: iso(m.expiresAtUtc),
    lockedUntilUtc: iso(m.lockedUntilUtc),
    correlationId: m.correlationId,
    contentType: m.contentType,
    subject: m.subject,
    label: m.subject,
    to: m.to,
    replyTo: m.replyTo,
    sessionId: m.sessionId,
    sequenceNumber: m.sequenceNumber === undefined ? undefined : Number(m.sequenceNumber),
    lockToken: m.lockToken,
    applicationProperties: m.applicationProperties ?? {},
    userProperties: m.applicationProperties ?? {},
    deadLetterSource: m.deadLetterSource,
  };
}

/** Batch metadata: `<key>Array` for every per-message key, as the Functions host gives it for cardinality many. */
export function batchMetadata(ms: ServiceBusReceivedMessage[]): Record<string, unknown> {
  const per = ms.map(messageMetadata);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(per[0] ?? messageMetadata({} as ServiceBusReceivedMessage))) out[`${key}Array`] = per.map((p) => p[key]);
  return out;
}
