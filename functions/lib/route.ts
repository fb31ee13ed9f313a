/**
 * The one HTTP handler layer: every HTTP route of the app is registered through `route()` and declares its auth
 * (shared/auth/policy.ts). Before the handler runs the layer authenticates and checks the declared kind, parses
 * params/query (and a JSON body when a schema is given) with zod, and afterwards maps errors to one body shape
 * `{ error: { code, message, details? } }` and sets `cache-control: no-store`. Refusals on operator, admin and link
 * routes are audited. `raw` routes (the intake webhooks) keep their own answers (their contract and tests).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';
import { appendAudit, type AuditEntry } from '../../shared/audit';
import { authSettings } from '../../shared/auth/settings';
import { durablePortFor } from '../../shared/durable/durable-functions';
import type { DurablePort } from '../../shared/durable/port';
import { authorizeRequest, Forbidden, hostAuthLevel, type AuthKind, type Caller } from '../../shared/auth/policy';
import { isStagecraftError, ValidationError, type StagecraftError } from '../../shared/errors';
import { validationErrorFrom } from '../../shared/events';
import { findIllFormedString } from '../../shared/events/identifiers';
import { isJsonMediaType, mediaTypeOf } from '../../shared/intake/body';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface RouteDeclaration {
  name: string;
  methods: readonly Method[];
  route: string;
  auth: AuthKind;
  /** One line: who may call and how it is checked (printed by the route table test). */
  note?: string;
}

/** Every route registered through this layer (the route-enumeration test compares it with the host's registry). */
export const ROUTE_DECLARATIONS = new Map<string, RouteDeclaration>();

export interface RouteContext<P, Q, B> {
  request: HttpRequest;
  context: InvocationContext;
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  /** Raw body text (read once by the layer when a body schema or `readBody` is declared). */
  text: string;
  headers: ReadonlyMap<string, string>;
  /** The durable port (routes declared `durable: true`). */
  durable: () => DurablePort;
  /** Appends to the audit log; a failure to write is logged, never turned into the answer. */
  audit: (entry: AuditEntry) => Promise<void>;
}

export interface RouteOptions<P, Q, B> extends Omit<RouteDeclaration, 'name'> {
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * Read the body text without a schema (handlers that validate it themselves); `'json'`: the handler parses JSON, so
   * the layer still refuses other media types (415) and ill-formed Unicode (400) first.
   */
  readBody?: boolean | 'json';
  /** Prefix of the validation error codes (`<prefix>_QUERY_INVALID`, ...). */
  errorPrefix?: string;
  durable?: boolean;
  /** Audit action of refused calls on audited kinds (default `http.<name>`). */
  auditAction?: string;
  /** Renders a 4xx error for this route differently (e.g. an HTML page for a browser); undefined = JSON. */
  renderError?: (e: StagecraftError, request: HttpRequest) => HttpResponseInit | undefined;
  handler: (ctx: RouteContext<P, Q, B>) => Promise<HttpResponseInit>;
}

export interface RawRouteOptions extends Omit<RouteDeclaration, 'name'> {
  /**
   * The handler answers the request itself (intake webhooks keep their own answer shape; health). Only kinds the
   * host or the handler enforce: `signature`, `function-key` or `anonymous`.
   */
  raw: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
  durable?: boolean;
}

const AUDITED: ReadonlySet<AuthKind> = new Set(['operator', 'admin', 'link']);

export function headerMap(request: HttpRequest): Map<string, string> {
  const headers = new Map<string, string>();
  request.headers.forEach((v, k) => headers.set(k.toLowerCase(), v));
  return headers;
}

function queryObject(request: HttpRequest): Record<string, string> {
  const q: Record<string, string> = {};
  request.query.forEach((v, k) => {
    q[k] ??= v;
  });
  return q;
}

export function errorBody(
  e: unknown,
  correlationId: string,
  log: (m: string, f: Record<string, unknown>) => void,
): HttpResponseInit {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (isStagecraftError(e) && e.status < 500) {
    return { status: e.status, jsonBody: { error: e.toJSON() }, headers };
  }
  log('unexpected error', { correlationId, error: e instanceof Error ? e.message : String(e) });
  if (isStagecraftError(e) && e.retryable) headers['retry-after'] = '5';
  const status = isStagecraftError(e) ? e.status : 500;
  return {
    status,
    jsonBody: {
      error: {
        code: isStagecraftError(e) ? e.code : 'INTERNAL',
        message: 'server error; see logs with this correlationId',
        details: { correlationId },
      },
    },
    headers,
  };
}

function withNoStore(r: HttpResponseInit): HttpResponseInit {
  const headers = { ...(r.headers as Record<string, string> | undefined) };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'cache-control')) headers['cache-control'] = 'no-store';
  return { ...r, headers };
}

function safeAudit(context: InvocationContext) {
  return async (entry: AuditEntry) => {
    try {
      await appendAudit({ ...entry, requestId: entry.requestId ?? context.invocationId });
    } catch (e) {
      context.error('audit log write failed', {
        action: entry.action,
        outcome: entry.outcome,
        error: (e as Error).message,
      });
    }
  };
}

/** Browsers send Origin on cross-site POSTs: a state change must come from this app's own origin (cookie auth). */
function checkOrigin(request: HttpRequest, headers: ReadonlyMap<string, string>): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  // Fetch metadata: a browser marks requests a page of another site made (even when it sends no Origin).
  if (headers.get('sec-fetch-site') === 'cross-site')
    throw new Forbidden('AUTH_CROSS_ORIGIN', 'state-changing requests from another site are refused');
  const origin = headers.get('origin');
  if (!origin || origin === 'null') {
    if (origin === 'null')
      throw new Forbidden('AUTH_CROSS_ORIGIN', 'state-changing requests from an opaque origin are refused');
    return;
  }
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    throw new Forbidden('AUTH_CROSS_ORIGIN', 'the Origin header is not a URL');
  }
  const own = [headers.get('x-forwarded-host'), headers.get('host')]
    .filter((h): h is string => !!h)
    .map((h) => h.toLowerCase());
  if (!own.includes(host))
    throw new Forbidden('AUTH_CROSS_ORIGIN', `a request from ${origin} may not change state here`);
}

function declare(name: string, d: Omit<RouteDeclaration, 'name'>): void {
  if (ROUTE_DECLARATIONS.has(name)) throw new Error(`route ${name} declared twice`);
  ROUTE_DECLARATIONS.set(name, {
    name,
    methods: d.methods,
    route: d.route,
    auth: d.auth,
    ...(d.note ? { note: d.note } : {}),
  });
}

export function rawRoute(name: string, o: RawRouteOptions): void {
  if (o.auth !== 'signature' && o.auth !== 'function-key' && o.auth !== 'anonymous')
    throw new Error(`raw route ${name} must be signature, function-key or anonymous`);
  declare(name, o);
  app.http(name, {
    methods: [...o.methods],
    authLevel: hostAuthLevel(o.auth),
    route: o.route,
    ...(o.durable ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: o.raw,
  });
}

export function route<P = Record<string, string>, Q = Record<string, string>, B = undefined>(
  name: string,
  o: RouteOptions<P, Q, B>,
): void {
  declare(name, o);
  const handler = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const headers = headerMap(request);
    const audit = safeAudit(context);
    try {
      let caller: Caller;
      try {
        checkOrigin(request, headers);
        caller = authorizeRequest(o.auth, headers, authSettings());
      } catch (e) {
        if (AUDITED.has(o.auth) && isStagecraftError(e)) {
          await audit({
            action: o.auditAction ?? `http.${name}`,
            actor: typeof e.details?.['caller'] === 'string' ? e.details['caller'] : 'unauthenticated',
            outcome: 'refused',
            reason: e.code,
            target: new URL(request.url).pathname,
            details: { message: e.message, method: request.method },
          });
        }
        throw e;
      }
      const prefix = o.errorPrefix ?? 'REQUEST';
      const params = o.params
        ? o.params.safeParse(request.params)
        : { success: true as const, data: request.params as P };
      if (!params.success) throw validationErrorFrom(`${prefix}_PARAMS_INVALID`, 'path', params.error.issues);
      const query = o.query
        ? o.query.safeParse(queryObject(request))
        : { success: true as const, data: queryObject(request) as Q };
      if (!query.success) throw validationErrorFrom(`${prefix}_QUERY_INVALID`, 'query', query.error.issues);
      const text = o.body || o.readBody ? await request.text() : '';
      let body = undefined as B;
      if (o.body || o.readBody === 'json') {
        // JSON routes take JSON (or no Content-Type); anything else is 415 naming what to send, as at the intake.
        const mediaType = mediaTypeOf(headers.get('content-type'));
        if (text.trim() !== '' && mediaType !== '' && !isJsonMediaType(mediaType)) {
          throw new ValidationError(
            `${prefix}_UNSUPPORTED_MEDIA_TYPE`,
            `Content-Type ${mediaType} is not supported; send application/json`,
            { status: 415 },
          );
        }
      }
      if (o.readBody === 'json' && text.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined; // the handler names the JSON error in its own terms
        }
        const illFormed = findIllFormedString(parsed);
        if (illFormed !== undefined)
          throw new ValidationError(
            `${prefix}_BODY_INVALID`,
            `body.${illFormed}: is not well-formed Unicode (a lone surrogate)`,
            { details: { field: illFormed } },
          );
      }
      if (o.body) {
        let raw: unknown = {};
        if (text.trim() !== '') {
          try {
            raw = JSON.parse(text);
          } catch {
            throw new ValidationError(`${prefix}_BODY_INVALID`, 'body: must be JSON');
          }
        }
        const illFormed = findIllFormedString(raw);
        if (illFormed !== undefined)
          throw new ValidationError(
            `${prefix}_BODY_INVALID`,
            `body.${illFormed}: is not well-formed Unicode (a lone surrogate)`,
            { details: { field: illFormed } },
          );
        const parsed = o.body.safeParse(raw);
        if (!parsed.success) throw validationErrorFrom(`${prefix}_BODY_INVALID`, 'body', parsed.error.issues);
        body = parsed.data;
      }
      const answer = await o.handler({
        request,
        context,
        caller,
        params: params.data,
        query: query.data,
        body,
        text,
        headers,
        durable: () => durablePortFor(context),
        audit,
      });
      return withNoStore(answer);
    } catch (e) {
      const custom = o.renderError && isStagecraftError(e) && e.status < 500 ? o.renderError(e, request) : undefined;
      return custom ? withNoStore(custom) : errorBody(e, context.invocationId, (m, f) => context.error(m, f));
    }
  };
  app.http(name, {
    methods: [...o.methods],
    authLevel: hostAuthLevel(o.auth),
    route: o.route,
    ...(o.durable ? { extraInputs: [df.input.durableClient()] } : {}),
    handler,
  });
}

/** Audit actor of a caller. */
export function actorOf(caller: Caller): { actor: string; via: string } {
  if (caller.identity) return { actor: caller.identity.id, via: caller.identity.via };
  return {
    actor: caller.functionKey ? 'function-key' : 'anonymous',
    via: caller.functionKey ? 'function-key' : 'none',
  };
}
