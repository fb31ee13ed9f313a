/**
 * The local host's HTTP layer against what the Functions host does, driven over raw sockets from the client's
 * side: request size limits answered before the body is read (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), bodies that
 * stall or never end, HTTP streaming (`app.setup({ enableHttpStream: true })`), empty 404s, repeated query keys
 * and Set-Cookie as each mode writes them, and bounded memory under oversized uploads.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostProcess, type HostProcess } from '../helpers/host';

const SAMPLE_APP = resolve(__dirname, '..', '..', 'devhost', 'test', 'host', 'fixtures', 'sample-app');
const STREAM_APP = resolve(__dirname, 'fixtures', 'stream-app');
const MiB = 1024 * 1024;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` and then `body` (without ending the request) on a raw socket and resolves with the answer as soon
 * as it is complete. The client never sends the rest: an answer proves the host did not wait for it.
 */
function rawExchange(port: number, head: string, body: Buffer | string = '', timeoutMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (!err && end < 0) return;
      if (err && end < 0) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
        return;
      }
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      const length = headers['content-length'];
      if (!err && length !== undefined && rest.length < Number(length)) return;
      if (
        !err &&
        length === undefined &&
        headers['transfer-encoding'] === 'chunked' &&
        !rest.toString('latin1').endsWith('0\r\n\r\n')
      )
        return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      let bodyText = rest.toString('utf8');
      if (headers['transfer-encoding'] === 'chunked') bodyText = dechunk(rest);
      resolvePromise({ status: Number(statusLine!.split(' ')[1]), headers, body: bodyText });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      finish();
    });
    socket.on('error', () => undefined); // the host may close while we still write; the answer is what counts
    socket.on('close', () => finish(new Error('connection closed without an answer')));
    socket.write(head);
    if (body.length > 0) socket.write(body);
  });
}

function dechunk(raw: Buffer): string {
  let out = '';
  let text = raw.toString('utf8');
  for (;;) {
    const nl = text.indexOf('\r\n');
    const size = parseInt(text.slice(0, nl), 16);
    if (!size) return out;
    out += text.slice(nl + 2, nl + 2 + size);
    text = text.slice(nl + 2 + size + 2);
  }
}

function post(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** One chunk of a chunked body (the terminating zero chunk is never sent by these tests). */
function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

function rssBytes(pid: number | undefined): number | undefined {
  const status = `/proc/${String(pid)}/status`;
  if (pid === undefined || !existsSync(status)) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'));
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Four concurrent uploads announcing 64 MiB each, of which only the first MiB is sent: every one gets `status`. */
async function fourBigUploads(port: number, path: string, status: number): Promise<void> {
  const answers = await Promise.all(
    [0, 1, 2, 3].map(() =>
      rawExchange(
        port,
        post(path, { 'content-type': 'application/json', 'content-length': String(64 * MiB) }),
        Buffer.alloc(MiB, 0x20),
      ),
    ),
  );
  for (const a of answers) expect(a.status).toBe(status);
}

describe('local host without streaming (body read by the host, as the Functions host does)', () => {
  let host: HostProcess;

  beforeAll(async () => {
    host = await startHostProcess({ appDir: SAMPLE_APP, env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(MiB) } });
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
  });

  it('answers an unknown route with an empty 404, inside and outside the route prefix', async () => {
    for (const path of ['/api/nope', '/nope']) {
      const res = await fetch(`${host.baseUrl}${path}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('');
    }
  });

  it('answers 413 at once when the announced Content-Length is over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, though the sender stalls', async () => {
    const res = await rawExchange(
      host.port,
      post('/api/echo', { 'content-type': 'text/plain', 'content-length': String(2 * MiB) }),
      Buffer.alloc(MiB + 1, 0x61),
    );
    expect(res.status).toBe(413);
    expect(res.headers['connection']).toBe('close');
  });

  it('answers 413 as soon as a chunked body passes the limit, without waiting for its end', async () => {
    const res = await rawExchange(
      host.port,
      post('/api/echo', { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }),
      Buffer.concat([chunk(Buffer.alloc(MiB, 0x61)), chunk(Buffer.from('b'))]),
    );
    expect(res.status).toBe(413);
  });

  it('still serves bodies under the limit, and repeated query keys reach the handler comma-joined as the host sends them', async () => {
    const res = await fetch(`${host.baseUrl}/api/echo?tag=1&tag=2`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(MiB),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { body: string; query: Record<string, string>; queryAll: string[] };
    expect(body.body.length).toBe(MiB);
    expect(body.query['tag']).toBe('1,2');
    expect(body.queryAll).toEqual(['1,2']);
  });

  it('keeps memory flat under four concurrent 64 MiB uploads (each refused before its body is read)', async () => {
    const before = rssBytes(host.child.pid);
    await fourBigUploads(host.port, '/api/echo', 413);
    const after = rssBytes(host.child.pid);
    if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(64 * MiB);
  });
});

describe('local host with app.setup({ enableHttpStream: true })', () => {
  let host: HostProcess;
  const secret = 'stream-gh-secret';

  beforeAll(async () => {
    host = await startHostProcess({
      appDir: STREAM_APP,
      args: ['--no-azurite'],
      env: {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        ServiceBusConnection:
          'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;',
        GITHUB_WEBHOOK_SECRETS: secret,
        INTAKE_MAX_BODY_BYTES: String(MiB),
      },
    });
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
  });

  it('streams the body to the handler: it answers after the first chunk while the client has not finished', async () => {
    const res = await rawExchange(
      host.port,
      post('/api/first-chunk', { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }),
      chunk(Buffer.from('hello')),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ firstChunk: 'hello' });
    // The rest of that body is never read: the connection closes after the answer.
    expect(res.headers['connection']).toBe('close');
    // A body read in full leaves the connection open for the next request.
    const whole = await rawExchange(
      host.port,
      post('/api/echo', { 'content-type': 'text/plain', 'content-length': '5' }),
      'hello',
    );
    expect(JSON.parse(whole.body)).toMatchObject({ body: 'hello' });
    expect(whole.headers['connection']).toBe('keep-alive');
  });

  it('lets the intake refuse an announced 2 MiB body with 413 before reading it (1 MiB + 1 byte sent, then the sender waits)', async () => {
    const res = await rawExchange(
      host.port,
      post('/api/webhooks/github', { 'content-type': 'application/json', 'content-length': String(2 * MiB) }),
      Buffer.alloc(MiB + 1, 0x20),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'rejected', code: 'INTAKE_BODY_TOO_LARGE' });
  });

  it('lets the intake stop reading a chunked body at INTAKE_MAX_BODY_BYTES and answer 413 without its end', async () => {
    const res = await rawExchange(
      host.port,
      post('/api/webhooks/github', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
      Buffer.concat([chunk(Buffer.alloc(MiB, 0x20)), chunk(Buffer.from(' '))]),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'INTAKE_BODY_TOO_LARGE' });
  });

  it('serves a normal signed delivery through the streamed body', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const sig = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const res = await fetch(`${host.baseUrl}/api/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'd-1',
        'x-hub-signature-256': sig,
      },
      body,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });

  it('keeps repeated query keys apart (the worker reads the query from the URL) and writes cookies as the worker proxy does', async () => {
    const res = await fetch(`${host.baseUrl}/api/echo?dupe=1&dupe=2`);
    expect(await res.json()).toMatchObject({ dupe: '1', dupeAll: ['1', '2'] });
    expect(res.headers.get('set-cookie')).toBe('session=a%20b; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
  });

  it('keeps memory flat under four concurrent unauthenticated 64 MiB uploads to the intake', async () => {
    const before = rssBytes(host.child.pid);
    await fourBigUploads(host.port, '/api/webhooks/github', 413);
    const after = rssBytes(host.child.pid);
    if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(64 * MiB);
  });
});
