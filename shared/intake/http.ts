/**
 * The one mapping from intake results and errors to HTTP answers, shared by every intake HTTP function.
 * Structural types only (no @azure/functions import), so the same handler runs under Azure, the local host and
 * plain node:http benches. The returned object is a valid `HttpResponseInit`.
 */
import { randomUUID } from 'node:crypto';
import { errorToHttpResponse, type HttpRequestLike, type HttpResponseLike, type LogContextLike } from './http-types';
import type { IntakeLogger } from './ports';
import { handleDelivery, type IntakeDeps, type IntakeResult } from './service';
import { SOURCES, type IntakeSource, type SourceName } from './sources';

export { errorToHttpResponse, type HttpRequestLike, type HttpResponseLike, type LogContextLike } from './http-types';

/**
 * Reads at most `limit` bytes of the body. Past the limit it stops and cancels the stream (the rest is never
 * read or buffered) and reports the bytes seen so far, which exceed the limit.
 */
export async function readBodyCapped(
  request: HttpRequestLike,
  limit: number,
): Promise<{ body: Buffer } | { tooLarge: number }> {
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

export function toHttpResponse(result: IntakeResult): HttpResponseLike {
  return {
    status: result.httpStatus,
    jsonBody: result.body,
    headers: { 'content-type': 'application/json; charset=utf-8', ...(result.headers ?? {}) },
  };
}

function contextLogger(context: LogContextLike | undefined): IntakeLogger {
  const emit = (
    fn: ((...args: unknown[]) => void) | undefined,
    message: string,
    fields: Record<string, unknown>,
  ): void => {
    fn?.(JSON.stringify({ msg: message, invocationId: context?.invocationId, ...fields }));
  };
  return {
    info: (m, f) => emit(context?.log?.bind(context), m, f),
    warn: (m, f) => emit(context?.warn?.bind(context), m, f),
    error: (m, f) => emit(context?.error?.bind(context), m, f),
  };
}

/**
 * An HTTP handler for one source (a name of the list, or a source object). The body is read as raw bytes
 * (signatures cover exact bytes); a declared Content-Length above the limit is refused without reading the body, and
 * a body without one (chunked) is read only up to the limit (413 as soon as it passes it). A source's `http.step`
 * (OPTIONS handshake, per-type keys) runs around that standard path.
 */
export function intakeHttpHandler(source: SourceName | IntakeSource, getDeps: () => IntakeDeps | Promise<IntakeDeps>) {
  const spec = typeof source === 'string' ? SOURCES[source] : source;
  const name = spec.name;
  return async (request: HttpRequestLike, context?: LogContextLike): Promise<HttpResponseLike> => {
    let deps: IntakeDeps;
    try {
      deps = await getDeps();
    } catch (e) {
      const correlationId = context?.invocationId ?? randomUUID();
      context?.error?.(
        JSON.stringify({
          msg: 'intake dependencies unavailable',
          source: name,
          correlationId,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
      return errorToHttpResponse(e, correlationId);
    }
    const deliver = (req: HttpRequestLike): Promise<HttpResponseLike> => deliverHttp(spec, req, context, deps);
    return spec.http.step ? spec.http.step(request, context, deliver, deps) : deliver(request);
  };
}

async function deliverHttp(
  source: IntakeSource,
  request: HttpRequestLike,
  context: LogContextLike | undefined,
  deps: IntakeDeps,
): Promise<HttpResponseLike> {
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
      context?.warn?.(
        JSON.stringify({
          msg: 'intake body unreadable',
          source: source.name,
          correlationId,
          error: e instanceof Error ? e.message : String(e),
        }),
      );
      return {
        status: 400,
        jsonBody: {
          status: 'rejected',
          code: 'INTAKE_BODY_UNREADABLE',
          message: 'the request body could not be read to its end',
          correlationId,
        },
        headers: { 'content-type': 'application/json; charset=utf-8' },
      };
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
}
