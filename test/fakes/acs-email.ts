import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake Azure Communication Services Email, from the documented REST API: `POST /emails:send?api-version=2023-03-31`
 * with access-key (HMAC-SHA256) authentication: `x-ms-date`, `x-ms-content-sha256` (base64 SHA-256 of the body) and
 * `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC of
 * "POST\n<path+query>\n<x-ms-date>;<host>;<content hash>" with the base64-decoded key>`. Answers 202 Accepted with
 * `Operation-Location` and `{ id, status: 'Running' }`; 401 `{ error: { code: 'Denied' } }` for a bad signature, 400
 * for a bad body or api-version.
 */
export interface SentEmail {
  senderAddress: string;
  to: string[];
  subject: string;
  plainText: string;
  html: string;
}

export interface FakeAcsEmail {
  endpoint: string;
  /** Base64 access key (as in the connection string). */
  accessKey: string;
  connectionString: string;
  sent: SentEmail[];
  rejected: Array<{ status: number; code: string }>;
  /** Answer the next n sends with this status (e.g. 429, 503). */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}

export async function startFakeAcsEmail(): Promise<FakeAcsEmail> {
  const accessKey = Buffer.from(randomUUID() + randomUUID()).toString('base64');
  const key = Buffer.from(accessKey, 'base64');
  const sent: SentEmail[] = [];
  const rejected: Array<{ status: number; code: string }> = [];
  let failures: { status: number; left: number } | undefined;
  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const refuse = (status: number, code: string, message: string) => {
        rejected.push({ status, code });
        answer(res, status, { error: { code, message } });
      };
      if (req.method !== 'POST' || url.pathname !== '/emails:send') return refuse(404, 'NotFound', 'no such operation');
      if (url.searchParams.get('api-version') !== '2023-03-31')
        return refuse(400, 'InvalidApiVersion', 'unsupported api-version');
      const date = req.headers['x-ms-date'];
      const hash = req.headers['x-ms-content-sha256'];
      const auth = req.headers.authorization ?? '';
      const m = /^HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=(.+)$/.exec(auth);
      if (typeof date !== 'string' || typeof hash !== 'string' || !m)
        return refuse(401, 'Denied', 'Denied by the resource provider.');
      if (createHash('sha256').update(raw, 'utf8').digest('base64') !== hash)
        return refuse(401, 'Denied', 'content hash mismatch');
      const expected = createHmac('sha256', key)
        .update(`POST\n${url.pathname}${url.search}\n${date};${req.headers.host ?? ''};${hash}`, 'utf8')
        .digest();
      const presented = Buffer.from(m[1]!, 'base64');
      if (expected.length !== presented.length || !timingSafeEqual(expected, presented))
        return refuse(401, 'Denied', 'Denied by the resource provider.');
      if (Math.abs(Date.parse(date) - Date.now()) > 15 * 60_000)
        return refuse(401, 'Denied', 'x-ms-date is too far from now');
      if (failures && failures.left > 0) {
        failures.left--;
        return answer(
          res,
          failures.status,
          { error: { code: failures.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'injected' } },
          failures.status === 429 ? { 'retry-after': '1' } : {},
        );
      }
      let body: {
        senderAddress?: string;
        recipients?: { to?: Array<{ address?: string }> };
        content?: { subject?: string; plainText?: string; html?: string };
      };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return refuse(400, 'BadRequest', 'body is not JSON');
      }
      const to = (body.recipients?.to ?? []).map((r) => r.address ?? '');
      if (!body.senderAddress || to.length === 0 || to.some((a) => !a.includes('@')) || !body.content?.subject)
        return refuse(400, 'BadRequest', 'senderAddress, recipients.to and content.subject are required');
      sent.push({
        senderAddress: body.senderAddress,
        to,
        subject: body.content.subject,
        plainText: body.content.plainText ?? '',
        html: body.content.html ?? '',
      });
      const id = randomUUID();
      answer(
        res,
        202,
        { id, status: 'Running' },
        { 'operation-location': `http://${req.headers.host ?? ''}/emails/operations/${id}?api-version=2023-03-31` },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    accessKey,
    connectionString: `endpoint=${endpoint}/;accesskey=${accessKey}`,
    sent,
    rejected,
    failNext: (status, n = 1) => {
      failures = { status, left: n };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
