import { type z } from 'zod';
import { StagecraftError } from '../../errors';
import { type AuthProvider, noAuth } from './auth';
import { type RemoteCall, networkError, remoteError, timeoutError } from './errors';
import { inSpan, SpanKind, traceProperties } from '../../telemetry/trace';
import { DEFAULT_RETRY, type RetryOptions, abortableSleep, backoffDelay, parseRetryAfter } from './retry';

/**
 * One JSON-over-HTTP client for every REST adapter (MLflow, Databricks): auth, per-attempt timeout,
 * retries, typed errors, response validation.
 *
 * Retry invariants:
 * - 429 and 503 are retried for every method (the server did not process the request), sleeping
 *   Retry-After when given (a Retry-After above `maxRetryAfterMs` is not slept on: the call fails
 *   retryable with `details.retryAfterMs`, so a durable caller can wait with a timer instead).
 * - Other 5xx, timeouts and network errors are retried only for idempotent requests (GET/DELETE by
 *   default; POSTs when the caller says so, e.g. set-to-value calls or runs with an idempotency token).
 * - A 401 with a refreshable credential (Entra) is retried once with a fresh token.
 * - Everything else fails at once with a typed error (see errors.ts).
 * Logs carry method, path (no query), status, attempt and delay; never headers, tokens or bodies.
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type SleepLike = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RestLogEvent {
  level: 'debug' | 'warning';
  msg: string;
  service: string;
  method: string;
  path: string;
  status?: number;
  errorCode?: string;
  attempt: number;
  delayMs?: number;
}

export interface RestClientOptions {
  service: string;
  baseUrl: string;
  auth?: AuthProvider;
  fetch?: FetchLike;
  sleep?: SleepLike;
  random?: () => number;
  now?: () => number;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
  userAgent?: string;
  log?: (e: RestLogEvent) => void;
}

export interface RestRequest<T> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: unknown;
  /** Safe to repeat after an ambiguous failure (5xx, timeout). Default: true for GET/PUT/DELETE. */
  idempotent?: boolean;
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class RestClient {
  readonly service: string;
  readonly baseUrl: string;
  private readonly auth: AuthProvider;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: SleepLike;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly retry: Required<RetryOptions>;
  private readonly userAgent: string;
  private readonly log: (e: RestLogEvent) => void;

  constructor(o: RestClientOptions) {
    this.service = o.service;
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.auth = o.auth ?? noAuth;
    this.fetchImpl = o.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = o.sleep ?? abortableSleep;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.userAgent = o.userAgent ?? 'stagecraft/0.1';
    this.log = o.log ?? (() => undefined);
  }

  url(path: string, query?: RestRequest<unknown>['query']): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v as readonly string[]) u.searchParams.append(k, item);
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async request<T = unknown>(req: RestRequest<T>): Promise<T> {
    const text = await this.exchange(req, 'application/json');
    return this.validate({ service: this.service, method: req.method, path: req.path }, parseBody(text), req.schema);
  }

  /** Same auth, retries and typed errors, for endpoints that answer a file (artifact downloads). */
  async requestText(req: Omit<RestRequest<never>, 'schema'>): Promise<string> {
    return this.exchange(req, '*/*');
  }

  // Tracing: one client span per logical call (retries included); the `traceparent` header carries it.
  private exchange(req: Omit<RestRequest<unknown>, 'schema'>, accept: string): Promise<string> {
    return inSpan(
      `${this.service} ${req.method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.path,
          'server.address': new URL(this.baseUrl).host,
          'stagecraft.service': this.service,
        },
      },
      () => this.exchangeAttempts(req, accept),
    );
  }

  private async exchangeAttempts(req: Omit<RestRequest<unknown>, 'schema'>, accept: string): Promise<string> {
    const call: RemoteCall = { service: this.service, method: req.method, path: req.path };
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const url = this.url(req.path, req.query);
    let reauthorized = false;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.retry.maxAttempts;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        const headers: Record<string, string> = { accept, 'user-agent': this.userAgent };
        const tp = traceProperties()['traceparent'];
        if (tp) headers['traceparent'] = tp;
        const authorization = await this.auth.header(signal);
        if (authorization) headers.authorization = authorization;
        if (req.body !== undefined) headers['content-type'] = 'application/json';
        res = await this.fetchImpl(url, {
          method: req.method,
          headers,
          body: req.body === undefined ? null : JSON.stringify(req.body),
          signal,
        });
        text = await res.text();
      } catch (e) {
        if (req.signal?.aborted) throw e;
        const timedOut = timeout.aborted;
        if (!idempotent || last)
          throw timedOut ? timeoutError(call, timeoutMs, attempt) : networkError(call, e, attempt);
        const delayMs = backoffDelay(attempt, this.retry, this.random);
        this.log({
          level: 'warning',
          msg: timedOut ? 'request timed out; retrying' : 'request failed; retrying',
          ...call,
          attempt,
          delayMs,
        });
        await this.sleep(delayMs, req.signal);
        continue;
      }
      if (res.ok) return text;
      const body = parseBody(text);

      const error = remoteError(call, res.status, body, { attempts: attempt });
      const errorCode = typeof error.details?.errorCode === 'string' ? error.details.errorCode : undefined;
      if (res.status === 401 && !reauthorized && this.auth.invalidate) {
        reauthorized = true;
        this.auth.invalidate();
        this.log({ level: 'warning', msg: 'unauthorized; retrying with a fresh token', ...call, status: 401, attempt });
        continue;
      }
      const throttled = res.status === 429 || res.status === 503;
      const retryable = throttled || (idempotent && error.retryable);
      if (!retryable || last) throw error;
      const retryAfterMs = throttled ? parseRetryAfter(res.headers.get('retry-after'), this.now()) : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) {
        throw remoteError(call, res.status, body, { attempts: attempt, retryAfterMs });
      }
      const delayMs = retryAfterMs ?? backoffDelay(attempt, this.retry, this.random);
      this.log({
        level: 'warning',
        msg: 'retryable answer; retrying',
        ...call,
        status: res.status,
        ...(errorCode ? { errorCode } : {}),
        attempt,
        delayMs,
      });
      await this.sleep(delayMs, req.signal);
    }
  }

  private validate<T>(call: RemoteCall, body: unknown, schema: z.ZodType<T> | undefined): T {
    if (!schema) return body as T;
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const first = r.error.issues[0];
    throw new StagecraftError(
      `${call.service.toUpperCase()}_BAD_RESPONSE`,
      `${call.service} ${call.method} ${call.path}: unexpected response shape at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`,
      {
        status: 502,
        retryable: false,
        details: { ...call },
      },
    );
  }
}

function parseBody(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 200) };
  }
}
