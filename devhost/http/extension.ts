/**
 * HTTP triggers: Azure route templates under `extensions.http.routePrefix`, methods, auth levels with keys, CORS
 * from local.settings.json `Host.CORS`, and `@azure/functions` request/response semantics.
 *
 * Invariants:
 * - An exception in a handler answers 500 (no details leaked) and is logged with the invocation id; the host keeps serving.
 * - A path that matches no route is 404; a path that matches only with another method is 405 with `Allow`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type * as FunctionsLibModule from '@azure/functions';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { flushLogs } from '../host/logger';
import { getHostSetting } from '../host/settings';
import type { HostContext, HostExtension, RegisteredFunction } from '../host/types';
import { answerTooLarge, limitedBodyStream, lingeringClose } from './body';
import { identifyKey, loadKeys, type KeyStore } from './keys';
import { compareSpecificity, compileRoute, matchRoute, type CompiledRoute } from './routes';

type FunctionsLib = typeof FunctionsLibModule;

interface HttpFunction {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: string[];
  authLevel: 'anonymous' | 'function' | 'admin';
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];

export interface HttpExtension extends HostExtension {
  /** Keys in effect (for printing and for tests that read them from the state dir). */
  readonly keys: KeyStore | undefined;
  routePrefix(): string;
}

export function createHttpExtension(lib: () => FunctionsLib): HttpExtension {
  let functions: HttpFunction[] = [];
  let keys: KeyStore | undefined;
  let prefix = 'api';
  let cors: string[] = [];
  let corsCredentials = false;
  let host: HostContext;

  function compile(fn: RegisteredFunction, routePrefix: string): HttpFunction {
    const t = fn.trigger;
    const route = typeof t['route'] === 'string' && t['route'] ? t['route'] : fn.name;
    const methods = (Array.isArray(t['methods']) && t['methods'].length ? (t['methods'] as string[]) : ALL_METHODS).map(
      (m) => m.toUpperCase(),
    );
    const authLevel = authLevelOf(fn) as HttpFunction['authLevel'];
    return { fn, route: compileRoute(routePrefix, route), methods, authLevel };
  }

  function corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!origin || cors.length === 0) return {};
    const allowed = cors.includes('*')
      ? corsCredentials
        ? origin
        : '*'
      : cors.find((o) => o.toLowerCase() === origin.toLowerCase());
    if (!allowed) return {};
    const h: Record<string, string> = { 'access-control-allow-origin': allowed, vary: 'Origin' };
    if (corsCredentials) h['access-control-allow-credentials'] = 'true';
    return h;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', host.baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/+/, '');
    const baseCors = corsHeaders(req);
    // Streaming: an answer may go out before the body was read (401, 413, a handler that stops early). Such a
    // connection closes after the answer instead of reading the rest of the body to reuse it; one whose body was
    // read in full stays open.
    if (
      host.httpStreamEnabled() &&
      (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined)
    ) {
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
      res.writeHead = (...args: unknown[]) => {
        if (!req.complete) lingeringClose(req, res);
        return writeHead(...args);
      };
    }

    if (
      method === 'OPTIONS' &&
      req.headers.origin &&
      req.headers['access-control-request-method'] &&
      Object.keys(baseCors).length
    ) {
      res.writeHead(204, {
        ...baseCors,
        'access-control-allow-methods': ALL_METHODS.join(', '),
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '86400',
      });
      res.end();
      return;
    }

    let matched: { f: HttpFunction; params: Record<string, string> } | undefined;
    const otherMethods = new Set<string>();
    for (const f of functions) {
      const params = matchRoute(f.route, url.pathname);
      if (!params) continue;
      if (!f.methods.includes(method) && !(method === 'HEAD' && f.methods.includes('GET'))) {
        f.methods.forEach((m) => otherMethods.add(m));
        continue;
      }
      matched = { f, params };
      break;
    }
    if (!matched) {
      if (otherMethods.size) {
        res.writeHead(405, { ...baseCors, allow: [...otherMethods].join(', '), 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `Method ${method} is not allowed here; use ${[...otherMethods].join(', ')}` }));
      } else {
        // The Functions host answers an unknown route with an empty 404 (a JSON error would be ours, not Azure's).
        host.logger.log('debug', `No function serves ${method} /${path}`, {});
        res.writeHead(404, { ...baseCors, 'content-length': '0' });
        res.end();
      }
      return;
    }
    const { f, params } = matched;

    if (f.authLevel !== 'anonymous') {
      const headerKey = req.headers['x-functions-key'];
      const presented =
        (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get('code') ?? undefined;
      const match = keys ? identifyKey(keys, f.fn.name, presented) : undefined;
      if (!match || (f.authLevel === 'admin' && match.level !== 'admin')) {
        host.logger.log('warning', 'HTTP request refused: missing or wrong function key', {
          function: f.fn.name,
          authLevel: f.authLevel,
          path: `/${path}`,
        });
        flushLogs();
        res.writeHead(401, { ...baseCors, 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error:
              f.authLevel === 'admin'
                ? 'This function needs the master key (x-functions-key header or code query parameter)'
                : 'This function needs a function key (x-functions-key header or code query parameter)',
          }),
        );
        return;
      }
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const L = lib();
    const streaming = host.httpStreamEnabled();
    let tooLarge = false;
    let request: InstanceType<FunctionsLib['HttpRequest']>;
    try {
      if (streaming) {
        // As the worker's createStreamRequest: the body streams to the handler (read with the host's size cap),
        // query comes from the URL (repeated keys stay apart), params from the route.
        const hasBody = method !== 'GET' && method !== 'HEAD';
        const stream = hasBody
          ? limitedBodyStream(req, host.requestBodyLimit, () => {
              tooLarge = true;
              answerTooLarge(req, res, baseCors);
            })
          : undefined;
        const nativeRequest = new Request(url.toString(), {
          method,
          headers,
          ...(stream ? { body: stream, duplex: 'half' } : {}),
        });
        request = new L.HttpRequest({ nativeRequest, params } as unknown as ConstructorParameters<
          FunctionsLib['HttpRequest']
        >[0]);
      } else {
        // As the Functions host without streaming: the body was read whole; a repeated query key reaches the
        // worker as one comma-joined value (the host's StringValues.ToString()), so query.get('k') is '1,2'.
        const query: Record<string, string> = {};
        for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
        // The library would copy the bytes twice (Buffer.from, then the fetch Request); a stream over the host's
        // buffer hands them over without a copy. Libraries without `nativeRequest` use the RPC fields as before.
        const hasBody = body.length > 0 && method !== 'GET' && method !== 'HEAD';
        const nativeRequest = new Request(url.toString(), {
          method,
          headers,
          ...(hasBody ? { body: bytesStream(body), duplex: 'half' } : {}),
        });
        const init = {
          nativeRequest,
          method,
          url: url.toString(),
          headers,
          query,
          params,
          ...(body.length ? { body: { bytes: body } } : {}),
        };
        request = new L.HttpRequest(init);
      }
    } catch (e) {
      // e.g. a header value or method the fetch Request class refuses (TRACE): the caller's input, so 400, not 500.
      res.writeHead(400, { ...baseCors, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `The request cannot be handed to the function: ${(e as Error).message}` }));
      return;
    }

    let result: unknown;
    const invocationId = randomUUID();
    try {
      result = (await host.invoke(f.fn, request, { invocationId })).returnValue;
    } catch (e) {
      // The invoker already logged the failure with this invocation id and the stack.
      host.logger.log('warning', `HTTP 500: function "${f.fn.name}" failed`, {
        function: f.fn.name,
        invocationId,
        method,
        path: `/${path}`,
        errorCode: (e as { code?: unknown }).code,
      });
      flushLogs();
      if (!res.headersSent) {
        res.writeHead(500, { ...baseCors, 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'The function failed; see the host log for the invocation', invocationId }));
      }
      return;
    }
    flushLogs(); // the request's log lines are out before its answer
    if (tooLarge || res.headersSent) return; // already answered 413 while the body streamed
    await writeResponse(L, res, result, baseCors, method === 'HEAD', streaming);
  }

  /** Tracks handle() calls so stop() can let running requests finish. */
  const inFlight = new Set<Promise<void>>();
  function tracked(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const p = handle(req, res, body).finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  }

  return {
    name: 'http',
    triggerTypes: ['httpTrigger'],
    outputTypes: ['http'],
    get keys() {
      return keys;
    },
    routePrefix: () => prefix,
    validate(fn, ctx) {
      const p = getHostSetting(ctx.hostJson, 'extensions.http.routePrefix');
      try {
        compile(fn, typeof p === 'string' ? p : 'api');
      } catch (e) {
        return `invalid route: ${(e as Error).message}`;
      }
      const level = authLevelOf(fn);
      if (!['anonymous', 'function', 'admin'].includes(level))
        return `authLevel "${level}" is not one of anonymous, function, admin`;
      const methods = fn.trigger['methods'];
      if (Array.isArray(methods)) {
        const bad = (methods as unknown[]).filter(
          (m) => typeof m !== 'string' || !ALL_METHODS.includes(m.toUpperCase()),
        );
        if (bad.length) return `unknown HTTP method(s) ${bad.map((m) => JSON.stringify(m)).join(', ')}`;
      }
      return undefined;
    },
    async init(ctx) {
      host = ctx;
      const p = getHostSetting(ctx.hostJson, 'extensions.http.routePrefix');
      prefix = typeof p === 'string' ? p : 'api';
      functions = ctx.functions
        .filter((fn) => fn.trigger.type.toLowerCase() === 'httptrigger')
        .map((fn) => compile(fn, prefix))
        .sort((a, b) => compareSpecificity(a.route, b.route));
      if (functions.some((f) => f.authLevel !== 'anonymous')) keys = loadKeys(ctx.stateDir, ctx.settings);
      cors = (ctx.localHost.CORS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      corsCredentials = ctx.localHost.CORSCredentials === true;
      ctx.addSystemRoute({ prefix: '/', handle: tracked, streamBody: () => ctx.httpStreamEnabled() });
    },
    async start(ctx) {
      if (keys) {
        ctx.logger.log('information', 'Function keys (send as x-functions-key header or ?code=)', {
          defaultKey: '(see below)',
        });
        process.stdout.write(
          `  default function key: ${keys.hostKeys['default']}\n  master key:           ${keys.masterKey}\n  (stored in ${ctx.stateDir}/keys.json; override with DEVHOST_FUNCTION_KEY / DEVHOST_MASTER_KEY)\n`,
        );
      }
    },
    async stop(deadlineMs) {
      if (inFlight.size)
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    },
    describe(fn, ctx) {
      const f = functions.find((x) => x.fn === fn) ?? compile(fn, prefix);
      return `${fn.name}: [${f.methods.join(',')}] ${ctx.baseUrl}/${f.route.template}${f.authLevel === 'anonymous' ? '' : `  (auth: ${f.authLevel})`}`;
    },
  };
}

/** A one-chunk byte stream over `bytes` (no copy). */
function bytesStream(bytes: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      controller.close();
    },
  });
}

/** `authLevel` lower-cased; the library fills in 'anonymous' when the app gives none, the host default is 'function'. */
function authLevelOf(fn: RegisteredFunction): string {
  const v = fn.trigger['authLevel'];
  return typeof v === 'string' ? v.toLowerCase() : 'function';
}

function isHttpResponseLike(v: unknown): v is Response & { cookies?: unknown[] } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Response).arrayBuffer === 'function' &&
    (v as Response).headers instanceof Headers
  );
}

interface Cookie {
  name: string;
  value: string;
  domain?: string;
  path?: string;
  expires?: Date | number;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  maxAge?: number;
}

/** .NET Uri.EscapeDataString: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
function escapeDataString(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A cookie as the Functions host writes it without streaming: the worker hands it over as an RpcHttpCookie and the
 * host appends it with ASP.NET Core's `Response.Cookies.Append` — value escaped with Uri.EscapeDataString, attributes
 * in SetCookieHeaderValue order and case (`expires`, `max-age`, `domain`, `path` — `/` unless set — `secure`,
 * `samesite`, `httponly`).
 */
function serializeCookieAsHost(c: Cookie): string {
  let s = `${c.name}=${escapeDataString(c.value)}`;
  if (c.expires !== undefined) s += `; expires=${new Date(c.expires).toUTCString()}`;
  if (c.maxAge !== undefined) s += `; max-age=${Math.max(0, Math.trunc(c.maxAge))}`;
  if (c.domain) s += `; domain=${c.domain}`;
  s += `; path=${c.path || '/'}`;
  if (c.secure) s += '; secure';
  const sameSite = c.sameSite?.toLowerCase();
  if (sameSite === 'strict' || sameSite === 'lax' || sameSite === 'none') s += `; samesite=${sameSite}`;
  if (c.httpOnly) s += '; httponly';
  return s;
}

/**
 * A cookie as the worker's HTTP proxy writes it when streaming is on (the `cookie` package's serialize): value
 * encodeURIComponent-encoded, attributes `Max-Age`, `Domain`, `Path`, `Expires`, `HttpOnly`, `Secure`, `SameSite`.
 */
function serializeCookieAsWorkerProxy(c: Cookie): string {
  let s = `${c.name}=${encodeURIComponent(c.value)}`;
  if (c.maxAge !== undefined) s += `; Max-Age=${Math.floor(c.maxAge)}`;
  if (c.domain) s += `; Domain=${c.domain}`;
  if (c.path) s += `; Path=${c.path}`;
  if (c.expires !== undefined) s += `; Expires=${new Date(c.expires).toUTCString()}`;
  if (c.httpOnly) s += '; HttpOnly';
  if (c.secure) s += '; Secure';
  if (c.sameSite) s += `; SameSite=${c.sameSite}`;
  return s;
}

/**
 * Fast path for the common plain `{ status?, headers?, jsonBody }` answer: the same bytes and headers the library's
 * HttpResponse would give (JSON text, `application/json` unless the function set a content type), without building
 * a fetch Response and piping its web stream. Anything else (body, cookies, HttpResponse objects) takes the
 * general path. Returns false when it did not apply.
 */
function writeJsonInit(res: ServerResponse, result: unknown, extra: Record<string, string>, head: boolean): boolean {
  if (typeof result !== 'object' || result === null || isHttpResponseLike(result)) return false;
  const init = result as {
    status?: unknown;
    headers?: unknown;
    jsonBody?: unknown;
    body?: unknown;
    cookies?: unknown;
    nativeResponse?: unknown;
  };
  if (
    init.jsonBody === undefined ||
    init.jsonBody === null ||
    init.body !== undefined ||
    init.cookies !== undefined ||
    init.nativeResponse !== undefined
  )
    return false;
  const status = init.status ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return false;
  if (status === 204 || status === 205 || status === 304) return false;
  const headers: Record<string, string> = { ...extra };
  let hasType = false;
  for (const [k, v] of new Headers(init.headers as ConstructorParameters<typeof Headers>[0])) {
    if (k === 'set-cookie') return false;
    headers[k] = v;
    if (k === 'content-type') hasType = true;
  }
  if (!hasType) headers['content-type'] = 'application/json';
  const text = JSON.stringify(init.jsonBody);
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(head ? undefined : text);
  return true;
}

async function writeResponse(
  L: FunctionsLib,
  res: ServerResponse,
  result: unknown,
  extra: Record<string, string>,
  head: boolean,
  streaming: boolean,
): Promise<void> {
  if (writeJsonInit(res, result, extra, head)) return;
  // Duck-typed: the app may bundle its own copy of @azure/functions (two copies = two HttpResponse classes).
  const response = isHttpResponseLike(result) ? result : new L.HttpResponse(result ?? {});
  const status = response.status || 200;
  const headers: Record<string, string | string[]> = { ...extra };
  response.headers.forEach((v, k) => {
    if (k.toLowerCase() !== 'set-cookie') headers[k] = v;
  });
  const cookies = ((response as { cookies?: Cookie[] }).cookies ?? []).map(
    streaming ? serializeCookieAsWorkerProxy : serializeCookieAsHost,
  );
  if (cookies.length) headers['set-cookie'] = cookies;
  const noBody = head || status === 204 || status === 205 || status === 304;
  if (noBody || !response.body) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, headers);
  await new Promise<void>((resolve, reject) => {
    const stream = Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
    stream.on('error', reject);
    res.on('close', () => resolve());
    stream.pipe(res);
  });
}
