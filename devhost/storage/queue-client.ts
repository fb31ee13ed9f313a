/**
 * A small Queue service REST client (the subset the queue trigger and output need), signed with SharedKey or a SAS
 * token from the connection string. `@azure/storage-queue` is not a dependency of this repo; the wire protocol is
 * small and stable (x-ms-version 2021-08-06, which Azurite serves).
 *
 * Invariant: message text is passed through as-is; encoding (base64 or none) is the caller's business.
 */
import { createHmac } from 'node:crypto';
import type { StorageAccount } from './connection';

const API_VERSION = '2021-08-06';

export interface QueueMessage {
  messageId: string;
  insertionTime: Date;
  expirationTime: Date;
  popReceipt: string;
  nextVisibleTime: Date;
  dequeueCount: number;
  messageText: string;
}

export class QueueRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'QueueRequestError';
  }
}

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|quot|apos|amp);/gi, (_m, e: string) => {
    const l = e.toLowerCase();
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    if (l === 'amp') return '&';
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (m) return xmlUnescape(m[1] ?? '');
  return new RegExp(`<${name}\\s*/>`).test(xml) ? '' : undefined;
}

export function parseMessages(xml: string): QueueMessage[] {
  const out: QueueMessage[] = [];
  for (const m of xml.matchAll(/<QueueMessage>([\s\S]*?)<\/QueueMessage>/g)) {
    const body = m[1] ?? '';
    const date = (n: string) => new Date(tag(body, n) ?? 0);
    out.push({
      messageId: tag(body, 'MessageId') ?? '',
      insertionTime: date('InsertionTime'),
      expirationTime: date('ExpirationTime'),
      popReceipt: tag(body, 'PopReceipt') ?? '',
      nextVisibleTime: date('TimeNextVisible'),
      dequeueCount: Number(tag(body, 'DequeueCount') ?? 0),
      messageText: tag(body, 'MessageText') ?? '',
    });
  }
  return out;
}

/** SharedKey signature over the canonical request (Blob/Queue/File service format, version 2009-09-19 and later). */
export function sharedKeySignature(
  account: string,
  key: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
): string {
  const h = (n: string) => headers[n] ?? '';
  const length = h('content-length');
  const canonicalHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-ms-'))
    .sort()
    .map((k) => `${k}:${(headers[k] ?? '').trim()}\n`)
    .join('');
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) params.set(k.toLowerCase(), [...(params.get(k.toLowerCase()) ?? []), v]);
  const canonicalQuery = [...params.keys()]
    .sort()
    .map((k) => `\n${k}:${(params.get(k) ?? []).sort().join(',')}`)
    .join('');
  const canonicalResource = `/${account}${url.pathname}${canonicalQuery}`;
  const toSign =
    [
      method,
      h('content-encoding'),
      h('content-language'),
      length === '0' ? '' : length,
      h('content-md5'),
      h('content-type'),
      '',
      h('if-modified-since'),
      h('if-match'),
      h('if-none-match'),
      h('if-unmodified-since'),
      h('range'),
    ].join('\n') +
    '\n' +
    canonicalHeaders +
    canonicalResource;
  return createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
}

export class QueueClient {
  readonly url: string;

  constructor(
    private readonly account: StorageAccount,
    readonly name: string,
  ) {
    this.url = `${account.queueEndpoint}/${encodeURIComponent(name)}`;
  }

  private async request(
    method: string,
    path: string,
    query: Record<string, string>,
    body?: string,
    okStatuses: number[] = [200, 201, 204],
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const url = new URL(this.url + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    if (this.account.sas) for (const [k, v] of new URLSearchParams(this.account.sas)) url.searchParams.set(k, v);
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const headers: Record<string, string> = {
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': API_VERSION,
      'content-length': String(payload?.length ?? 0),
      ...(payload ? { 'content-type': 'application/xml; charset=utf-8' } : {}),
    };
    if (this.account.accountKey && !this.account.sas) {
      headers['authorization'] =
        `SharedKey ${this.account.accountName}:${sharedKeySignature(this.account.accountName, this.account.accountKey, method, url, headers)}`;
    }
    const res = await fetch(url, {
      method,
      headers,
      ...(payload ? { body: payload } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!okStatuses.includes(res.status)) {
      const code = res.headers.get('x-ms-error-code') ?? tag(text, 'Code');
      throw new QueueRequestError(
        res.status,
        code,
        `Queue '${this.name}': ${method} ${path || '/'} answered ${res.status}${code ? ` ${code}` : ''}`,
      );
    }
    return { status: res.status, text, headers: res.headers };
  }

  /** Creates the queue when missing (201 created, 204 already there). */
  async createIfNotExists(): Promise<void> {
    try {
      await this.request('PUT', '', {});
    } catch (e) {
      if (e instanceof QueueRequestError && e.status === 409) return;
      throw e;
    }
  }

  async sendMessage(
    text: string,
    options: { visibilityTimeoutSec?: number; ttlSec?: number } = {},
  ): Promise<QueueMessage | undefined> {
    const q: Record<string, string> = {};
    if (options.visibilityTimeoutSec) q['visibilitytimeout'] = String(options.visibilityTimeoutSec);
    if (options.ttlSec !== undefined) q['messagettl'] = String(options.ttlSec);
    const res = await this.request(
      'POST',
      '/messages',
      q,
      `<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>${xmlEscape(text)}</MessageText></QueueMessage>`,
    );
    return parseMessages(res.text)[0];
  }

  async receiveMessages(count: number, visibilityTimeoutSec: number): Promise<QueueMessage[]> {
    const res = await this.request('GET', '/messages', {
      numofmessages: String(Math.max(1, Math.min(32, count))),
      visibilitytimeout: String(visibilityTimeoutSec),
    });
    return parseMessages(res.text);
  }

  async peekMessages(count: number): Promise<QueueMessage[]> {
    const res = await this.request('GET', '/messages', {
      peekonly: 'true',
      numofmessages: String(Math.max(1, Math.min(32, count))),
    });
    return parseMessages(res.text);
  }

  async deleteMessage(messageId: string, popReceipt: string): Promise<void> {
    await this.request('DELETE', `/messages/${encodeURIComponent(messageId)}`, { popreceipt: popReceipt });
  }

  /** Changes a received message's visibility; returns the new pop receipt and next-visible time. */
  async updateVisibility(
    messageId: string,
    popReceipt: string,
    visibilityTimeoutSec: number,
  ): Promise<{ popReceipt: string; nextVisibleTime: Date }> {
    const res = await this.request('PUT', `/messages/${encodeURIComponent(messageId)}`, {
      popreceipt: popReceipt,
      visibilitytimeout: String(Math.max(0, Math.round(visibilityTimeoutSec))),
    });
    return {
      popReceipt: res.headers.get('x-ms-popreceipt') ?? popReceipt,
      nextVisibleTime: new Date(res.headers.get('x-ms-time-next-visible') ?? Date.now()),
    };
  }
}
