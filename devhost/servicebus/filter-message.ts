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

export function filterView(
  msg: Message,
  extra: { sequenceNumber?: number; enqueuedTimeUtc?: Date } = {},
): FilterMessage {
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
    scheduledenqueuetimeutc: msg.message_annotations?.['x-opt-scheduled-enqueue-time'],
    partitionkey: msg.message_annotations?.['x-opt-partition-key'],
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

/** System properties a rule action may set or remove, and the AMQP field each lives in. */
const SYS_FIELDS: Record<string, string> = {
  messageid: 'message_id',
  correlationid: 'correlation_id',
  label: 'subject',
  subject: 'subject',
  to: 'to',
  replyto: 'reply_to',
  contenttype: 'content_type',
  sessionid: 'group_id',
  replytosessionid: 'reply_to_group_id',
};
export const SETTABLE_SYS = new Set([...Object.keys(SYS_FIELDS), 'partitionkey']);

/**
 * A copy of `msg` with the changes a rule action made to its view (`before` is the view as it was): application
 * properties replaced, changed system properties written back (ids as strings), partition key as an annotation.
 */
export function applyView(msg: Message, before: FilterMessage, after: FilterMessage): Message {
  const out = { ...msg, application_properties: { ...after.user } } as Message & Record<string, unknown>;
  const sysChanged = (k: string): boolean => after.sys[k] !== before.sys[k];
  for (const [k, field] of Object.entries(SYS_FIELDS)) {
    if (k === 'subject' && sysChanged('label')) continue;
    if (!sysChanged(k)) continue;
    const v = after.sys[k];
    if (v === undefined || v === null) delete out[field];
    else out[field] = asText(v);
  }
  if (sysChanged('partitionkey')) {
    const ann = { ...(msg.message_annotations ?? {}) } as Record<string, unknown>;
    const v = after.sys['partitionkey'];
    if (v === undefined || v === null) delete ann['x-opt-partition-key'];
    else ann['x-opt-partition-key'] = asText(v);
    out.message_annotations = ann;
  }
  return out;
}

/** SQL values are strings, numbers or booleans; system properties are strings. */
function asText(v: unknown): string {
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : JSON.stringify(v);
}
