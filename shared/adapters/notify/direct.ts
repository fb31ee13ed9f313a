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
 * - `email`: Azure Communication Services Email, `POST {endpoint}/emails:send?api-version=2023-03-31` signed with
 *   the resource's access key (HMAC-SHA256 over method, path+query, x-ms-date, host, body hash); 202 = queued.
 *
 * Like send.ts: never throws for a delivery failure; tokens, URLs and links never appear in results or logs.
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import type { Channel } from '../../policy/schema-file';
import { signWebhook, type NotifyResult, type SendOptions } from './send';

export type DirectChannelDef = Extract<Channel, { type: 'direct-webhook' | 'slack-dm' | 'email' }>;

export type ResolvedDirectChannel =
  | { name: string; type: 'direct-webhook'; url: string; secret: string; headers: Record<string, string> }
  | {
      name: string;
      type: 'slack-dm';
      apiUrl: string;
      token: string;
      users: ReadonlyMap<string, string>;
      lookupByEmail: boolean;
    }
  | {
      name: string;
      type: 'email';
      endpoint: string;
      accessKey: Buffer;
      sender: string;
      addresses: ReadonlyMap<string, string>;
    };

/** ACS Email API version used (GA). */
export const ACS_EMAIL_API_VERSION = '2023-03-31';

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
  return c.type === 'direct-webhook' || c.type === 'slack-dm' || c.type === 'email';
}

/** `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>` (keys case-insensitive). */
export function parseAcsConnectionString(raw: string): { endpoint: string; accessKey: Buffer } | undefined {
  const parts = new Map<string, string>();
  for (const p of raw.split(';')) {
    const eq = p.indexOf('=');
    if (eq > 0) parts.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  const endpoint = parts.get('endpoint');
  const key = parts.get('accesskey');
  if (!endpoint || !key || !/^https?:\/\//.test(endpoint)) return undefined;
  const accessKey = Buffer.from(key, 'base64');
  return accessKey.length === 0 ? undefined : { endpoint: endpoint.replace(/\/+$/, ''), accessKey };
}

/**
 * ACS access-key request signing (HMAC-SHA256): sign "<METHOD>\n<path and query>\n<x-ms-date>;<host>;<content hash>"
 * with the base64-decoded key; send x-ms-date, x-ms-content-sha256 and Authorization.
 */
export function acsSignedHeaders(
  method: string,
  url: URL,
  body: string,
  accessKey: Buffer,
  date: Date,
): Record<string, string> {
  const contentHash = createHash('sha256').update(body, 'utf8').digest('base64');
  const msDate = date.toUTCString();
  const toSign = `${method}\n${url.pathname}${url.search}\n${msDate};${url.host};${contentHash}`;
  const signature = createHmac('sha256', accessKey).update(toSign, 'utf8').digest('base64');
  return {
    'x-ms-date': msDate,
    'x-ms-content-sha256': contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

/** Resolves settings of a direct channel. Throws ConfigError naming the channel and the missing setting. */
export function resolveDirectChannel(
  name: string,
  c: Channel,
  settings: Readonly<Record<string, string | undefined>>,
): ResolvedDirectChannel {
  if (!isDirectChannel(c))
    throw new ConfigError(
      `channel '${name}' (${c.type}) is a shared channel; approval links need a direct channel (direct-webhook or slack-dm)`,
      { channel: name },
    );
  if (c.type === 'direct-webhook') {
    const url = c.url ?? (c.urlSetting ? settings[c.urlSetting] : undefined);
    if (!url)
      throw new ConfigError(`notification channel '${name}': app setting ${c.urlSetting ?? '(url)'} is not set`, {
        channel: name,
        setting: c.urlSetting,
      });
    const secret = settings[c.secretSetting];
    if (!secret)
      throw new ConfigError(`notification channel '${name}': app setting ${c.secretSetting} is not set`, {
        channel: name,
        setting: c.secretSetting,
      });
    return { name, type: 'direct-webhook', url, secret, headers: c.headers };
  }
  if (c.type === 'email') {
    const raw = settings[c.connectionStringSetting];
    if (!raw)
      throw new ConfigError(`notification channel '${name}': app setting ${c.connectionStringSetting} is not set`, {
        channel: name,
        setting: c.connectionStringSetting,
      });
    const parsed = parseAcsConnectionString(raw);
    if (!parsed)
      throw new ConfigError(
        `notification channel '${name}': app setting ${c.connectionStringSetting} is not an ACS connection string (endpoint=https://...;accesskey=...)`,
        { channel: name, setting: c.connectionStringSetting },
      );
    const addresses = new Map(Object.entries(c.addresses).map(([k, v]) => [k.trim().toLowerCase(), v]));
    return { name, type: 'email', ...parsed, sender: c.sender, addresses };
  }
  const token = settings[c.tokenSetting];
  if (!token)
    throw new ConfigError(`notification channel '${name}': app setting ${c.tokenSetting} is not set`, {
      channel: name,
      setting: c.tokenSetting,
    });
  const users = new Map(Object.entries(c.users).map(([k, v]) => [k.trim().toLowerCase(), v]));
  return { name, type: 'slack-dm', apiUrl: c.apiUrl.replace(/\/+$/, ''), token, users, lookupByEmail: c.lookupByEmail };
}

function slackText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack Block Kit body of one DM (header, text, facts, approve/reject buttons). */
export function slackDmBlocks(m: DirectMessage): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: m.title.slice(0, 150), emoji: true } },
  ];
  if (m.text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText(m.text).slice(0, 3000) } });
  if (m.facts.length)
    blocks.push({
      type: 'section',
      fields: m.facts
        .slice(0, 10)
        .map((f) => ({ type: 'mrkdwn', text: `*${slackText(f.name)}*\n${slackText(f.value)}`.slice(0, 2000) })),
    });
  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: 'approve',
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        url: m.links.approve,
      },
      {
        type: 'button',
        action_id: 'reject',
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        url: m.links.reject,
      },
      ...(m.detailsUrl
        ? [{ type: 'button', action_id: 'details', text: { type: 'plain_text', text: 'Details' }, url: m.detailsUrl }]
        : []),
    ],
  });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `These links are yours alone (${slackText(m.recipient)}); they expire at ${m.links.expiresAt}.`,
      },
    ],
  });
  return { text: `${m.title} (approval ${m.approvalId})`.slice(0, 3000), blocks };
}

function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Subject, plain text and HTML of one approver's e-mail (their links only). */
export function emailContent(m: DirectMessage): { subject: string; plainText: string; html: string } {
  const facts = m.facts.map((f) => `${f.name}: ${f.value}`);
  const plainText = [
    m.title,
    m.text,
    ...facts,
    '',
    `Approve: ${m.links.approve}`,
    `Reject: ${m.links.reject}`,
    ...(m.detailsUrl ? [`Details: ${m.detailsUrl}`] : []),
    '',
    `These links are yours alone (${m.recipient}); they expire at ${m.links.expiresAt}. Do not forward this e-mail.`,
  ]
    .filter((l, i) => l !== '' || i > 0)
    .join('\n');
  const html =
    `<h2>${htmlText(m.title)}</h2>${m.text ? `<p>${htmlText(m.text)}</p>` : ''}${facts.length ? `<ul>${facts.map((f) => `<li>${htmlText(f)}</li>`).join('')}</ul>` : ''}` +
    `<p><a href="${htmlText(m.links.approve)}">Approve</a> &middot; <a href="${htmlText(m.links.reject)}">Reject</a>${m.detailsUrl ? ` &middot; <a href="${htmlText(m.detailsUrl)}">Details</a>` : ''}</p>` +
    `<p><small>These links are yours alone (${htmlText(m.recipient)}); they expire at ${htmlText(m.links.expiresAt)}. Do not forward this e-mail.</small></p>`;
  return { subject: m.title.slice(0, 250), plainText, html };
}

const AcsError = z
  .object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional() })
  .loose();

const SlackAnswer = z
  .object({ ok: z.boolean(), error: z.string().optional(), user: z.object({ id: z.string() }).optional() })
  .loose();
/** Slack errors worth retrying (documented: ratelimited, service errors). */
const SLACK_RETRYABLE = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

async function call(
  f: Fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; json: unknown } | { failure: string; timedOut: boolean }> {
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
    return {
      failure: timedOut
        ? `no answer within ${timeoutMs} ms`
        : ((e as Error & { cause?: { code?: string } }).cause?.code ?? 'network error'),
      timedOut,
    };
  }
}

async function slackUserId(
  ch: Extract<ResolvedDirectChannel, { type: 'slack-dm' }>,
  recipient: string,
  f: Fetch,
  timeoutMs: number,
): Promise<{ id: string } | { error: string; retryable: boolean; status?: number }> {
  const mapped = ch.users.get(recipient.trim().toLowerCase());
  if (mapped) return { id: mapped };
  if (!ch.lookupByEmail || !recipient.includes('@'))
    return { error: 'no Slack user id for this approver (add it to the channel users map)', retryable: false };
  const r = await call(
    f,
    `${ch.apiUrl}/users.lookupByEmail?email=${encodeURIComponent(recipient)}`,
    { method: 'GET', headers: { authorization: `Bearer ${ch.token}`, 'user-agent': 'stagecraft/0.1' } },
    timeoutMs,
  );
  if ('failure' in r) return { error: r.failure, retryable: true };
  if (r.status !== 200)
    return {
      error: `users.lookupByEmail: HTTP ${r.status}`,
      retryable: r.status === 429 || r.status >= 500,
      status: r.status,
    };
  const a = SlackAnswer.safeParse(r.json);
  if (!a.success) return { error: 'users.lookupByEmail: unexpected answer', retryable: false };
  if (!a.data.ok || !a.data.user)
    return {
      error: `users.lookupByEmail: ${a.data.error ?? 'no user'}`,
      retryable: SLACK_RETRYABLE.has(a.data.error ?? ''),
      status: r.status,
    };
  return { id: a.data.user.id };
}

/** Sends one approver their own links through a direct channel. */
export async function sendDirect(
  ch: ResolvedDirectChannel,
  input: DirectMessageInput,
  o: SendOptions = {},
): Promise<DirectResult> {
  const m = DirectMessage.parse(input);
  const f: Fetch = o.fetch ?? ((u, i) => fetch(u, i));
  const timeoutMs = o.timeoutMs ?? 10_000;
  const now = (o.now ?? Date.now)();
  const base = { channel: ch.name, recipient: m.recipient };
  const log = o.log ?? (() => undefined);
  const done = (r: DirectResult): DirectResult => {
    log({
      level: r.ok ? 'info' : 'warning',
      msg: r.ok ? 'direct message sent' : `direct message not delivered: ${r.error ?? ''}`,
      channel: ch.name,
      event: m.event,
      correlationId: m.approvalId,
      ...(r.status !== undefined ? { status: r.status } : {}),
    });
    return r;
  };
  if (ch.type === 'direct-webhook') {
    const body = JSON.stringify({ schema: 'stagecraft.direct.v1', sentAt: new Date(now).toISOString(), ...m });
    const ts = String(Math.floor(now / 1000));
    const headers = {
      ...ch.headers,
      'content-type': 'application/json',
      'user-agent': 'stagecraft/0.1',
      'x-stagecraft-timestamp': ts,
      'x-stagecraft-signature': signWebhook(ch.secret, ts, body),
    };
    const r = await call(f, ch.url, { method: 'POST', headers, body }, timeoutMs);
    if ('failure' in r) return done({ ...base, ok: false, retryable: true, error: r.failure });
    if (r.status >= 200 && r.status < 300) return done({ ...base, ok: true, status: r.status, retryable: false });
    return done({
      ...base,
      ok: false,
      status: r.status,
      retryable: r.status === 429 || r.status >= 500,
      error: `HTTP ${r.status}`,
    });
  }
  if (ch.type === 'email') {
    const to =
      ch.addresses.get(m.recipient.trim().toLowerCase()) ??
      (z.email().safeParse(m.recipient).success ? m.recipient : undefined);
    if (!to)
      return done({
        ...base,
        ok: false,
        retryable: false,
        error: 'no e-mail address for this approver (add it to the channel addresses map)',
      });
    const url = new URL(`${ch.endpoint}/emails:send?api-version=${ACS_EMAIL_API_VERSION}`);
    const body = JSON.stringify({
      senderAddress: ch.sender,
      recipients: { to: [{ address: to }] },
      content: emailContent(m),
      userEngagementTrackingDisabled: true,
    });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'stagecraft/0.1',
      ...acsSignedHeaders('POST', url, body, ch.accessKey, new Date(now)),
    };
    const r = await call(f, url.toString(), { method: 'POST', headers, body }, timeoutMs);
    if ('failure' in r) return done({ ...base, ok: false, retryable: true, error: r.failure });
    // 202 Accepted: queued for delivery (the operation can be polled; we do not wait for the mailbox).
    if (r.status === 202 || r.status === 200) return done({ ...base, ok: true, status: r.status, retryable: false });
    const code = AcsError.safeParse(r.json).data?.error?.code;
    return done({
      ...base,
      ok: false,
      status: r.status,
      retryable: r.status === 429 || r.status >= 500,
      error: `emails:send: HTTP ${r.status}${code ? ` ${code}` : ''}`,
    });
  }
  const user = await slackUserId(ch, m.recipient, f, timeoutMs);
  if ('error' in user)
    return done({
      ...base,
      ok: false,
      retryable: user.retryable,
      error: user.error,
      ...(user.status !== undefined ? { status: user.status } : {}),
    });
  const body = JSON.stringify({ channel: user.id, ...slackDmBlocks(m), unfurl_links: false, unfurl_media: false });
  const r = await call(
    f,
    `${ch.apiUrl}/chat.postMessage`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ch.token}`,
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'stagecraft/0.1',
      },
      body,
    },
    timeoutMs,
  );
  if ('failure' in r) return done({ ...base, ok: false, retryable: true, error: r.failure });
  if (r.status !== 200)
    return done({
      ...base,
      ok: false,
      status: r.status,
      retryable: r.status === 429 || r.status >= 500,
      error: `chat.postMessage: HTTP ${r.status}`,
    });
  const a = SlackAnswer.safeParse(r.json);
  if (!a.success)
    return done({
      ...base,
      ok: false,
      status: r.status,
      retryable: false,
      error: 'chat.postMessage: unexpected answer',
    });
  if (!a.data.ok)
    return done({
      ...base,
      ok: false,
      status: r.status,
      retryable: SLACK_RETRYABLE.has(a.data.error ?? ''),
      error: `chat.postMessage: ${a.data.error ?? 'not ok'}`,
    });
  return done({ ...base, ok: true, status: r.status, retryable: false });
}
