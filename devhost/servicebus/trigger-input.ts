/**
 * What a Service Bus-triggered function receives, shaped as the Functions host and the Node library give it. The
 * receivers read bodies raw (`skipParsingBodyAsJson`), so this sees the wire bytes as the host does:
 * - the host hands the body over as a UTF-8 string (bytes when the binding says dataType 'binary', or when the bytes
 *   are not UTF-8), and `@azure/functions` (`fromRpcTypedData`) then tries `JSON.parse` on every string, for one
 *   message and for each message of a cardinality-many batch alike: `{"a":1}` arrives as an object, `"x"` as x, and
 *   text that is not JSON stays a string;
 * - `triggerMetadata` has camel-cased keys; times are ISO strings, as they arrive through the worker's JSON conversion.
 * Output bindings encode as the host does (`outputBody`), so a string an app sends arrives unchanged at a trigger.
 */
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { fromWireString } from '../host/trigger-data';

export function triggerBody(m: ServiceBusReceivedMessage, dataType: unknown): unknown {
  const body: unknown = m.body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    if (dataType === 'binary') return Buffer.from(body);
    const text = Buffer.from(body).toString('utf8');
    if (Buffer.from(text, 'utf8').equals(Buffer.from(body))) return fromWireString(text);
    return Buffer.from(body);
  }
  // An AMQP value body (senders other than the Azure SDKs): a string goes through the same parse.
  if (typeof body === 'string') return dataType === 'binary' ? Buffer.from(body, 'utf8') : fromWireString(body);
  return body;
}

/**
 * The wire body the Functions host sends for a value written to a Service Bus output binding: a string as its UTF-8
 * text (no JSON quoting — the SDK's default would add quotes), bytes as they are, anything else as JSON text.
 */
export function outputBody(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
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
  for (const key of Object.keys(per[0] ?? messageMetadata({} as ServiceBusReceivedMessage)))
    out[`${key}Array`] = per.map((p) => p[key]);
  return out;
}
