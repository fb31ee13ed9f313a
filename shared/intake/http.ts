/**
 * The one mapping from intake results and errors to HTTP answers, shared by every intake HTTP function.
 * Structural types only (no @azure/functions import), so the same handler runs under Azure, the local host and
 * plain node:http benches. The returned object is a valid `HttpResponseInit`.
 */
import { randomUUID } from 'node:crypto';
import { isStagecraftError } from '../errors';
import type { IntakeLogger } from './ports';
import { handleDelivery, type IntakeDeps, type IntakeResult } from './service';
import type { SourceName } from './sources';

export interface HttpRequestLike {
  headers: Iterable<[string, string]>;
  query: URLSearchParams;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface HttpResponseLike {
  status: number;
  jsonBody: unknown;
  headers: Record<string, string>;
}

/** Minimal slice of InvocationContext used for logs. */
export interface LogContextLike {
  invocationId?: string;
  log?: (...args: unknown[]) => void;
  warn?: (...args: unknown[]) => void;
  error?: (...args: unknown[]) => void;
}

export function toHttpResponse(result: IntakeResult): HttpResponseLike {
  return { status: result.httpStatus, jsonBody: result.body, headers: { 'content-type': 'application/json; charset=utf-8', ...(result.headers ?? {}) } };
}

/**
 * Errors that escape the intake service (config missing, dependency construction): stable code, no stack, no
 * secret. 4xx bodies carry the error's message and details; 5xx bodies only the code and a correlation id, so an
 * anonymous caller learns nothing about the deployment (the full message is logged under that id).
 */
export function errorToHttpResponse(e: unknown, correlationId: string): HttpResponseLike {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (isStagecraftError(e)) {
    if (e.retryable) headers['retry-after'] = '5';
    if (e.status < 500) return { status: e.status, jsonBody: { status: 'rejected', ...e.toJSON(), correlationId }, headers };
    return { status: e.status, jsonBody: { status: 'failed', code: e.code, message: 'server error; see logs with this correlationId', correlationId }, headers };
  }
  return { status: 500, jsonBody: { status: 'failed', code: 'INTERNAL', message: 'server error; see logs with this correlationId', correlationId }, headers };
}

function contextLogger(context: LogContextLike | undefined): IntakeLogger {
  const emit = (fn: ((...args: unknown[]) => void) | undefined, message: string, fields: Record<string, unknown>): void => {
    fn?.(JSON.stringify({ msg: message, invocationId: context?.invocationId, ...fields }));
  };
  return {
    info: (m, f) => emit(context?.log?.bind(context), m, f),
    warn: (m, f) => emit(context?.warn?.bind(context), m, f),
    error: (m, f) => emit(context?.error?.bind(context), m, f),
  };
}

/**
 * An HTTP handler for one source. The body is read as raw bytes (signatures cover exact bytes); a declared
 * Content-Length above the limit is refused without reading the body.
 */
export function intakeHttpHandler(source: SourceName, getDeps: () => IntakeDeps | Promise<IntakeDeps>) {
  return async (request: HttpRequestLike, context?: LogContextLike): Promise<HttpResponseLike> => {
    let deps: IntakeDeps;
    try {
      deps = await getDeps();
    } catch (e) {
      const correlationId = context?.invocationId ?? randomUUID();
      context?.error?.(JSON.stringify({ msg: 'intake dependencies unavailable', source, correlationId, error: e instanceof Error ? e.message : String(e) }));
      return errorToHttpResponse(e, correlationId);
    }
    const headers = [...request.headers];
    const declared = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? NaN);
    const tooLarge = Number.isFinite(declared) && declared > deps.config.intake.maxBodyBytes;
    const rawBody = tooLarge ? Buffer.alloc(0) : Buffer.from(await request.arrayBuffer());
    const result = await handleDelivery(
      source,
      { headers, rawBody, query: request.query, ...(tooLarge ? { declaredBytes: declared } : {}) },
      { ...deps, logger: deps.logger ?? contextLogger(context) },
    );
    return toHttpResponse(result);
  };
}
