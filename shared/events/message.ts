/**
 * Mapping between Stagecraft CloudEvents and Service Bus messages, per the CloudEvents AMQP protocol binding
 * (binary content mode): body = JSON `data`, `contentType` = datacontenttype, every other attribute in
 * application properties as `cloudEvents:<attr>`. Service Bus system properties by convention:
 * `messageId` = event id (= dedupe key, ≤ 128 chars), `subject` = event type (subscriptions filter on sys.Label).
 *
 * The structural `BusMessage` type matches `ServiceBusMessage` / `ServiceBusReceivedMessage` without importing the
 * SDK, so this module stays usable from code that must not import SDK clients.
 */
import { MAX_MESSAGE_ID_LENGTH } from './dedupe';
import { CloudEventSchema, type CloudEvent, type StagecraftEvent } from './envelope';

export const CE_PROPERTY_PREFIX = 'cloudEvents:';
/** Older binding drafts and some producers use `cloudEvents_`; receivers accept both. */
const CE_PROPERTY_PREFIXES = ['cloudEvents:', 'cloudEvents_'];

export type BusPropertyValue = string | number | boolean | Date | null;

export interface BusMessage {
  body: unknown;
  messageId?: string | number | Buffer;
  contentType?: string;
  subject?: string;
  correlationId?: string | number | Buffer;
  applicationProperties?: Record<string, unknown>;
}

export interface OutgoingBusMessage extends BusMessage {
  messageId: string;
  contentType: 'application/json';
  subject: string;
  applicationProperties: Record<string, string>;
}

export function toServiceBusMessage(event: StagecraftEvent): OutgoingBusMessage {
  if (event.id.length > MAX_MESSAGE_ID_LENGTH)
    throw new Error(`event id longer than ${MAX_MESSAGE_ID_LENGTH} chars: ${event.id.slice(0, 40)}...`);
  const props: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype' || value === undefined) continue;
    props[`${CE_PROPERTY_PREFIX}${name}`] = String(value);
  }
  return {
    messageId: event.id,
    subject: event.type,
    contentType: event.datacontenttype,
    body: event.data,
    applicationProperties: props,
  };
}

function bodyToText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return undefined;
}

function attrValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

export type DecodedBusMessage =
  | { kind: 'cloudevents'; mode: 'binary' | 'structured'; events: CloudEvent[] }
  | { kind: 'other'; body: unknown }
  | { kind: 'invalid'; reason: string };

/**
 * Reads CloudEvents out of a received message: structured (content type `application/cloudevents...`, JSON body,
 * single or batch) or binary (`cloudEvents:`/`cloudEvents_` application properties). Anything else is `other`
 * (e.g. Azure DevOps publishing its native event JSON straight to the topic).
 */
export function decodeBusMessage(message: BusMessage): DecodedBusMessage {
  const contentType = (message.contentType ?? '').toLowerCase();
  if (contentType.startsWith('application/cloudevents')) {
    let value: unknown = message.body;
    const text = bodyToText(message.body);
    if (text !== undefined) {
      try {
        value = JSON.parse(text);
      } catch {
        return { kind: 'invalid', reason: 'structured CloudEvent body is not JSON' };
      }
    }
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    const events: CloudEvent[] = [];
    for (const item of list) {
      const parsed = CloudEventSchema.safeParse(item);
      if (!parsed.success)
        return {
          kind: 'invalid',
          reason: `structured CloudEvent invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        };
      events.push(parsed.data);
    }
    return { kind: 'cloudevents', mode: 'structured', events };
  }
  const props = message.applicationProperties ?? {};
  const attrs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(props)) {
    const prefix = CE_PROPERTY_PREFIXES.find((p) => name.startsWith(p));
    if (prefix !== undefined) attrs[name.slice(prefix.length)] = attrValue(value);
  }
  if (attrs.type === undefined && attrs.specversion === undefined) return { kind: 'other', body: message.body };
  let data: unknown = message.body;
  const text = bodyToText(message.body);
  if (text !== undefined && (contentType === '' || contentType.includes('json'))) {
    try {
      data = JSON.parse(text);
    } catch {
      return { kind: 'invalid', reason: 'binary CloudEvent body is not JSON although its content type says so' };
    }
  }
  const candidate: Record<string, unknown> = { ...attrs, data };
  if (message.contentType !== undefined) candidate.datacontenttype = message.contentType;
  const parsed = CloudEventSchema.safeParse(candidate);
  if (!parsed.success)
    return {
      kind: 'invalid',
      reason: `binary CloudEvent invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  return { kind: 'cloudevents', mode: 'binary', events: [parsed.data] };
}
