/**
 * AMQP encoding details of the Service Bus dialect: batch envelopes, lock-token byte order, broker annotations.
 */
import { randomBytes } from 'node:crypto';
import { message as rheaMessage, types, type Message } from 'rhea';

/** message_format of the SDK's batch envelope: the body is a sequence of data sections, one encoded message each. */
export const BATCH_FORMAT = 0x80013700;

export function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** .NET Guid byte order <-> RFC 4122 order: bytes 0-3 reversed, 4-5 swapped, 6-7 swapped (an involution). */
export function reorderGuid(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out[0] = b[3] as number;
  out[1] = b[2] as number;
  out[2] = b[1] as number;
  out[3] = b[0] as number;
  out[4] = b[5] as number;
  out[5] = b[4] as number;
  out[6] = b[7] as number;
  out[7] = b[6] as number;
  return out;
}

/**
 * A new lock: the delivery tag we send, and the token string the SDK will show and send back.
 * The SDK shows uuid_to_string(reorder(tag)) and sends that string as a canonical uuid on $management, so the key
 * we index locks by is that string.
 */
export function newLockTag(): { tag: Buffer; token: string } {
  // Random per-process prefix + counter: unique for the broker's lifetime (and across restarts, via the prefix),
  // without paying for 16 fresh random bytes per delivery.
  const tag = Buffer.allocUnsafe(16);
  LOCK_PREFIX.copy(tag, 0);
  tag.writeBigUInt64BE(++lockCounter, 8);
  return { tag, token: uuidString(reorderGuid(tag)) };
}

const LOCK_PREFIX = randomBytes(8);
let lockCounter = 0n;

/** Lock token from a $management `uuid` value (canonical order). */
export function tokenFromUuid(v: unknown): string | undefined {
  if (Buffer.isBuffer(v) && v.length === 16) return uuidString(v);
  if (typeof v === 'string') return v.toLowerCase();
  return undefined;
}

export function uuidBytes(token: string): Buffer {
  return Buffer.from(token.replace(/-/g, ''), 'hex');
}

/** long from a decoded AMQP value (number, or 8-byte big-endian buffer for large values). */
export function toLong(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v) && v.length === 8) return Number(v.readBigInt64BE(0));
  return undefined;
}

export function longList(values: number[]): unknown {
  return types.wrap_array(
    values.map((n) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(n));
      return b;
    }),
    0x81,
    undefined,
  );
}

export interface IncomingItem {
  msg: Message;
  /** Encoded bytes of the bare message as sent (batch items); undefined when only the decoded form exists. */
  raw?: Buffer;
}

/** Split a transfer into messages: format 0 is one decoded message; the batch format holds encoded messages. */
export function splitTransfer(message: unknown, format: number | undefined): IncomingItem[] {
  if (format === BATCH_FORMAT) {
    const buf = message as Buffer;
    const envelope = rheaMessage.decode(buf);
    const body = envelope.body as { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
    if (!body || body.typecode !== 0x75) return [];
    const parts = (body.multiple ? body.content : [body.content]) as Buffer[];
    return parts.map((raw) => ({ msg: decodeMessage(raw), raw }));
  }
  return [{ msg: message as Message }];
}

export function encodeMessage(msg: Message): Buffer {
  return rheaMessage.encode(msg);
}

export function decodeMessage(raw: Buffer): Message {
  return rheaMessage.decode(raw) as unknown as Message;
}

/** The annotations/header a broker adds to each delivered (or peeked) message. */
export interface BrokerStamp {
  sequenceNumber: number;
  enqueuedAt: number;
  lockedUntil?: number;
  deliveryCount: number;
  state: number;
  scheduledAt?: number | null;
  deadLetterSource?: string | null;
  /** Effective time to live (ms) when the entity's default capped or supplied it; reported in the header. */
  ttl?: number;
}

export function stamp(msg: Message, s: BrokerStamp): Message {
  const ann: Record<string, unknown> = { ...(msg.message_annotations ?? {}) };
  ann['x-opt-sequence-number'] = types.wrap_long(s.sequenceNumber);
  ann['x-opt-enqueue-sequence-number'] = types.wrap_long(s.sequenceNumber);
  ann['x-opt-enqueued-time'] = new Date(s.enqueuedAt);
  ann['x-opt-message-state'] = types.wrap_int(s.state);
  if (s.lockedUntil !== undefined) ann['x-opt-locked-until'] = new Date(s.lockedUntil);
  if (s.scheduledAt) ann['x-opt-scheduled-enqueue-time'] = new Date(s.scheduledAt);
  if (s.deadLetterSource) ann['x-opt-deadletter-source'] = s.deadLetterSource;
  const out = { ...msg, message_annotations: ann, delivery_count: s.deliveryCount } as Message;
  if (s.ttl !== undefined && s.ttl > 0 && s.ttl <= MAX_UINT32) {
    out.ttl = s.ttl;
    // The SDK derives timeToLive from absolute_expiry_time - creation_time when both are present.
    if (msg.creation_time instanceof Date && msg.absolute_expiry_time instanceof Date)
      out.absolute_expiry_time = new Date(msg.creation_time.getTime() + s.ttl);
  }
  return out;
}

const MAX_UINT32 = 0xffffffff;

export function messageIdString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Buffer.isBuffer(v)) return v.length === 16 ? uuidString(v) : v.toString('hex');
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
}
