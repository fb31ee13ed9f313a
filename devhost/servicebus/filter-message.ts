/**
 * The view of a message that subscription filters evaluate: system properties (by their Service Bus names,
 * lower-cased) and application properties.
 */
import type { Message } from 'rhea';

export interface FilterMessage {
  /** System properties by lower-cased Service Bus name: messageid, correlationid, label, to, replyto, ... */
  sys: Record<string, unknown>;
  /** Application properties as sent. */
  user: Record<string, unknown>;
}

function idString(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v;
}

export function filterView(msg: Message, extra: { sequenceNumber?: number; enqueuedTimeUtc?: Date } = {}): FilterMessage {
  const ttl = msg.ttl;
  const sys: Record<string, unknown> = {
    messageid: idString(msg.message_id),
    correlationid: idString(msg.correlation_id),
    label: msg.subject,
    subject: msg.subject,
    to: msg.to,
    replyto: msg.reply_to,
    contenttype: msg.content_type,
    sessionid: msg.group_id,
    replytosessionid: msg.reply_to_group_id,
    timetolive: ttl,
    deliverycount: 0,
    sequencenumber: extra.sequenceNumber,
    enqueuedtimeutc: extra.enqueuedTimeUtc,
    scheduledenqueuetimeutc: (msg.message_annotations)?.['x-opt-scheduled-enqueue-time'],
    partitionkey: (msg.message_annotations)?.['x-opt-partition-key'],
  };
  return { sys, user: (msg.application_properties as Record<string, unknown> | undefined) ?? {} };
}

/** Application property lookup: exact name first, then case-insensitive (Azure treats property names case-insensitively in filters). */
export function userProperty(user: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  if (Object.prototype.hasOwnProperty.call(user, name)) return { found: true, value: user[name] };
  const lower = name.toLowerCase();
  for (const k of Object.keys(user)) if (k.toLowerCase() === lower) return { found: true, value: user[k] };
  return { found: false, value: undefined };
}
