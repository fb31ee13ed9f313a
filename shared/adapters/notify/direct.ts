/**
 * Direct (per-recipient) delivery of approval links. One message per approver, carrying ONLY that approver's
 * links: links are bearer tokens, so they never go to a shared channel.
 *
 * - `direct-webhook`: one POST per recipient of `{ schema: 'stagecraft.direct.v1', recipient, approvalId, links, ... }`,
 *   always signed like the generic webhook (`X-Stagecraft-Timestamp`, `X-Stagecraft-Signature: v1=<hex HMAC>`), for
 *   a Power Automate / Logic App flow that messages that person.
 * - `slack-dm`: Slack Web API, bot token as `Authorization: Bearer`: `chat.postMessage` with `channel` = the user id
 *   (a DM from the app); the id comes from the channel's `users` map or `users.lookupByEmail`. Slack answers HTTP 200
 *   with `{ ok: false, error }` for API errors and 429 + Retry-After when rate limited.
 *
 * Like send.ts: never throws for a delivery failure; tokens, URLs and links never appear in results or logs.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors';
import type { Channel } from '../../policy/schema-file';
import { signWebhook, type NotifyResult, type SendOptions } from './send';

export type DirectChannelDef = Extract<Channel, { type: 'direct-webhook' | 'slack-dm' }>;

export type ResolvedDirectChannel =
  | { name: string; type: 'direct-webhook'; url: string; secret: string; headers: Record<string, string> }
  | { name: string; type: 'slack-dm'; apiUrl: string; token: string; users: ReadonlyMap<string, string>; lookupByEmail: boolean };

export const DirectMessage = z.object({
  /** The approver (policy id: e-mail / UPN). */
  recipient: z.string().min(1),
  approvalId: z.string().min(1),
  event: z.string().min(1),
  title: z.string().min(1),
  text: z.string().default(''),
  facts: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  links: z.object({ approve: z.url(), reject: z.url(), expiresAt: z.string() }),
  /** Where to see the request (needs sign-in; not a decision link). */
  detailsUrl: z.url().optional(),
});
export type DirectMessage = z.output<typeof DirectMessage>;
export type DirectMessageInput = z.input<typeof DirectMessage>;

export type DirectResult = NotifyResult & { recipient: string };

export function isDirectChannel(c: Channel): c is DirectChannelDef {
  return c.type === 'direct-webhook' || c.type === 'slack-dm';
}

/** Resolves settings of a direct channel. Throws ConfigError naming the channel and the missing setting. */
export function resolveDirectChannel(name: string, c: Channel, settings: Readonly<Record<string, string | undefined>>): ResolvedDirectChannel {
  if (!isDirectChannel(c)) throw new ConfigError(`channel '${name}' (${c.type}) is a shared channel; approval links need a direct channel (direct-webhook or slack-dm)`, { channel: name });
  if (c.type === 'direct-webhook') {
    const url = c.url ?? (c.urlSetting ? settings[c.urlSetting] : undefined);
    if (!url) throw new ConfigError(`notification channel '${name}': app setting ${c.urlSetting ?? '(url)'} is not set`, { channel: name, setting: c.urlSetting });
    const secret = settings[c.secretSetting];
    if (!secret) throw new ConfigError(`notification channel '${name}': app setting ${c.secretSetting} is not set`, { channel: name, setting: c.secretSetting });
    return { name, type: 'direct-webhook', url, secret, headers: c.headers };
  }
  const token = settings[c.tokenSetting];
  if (!token) throw new ConfigError(`notification channel '${name}': app setting ${c.tokenSetting} is not set`, { channel: name, setting: c.tokenSetting });
  const users = new Map(Object.entries(c.users).map(([k, v]) => [k.trim().toLowerCase(), v]));
  return { name, type: 'slack-dm', apiUrl: c.apiUrl.replace(/\/+$/, ''), token, users, lookupByEmail: c.lookupByEmail };
}

function slackText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack Block Kit body of one DM (header, text, facts, approve/reject buttons). */
export function slackDmBlocks(m: DirectMessage): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150), emoji: true } }];
  if (m.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText(m.text).slice(0, 3000) } });
  if (m.facts.length) blocks.push({ type: 'section', fields: m.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: `*${slackText(f.name)}*\n${slackText(f.value)}`.slice(0, 2000) })) });
  blocks.push({
    type: 'actions',
    elements: [
      { type: 'button', action_id: 'approve', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, url: m.links.approve },
      { type: 'button', action_id: 'reject', style: 'danger', text: { type: 'plain_text', text: 'Reject' }, url: m.links.reject },
      ...(m.detailsUrl ? [{ type: 'button', action_id: 'details', text: { type: 'plain_text', text: 'Details' }, url: m.detailsUrl }] : []),
    ],
  });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `These links are yours alone (${slackText(m.recipient)}); they expire at ${m.links.expiresAt}.` }] });
  return { text: `${m.title} (approval ${m.approvalId})`.slice(0, 3000), blocks };
}

const SlackAnswer = z.object({ ok: z.boolean(), error: z.string().optional(), user: z.object({ id: z.string() }).optional() }).loose();
/** Slack errors worth retrying (documented: ratelimited, service errors). */
const SLACK_RETRYABLE = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

async function call(f: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; json: unknown } | { failure: string; timedOut: boolean }> {
  try {
    const res = await f(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  } catch (e) {
    const timedOut = (e as Error).name === 'TimeoutError';
    return { failure: timedOut ? `no answer within ${timeoutMs} ms` : ((e as Error & { cause?: { code?: string } }).cause?.code ?? 'network error'), timedOut };
  }
}

async function slackUserId(ch: Extract<ResolvedDirectChannel, { type: 'slack-dm' }>, recipient: string, f: Fetch, timeoutMs: number): Promise<{ id: string } | { error: string; retryable: boolean; status?: number }> {
  const mapped = ch.users.get(recipient.trim().toLowerCase());
  if (mapped) return { id: mapped };
  if (!ch.lookupByEmail || !recipient.includes('@')) return { error: 'no Slack user id for this approver (add it to the channel users map)', retryable: false };
  const r = await call(f, `${ch.apiUrl}/users.lookupByEmail?email=${encodeURIComponent(recipient)}`, { method: 'GET', headers: { authorization: `Bearer ${ch.token}`, 'user-agent': 'stagecraft/0.1' } }, timeoutMs);
  if ('failure' in r) return { error: r.failure, retryable: true };
  if (r.status !== 200) return { error: `users.lookupByEmail: HTTP ${r.status}`, retryable: r.status === 429 || r.status >= 500, status: r.status };
  const a = SlackAnswer.safeParse(r.json);
  if (!a.success) return { error: 'users.lookupByEmail: unexpected answer', retryable: false };
  if (!a.data.ok || !a.data.user) return { error: `users.lookupByEmail: ${a.data.error ?? 'no user'}`, retryable: SLACK_RETRYABLE.has(a.data.error ?? ''), status: r.status };
  return { id: a.data.user.id };
}

/** Sends one approver their own links through a direct channel. */
export async function sendDirect(ch: ResolvedDirectChannel, input: DirectMessageInput, o: SendOptions = {}): Promise<DirectResult> {
  const m = DirectMessage.parse(input);
  const f: Fetch = o.fetch ?? ((u, i) => fetch(u, i));
  const timeoutMs = o.timeoutMs ?? 10_000;
  const now = (o.now ?? Date.now)();
  const base = { channel: ch.name, recipient: m.recipient };
  const log = o.log ?? (() => undefined);
  const done = (r: DirectResult): DirectResult => {
    log({ level: r.ok ? 'info' : 'warning', msg: r.ok ? 'direct message sent' : `direct message not delivered: ${r.error ?? ''}`, channel: ch.name, event: m.event, correlationId: m.approvalId, ...(r.status !== undefined ? { status: r.status } : {}) });
    return r;
  };
  if (ch.type === 'direct-webhook') {
    const body = JSON.stringify({ schema: 'stagecraft.direct.v1', sentAt: new Date(now).toISOString(), ...m });
    const ts = String(Math.floor(now / 1000));
    const headers = { ...ch.headers, 'content-type': 'application/json', 'user-agent': 'stagecraft/0.1', 'x-stagecraft-timestamp': ts, 'x-stagecraft-signature': signWebhook(ch.secret, ts, body) };
    const r = await call(f, ch.url, { method: 'POST', headers, body }, timeoutMs);
    if ('failure' in r) return done({ ...base, ok: false, retryable: true, error: r.failure });
    if (r.status >= 200 && r.status < 300) return done({ ...base, ok: true, status: r.status, retryable: false });
    return done({ ...base, ok: false, status: r.status, retryable: r.status === 429 || r.status >= 500, error: `HTTP ${r.status}` });
  }
  const user = await slackUserId(ch, m.recipient, f, timeoutMs);
  if ('error' in user) return done({ ...base, ok: false, retryable: user.retryable, error: user.error, ...(user.status !== undefined ? { status: user.status } : {}) });
  const body = JSON.stringify({ channel: user.id, ...slackDmBlocks(m), unfurl_links: false, unfurl_media: false });
  const r = await call(f, `${ch.apiUrl}/chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${ch.token}`, 'content-type': 'application/json; charset=utf-8', 'user-agent': 'stagecraft/0.1' }, body }, timeoutMs);
  if ('failure' in r) return done({ ...base, ok: false, retryable: true, error: r.failure });
  if (r.status !== 200) return done({ ...base, ok: false, status: r.status, retryable: r.status === 429 || r.status >= 500, error: `chat.postMessage: HTTP ${r.status}` });
  const a = SlackAnswer.safeParse(r.json);
  if (!a.success) return done({ ...base, ok: false, status: r.status, retryable: false, error: 'chat.postMessage: unexpected answer' });
  if (!a.data.ok) return done({ ...base, ok: false, status: r.status, retryable: SLACK_RETRYABLE.has(a.data.error ?? ''), error: `chat.postMessage: ${a.data.error ?? 'not ok'}` });
  return done({ ...base, ok: true, status: r.status, retryable: false });
}
