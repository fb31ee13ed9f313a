import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP plumbing shared by the fakes of remote services: a JSON server on 127.0.0.1 and a random port,
 * a request log, injected failures (status + error body + Retry-After, latency) and a clean close().
 * Fakes are written from the services' documented APIs, never from our client code.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  /** The body exactly as received (for signature checks). */
  raw: string;
  headers: Record<string, string | undefined>;
}

export interface InjectedFailure {
  method?: string;
  /** Matches when the request path contains this string (or matches this RegExp). */
  path?: string | RegExp;
  status: number;
  errorCode?: string;
  message?: string;
  /** Retry-After header value, e.g. '1' or an HTTP-date. */
  retryAfter?: string;
  /** Delay before answering (use with a short client timeout to provoke timeouts). */
  delayMs?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export type RouteHandler = (req: RecordedRequest) => unknown;

/** A handler returning `{ [RAW_BODY]: text }` answers that text as is (file downloads) instead of JSON. */
export const RAW_BODY = Symbol('raw body');

export interface JsonServer {
  url: string;
  requests: RecordedRequest[];
  injectFailure(f: InjectedFailure): void;
  /** Drops every injected failure not yet used. */
  clearFailures(): void;
  /** Added before every answer (and before injected failures). */
  setLatency(ms: number): void;
  /** When set, requests whose Authorization differs get 401 UNAUTHENTICATED. */
  requireAuthorization(value: string | undefined): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface JsonServerOptions {
  /** Answer bodies without `Content-Type: application/json` with 400 INVALID_PARAMETER_VALUE, as MLflow does. */
  requireJsonContentType?: boolean;
  /** Answer unknown routes with an HTML 404 page (Flask, as MLflow does) instead of JSON ENDPOINT_NOT_FOUND. */
  htmlNotFound?: boolean;
}

export async function startJsonServer(
  route: (method: string, path: string) => RouteHandler | undefined,
  options: JsonServerOptions = {},
): Promise<JsonServer> {
  const requests: RecordedRequest[] = [];
  const failures: (InjectedFailure & { left: number })[] = [];
  let latency = 0;
  let authorization: string | undefined;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query: Record<string, string | string[]> = {};
      for (const [k, v] of url.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      const text = await readBody(req);
      let body: unknown = {};
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          send(res, 400, { error_code: 'MALFORMED_REQUEST', message: 'Request body is not valid JSON' });
          return;
        }
      }
      const method = req.method ?? 'GET';
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const recorded: RecordedRequest = { method, path: url.pathname, query, body, raw: text, headers };
      requests.push(recorded);
      if (latency > 0) await sleep(latency);
      const f = failures.find(
        (x) =>
          x.left > 0 &&
          (!x.method || x.method === method) &&
          (!x.path || (typeof x.path === 'string' ? url.pathname.includes(x.path) : x.path.test(url.pathname))),
      );
      if (f) {
        f.left--;
        if (f.delayMs) await sleep(f.delayMs);
        send(
          res,
          f.status,
          {
            error_code:
              f.errorCode ??
              (f.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : f.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
            message: f.message ?? `injected ${f.status}`,
          },
          f.retryAfter ? { 'retry-after': f.retryAfter } : {},
        );
        return;
      }
      if (authorization !== undefined && headers.authorization !== authorization) {
        send(res, 401, {
          error_code: 'UNAUTHENTICATED',
          message: 'Credential was not sent or was of an unsupported type for this API.',
        });
        return;
      }
      if (
        options.requireJsonContentType &&
        method !== 'GET' &&
        text !== '' &&
        !(headers['content-type'] ?? '').startsWith('application/json')
      ) {
        send(res, 400, {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: "Bad Request. Content-Type must be one of ['application/json'].",
        });
        return;
      }
      const handler = route(method, url.pathname);
      if (!handler) {
        if (options.htmlNotFound) {
          const page = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n';
          res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
          res.end(page);
        } else {
          send(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No API found for '${method} ${url.pathname}'` });
        }
        return;
      }
      try {
        const out = await handler(recorded);
        if (typeof out === 'object' && out !== null && RAW_BODY in out) {
          const text = String((out as Record<symbol, unknown>)[RAW_BODY]);
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        } else {
          send(res, 200, out ?? {});
        }
      } catch (e) {
        if (e instanceof HttpError) send(res, e.status, { error_code: e.errorCode, message: e.message });
        else send(res, 500, { error_code: 'INTERNAL_ERROR', message: (e as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    injectFailure: (f) => {
      failures.push({ ...f, left: f.times ?? 1 });
    },
    clearFailures: () => {
      failures.length = 0;
    },
    setLatency: (ms) => {
      latency = ms;
    },
    requireAuthorization: (v) => {
      authorization = v;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The request's parameters: the query string for GET, the JSON body otherwise (MLflow ignores the query of a DELETE). */
export function params(req: RecordedRequest): Record<string, unknown> {
  const b =
    typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body)
      ? (req.body as Record<string, unknown>)
      : {};
  return req.method === 'GET' ? { ...req.query } : { ...b };
}

/** A parameter as a string: first element of a repeated query key, numbers and booleans as text, else ''. */
export function str(v: unknown): string {
  const x = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';
}
