/**
 * The structural HTTP shapes the intake answers with (no @azure/functions import, so the same handlers run under
 * Azure, the local host and plain node:http benches), and the one mapping of escaped errors to an answer.
 */
import { isStagecraftError } from '../errors';

/** The reader side of a WHATWG ReadableStream, structurally (no DOM lib needed). */
interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

export interface HttpRequestLike {
  /** Absent: POST. */
  method?: string;
  headers: Iterable<[string, string]>;
  query: URLSearchParams;
  /** The body as a stream (@azure/functions HttpRequest, fetch Request): read with the size cap, never whole. */
  body?: { getReader(): ByteReader } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface HttpResponseLike {
  status: number;
  jsonBody?: unknown;
  headers: Record<string, string>;
}

/** Minimal slice of InvocationContext used for logs. */
export interface LogContextLike {
  invocationId?: string;
  log?: (...args: unknown[]) => void;
  warn?: (...args: unknown[]) => void;
  error?: (...args: unknown[]) => void;
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
    if (e.status < 500)
      return { status: e.status, jsonBody: { status: 'rejected', ...e.toJSON(), correlationId }, headers };
    return {
      status: e.status,
      jsonBody: {
        status: 'failed',
        code: e.code,
        message: 'server error; see logs with this correlationId',
        correlationId,
      },
      headers,
    };
  }
  return {
    status: 500,
    jsonBody: {
      status: 'failed',
      code: 'INTERNAL',
      message: 'server error; see logs with this correlationId',
      correlationId,
    },
    headers,
  };
}
