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

/** The reader side of a WHATWG ReadableStream, structurally (no DOM lib needed). */
interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

export interface HttpRequestLike {
  headers: Iterable<[string, string]>;
  query: URLSearchParams;
  /** The body as a stream (@azure/functions HttpRequest, fetch Request): read with the size cap, never whole. */
  body?: { getReader(): ByteReader } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Reads at most `limit` bytes of the body. Past the limit it stops and cancels the stream (the rest is never
 * read or buffered) and reports the bytes seen so far, which exceed the limit.
 */
export async function readBodyCapped(request: HttpRequestLike, limit: number): Promise<{ body: Buffer } | { tooLarge: number }> {
  const stream = request.body;
  if (stream === undefined || stream === null) {
    const body = Buffer.from(await request.arrayBuffer());
    return body.length > limit ? { tooLarge: body.length } : { body };
  }
  const reader = stream.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: cancelling a body whose sender stalls may wait for that sender.
      reader.cancel('body exceeds the intake limit').catch(() => undefined);
      return { tooLarge: size };
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return { body: Buffer.concat(chunks, size) };
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
 * Content-Length above the limit is refused without reading the body, and a body without one (chunked) is read
 * only up to the limit (413 as soon as it passes it).
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
    const limit = deps.config.intake.maxBodyBytes;
    const declared = Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? NaN);
    let rawBody: Buffer = Buffer.alloc(0);
    let tooLarge: number | undefined = Number.isFinite(declared) && declared > limit ? declared : undefined;
    if (tooLarge === undefined) {
      let read: Awaited<ReturnType<typeof readBodyCapped>>;
      try {
        read = await readBodyCapped(request, limit);
      } catch (e) {
        // The sender broke the upload off (or sent a malformed chunked body): its fault, never a 5xx.
        const correlationId = context?.invocationId ?? randomUUID();
        context?.warn?.(JSON.stringify({ msg: 'intake body unreadable', source, correlationId, error: e instanceof Error ? e.message : String(e) }));
        return { status: 400, jsonBody: { status: 'rejected', code: 'INTAKE_BODY_UNREADABLE', message: 'the request body could not be read to its end', correlationId }, headers: { 'content-type': 'application/json; charset=utf-8' } };
      }
      if ('tooLarge' in read) tooLarge = read.tooLarge;
      else rawBody = read.body;
    }
    const result = await handleDelivery(
      source,
      { headers, rawBody, query: request.query, ...(tooLarge !== undefined ? { declaredBytes: tooLarge } : {}) },
      { ...deps, logger: deps.logger ?? contextLogger(context) },
    );
    return toHttpResponse(result);
  };
}
