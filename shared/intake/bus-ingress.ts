/**
 * Normalizes a message received from the topic for the router:
 * - CloudEvents (binary, as our publisher sends them, or structured) with a Stagecraft type: data validated, id kept
 *   (it is already the dedupe key);
 * - Azure DevOps' native service-hook JSON, which Azure DevOps can publish straight to the topic (Service Bus
 *   consumer): normalized by the same code as the HTTP webhook. With the legacy .NET serializer the JSON is wrapped
 *   in a DataContract preamble; the JSON object inside is extracted.
 * Anything else is `ignored` with a reason (the router records it; it is not a poison message).
 */
import type { StagecraftConfig } from '../config';
import {
  decodeBusMessage,
  EVENT_DATA_SCHEMAS,
  isEventType,
  validationErrorFrom,
  type AnyStagecraftEvent,
  type BusMessage,
  type StagecraftEvent,
} from '../events';
import type { z } from 'zod';
import { normalizeRequest } from './request';
import { parseAzureDevOpsEvent, type ParseOutcome } from './sources';

function jsonFromBody(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && !(body instanceof Uint8Array)) return body;
  const text =
    typeof body === 'string'
      ? body
      : Buffer.isBuffer(body) || body instanceof Uint8Array
        ? Buffer.from(body).toString('utf8')
        : undefined;
  if (text === undefined) return undefined;
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

function looksLikeAzureDevOps(value: unknown): boolean {
  const v = value as { eventType?: unknown; resource?: unknown; publisherId?: unknown } | null;
  return (
    typeof v?.eventType === 'string' &&
    typeof v.resource === 'object' &&
    (v.publisherId === undefined || v.publisherId === 'tfs')
  );
}

export function normalizeBusMessage(message: BusMessage, config: StagecraftConfig, now: string): ParseOutcome {
  const decoded = decodeBusMessage(message);
  if (decoded.kind === 'invalid') return { kind: 'ignored', reason: decoded.reason };
  if (decoded.kind === 'cloudevents') {
    const events: AnyStagecraftEvent[] = [];
    for (const ce of decoded.events) {
      if (!isEventType(ce.type)) continue;
      const schema = EVENT_DATA_SCHEMAS[ce.type] as z.ZodType;
      const r = schema.safeParse(ce.data);
      if (!r.success)
        return {
          kind: 'invalid',
          error: validationErrorFrom('EVENT_DATA_INVALID', `data of ${ce.type}`, r.error.issues, 'data'),
        };
      const event: StagecraftEvent = {
        specversion: '1.0',
        id: ce.id,
        source: ce.source,
        type: ce.type,
        subject: ce.subject ?? ce.type,
        time: ce.time ?? now,
        datacontenttype: 'application/json',
        data: r.data as StagecraftEvent['data'],
      };
      if (typeof ce.deliveryid === 'string') event.deliveryid = ce.deliveryid;
      events.push(event as AnyStagecraftEvent);
    }
    return events.length > 0
      ? { kind: 'events', events }
      : {
          kind: 'ignored',
          reason: `no Stagecraft event types in message (${decoded.events.map((e) => e.type).join(', ')})`,
        };
  }
  const body = jsonFromBody(decoded.body);
  if (looksLikeAzureDevOps(body)) {
    const id = (body as { id?: unknown }).id;
    const messageId = message.messageId === undefined ? undefined : String(message.messageId);
    const deliveryId = typeof id === 'string' ? id : (messageId ?? 'unknown');
    const request = normalizeRequest({ headers: {}, rawBody: Buffer.alloc(0) });
    return parseAzureDevOpsEvent(body, { config, request, deliveryId, now });
  }
  return { kind: 'ignored', reason: 'message is neither a CloudEvent nor an Azure DevOps service-hook event' };
}
