import { createHmac } from 'node:crypto';
import { anySecretMatches } from '../../crypto/constant-time';
import { ConfigError } from '../../errors';
import type { Channel } from '../../policy/schema-file';
import { NotifyMessage, type NotifyMessageInput } from './message';
import { slackBlocks, teamsAdaptiveCard, teamsMessageCard, webhookPayload } from './render';

/**
 * Sends one message to one channel. Notifications are best-effort: send() never throws for a delivery
 * failure, it returns a result (retryable for timeouts, network errors, 429 and 5xx) for the caller to
 * record or retry. Target URLs (Teams/Slack URLs are secrets), signatures and link URLs never appear in
 * results or logs: only the channel name, the status and a reason.
 *
 * Generic webhook signature: `X-Stagecraft-Timestamp: <unix seconds>` and
 * `X-Stagecraft-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 */
/** Channels that broadcast one message to a shared place (direct channels are in direct.ts). */
export type BroadcastChannel = Extract<Channel, { type: 'webhook' | 'teams' | 'slack' }>;

export interface ResolvedChannel {
  name: string;
  type: BroadcastChannel['type'];
  url: string;
  format?: 'adaptive-card' | 'message-card';
  secret?: string;
  headers?: Record<string, string>;
  events?: string[];
}

export interface NotifyResult {
  channel: string;
  ok: boolean;
  skipped?: boolean;
  status?: number;
  retryable: boolean;
  error?: string;
}

export interface SendOptions {
  timeoutMs?: number;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  log?: (e: {
    level: 'info' | 'warning';
    msg: string;
    channel: string;
    event: string;
    status?: number;
    correlationId?: string;
  }) => void;
}

/** Resolves `urlSetting` / `secretSetting` against settings. Throws ConfigError naming the missing setting. */
export function resolveChannel(
  name: string,
  c: Channel,
  settings: Readonly<Record<string, string | undefined>>,
): ResolvedChannel {
  if (c.type === 'direct-webhook' || c.type === 'slack-dm' || c.type === 'email') {
    throw new ConfigError(
      `notification channel '${name}' is a direct channel (${c.type}): it only carries each approver's own links (approval.linkChannel), never a shared notice`,
      { channel: name },
    );
  }
  const url = c.url ?? (c.urlSetting ? settings[c.urlSetting] : undefined);
  if (!url)
    throw new ConfigError(`notification channel '${name}': app setting ${c.urlSetting ?? '(url)'} is not set`, {
      channel: name,
      setting: c.urlSetting,
    });
  const r: ResolvedChannel = { name, type: c.type, url };
  if (c.events) r.events = c.events;
  if (c.type === 'teams') r.format = c.format;
  if (c.type === 'webhook') {
    r.headers = c.headers;
    if (c.secretSetting) {
      const secret = settings[c.secretSetting];
      if (!secret)
        throw new ConfigError(`notification channel '${name}': app setting ${c.secretSetting} is not set`, {
          channel: name,
          setting: c.secretSetting,
        });
      r.secret = secret;
    }
  }
  return r;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a generic-webhook signature. */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  return anySecretMatches(signature, [signWebhook(secret, timestamp, body)]);
}

export function payloadFor(channel: ResolvedChannel, m: NotifyMessage, sentAt: string): Record<string, unknown> {
  if (channel.type === 'slack') return slackBlocks(m);
  if (channel.type === 'teams') return channel.format === 'message-card' ? teamsMessageCard(m) : teamsAdaptiveCard(m);
  return webhookPayload(m, sentAt);
}

export async function sendNotification(
  channel: ResolvedChannel,
  input: NotifyMessageInput,
  o: SendOptions = {},
): Promise<NotifyResult> {
  const m = NotifyMessage.parse(input);
  const log = o.log ?? (() => undefined);
  const base = {
    channel: channel.name,
    event: m.event,
    ...(m.correlationId ? { correlationId: m.correlationId } : {}),
  };
  if (channel.events && !channel.events.includes(m.event))
    return { channel: channel.name, ok: true, skipped: true, retryable: false };
  const now = (o.now ?? Date.now)();
  const body = JSON.stringify(payloadFor(channel, m, new Date(now).toISOString()));
  const headers: Record<string, string> = {
    ...channel.headers,
    'content-type': 'application/json',
    'user-agent': 'stagecraft/0.1',
  };
  if (channel.type === 'webhook' && channel.secret) {
    const ts = String(Math.floor(now / 1000));
    headers['x-stagecraft-timestamp'] = ts;
    headers['x-stagecraft-signature'] = signWebhook(channel.secret, ts, body);
  }
  const timeoutMs = o.timeoutMs ?? 10_000;
  try {
    const res = await (o.fetch ?? ((u, i) => fetch(u, i)))(channel.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) {
      log({ level: 'info', msg: 'notification sent', ...base, status: res.status });
      return { channel: channel.name, ok: true, status: res.status, retryable: false };
    }
    const retryable = res.status === 429 || res.status >= 500;
    log({ level: 'warning', msg: 'notification refused', ...base, status: res.status });
    return { channel: channel.name, ok: false, status: res.status, retryable, error: `HTTP ${res.status}` };
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    const reason = timedOut
      ? `no answer within ${timeoutMs} ms`
      : ((e as Error & { cause?: { code?: string } }).cause?.code ?? 'network error');
    log({ level: 'warning', msg: `notification failed: ${reason}`, ...base });
    return { channel: channel.name, ok: false, retryable: true, error: reason };
  }
}

/** Sends to several channels in parallel; one failing channel never stops the others. */
export async function notifyAll(
  channels: readonly ResolvedChannel[],
  m: NotifyMessageInput,
  o: SendOptions = {},
): Promise<NotifyResult[]> {
  return Promise.all(channels.map((c) => sendNotification(c, m, o)));
}
