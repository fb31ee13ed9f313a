import {
  AuthError,
  ConflictError,
  NotFoundError,
  StagecraftError,
  TransientError,
  ValidationError,
} from '../../errors';

/**
 * Errors from remote REST services (MLflow, Databricks), typed by their `error_code` first and HTTP status
 * second (a gateway in front may answer without an MLflow body). Every error carries
 * `details: { service, errorCode, httpStatus, method, path }` and a code `<SERVICE>_<ERROR_CODE>`, e.g.
 * `MLFLOW_RESOURCE_DOES_NOT_EXIST`, `DATABRICKS_INVALID_PARAMETER_VALUE`, `MLFLOW_HTTP_502`.
 * Messages are the service's own (they name the missing model or the bad parameter); bodies and headers
 * are never copied into details, so no secret can leak through an error.
 */
export interface RemoteCall {
  service: string;
  method: string;
  /** Path without the query string. */
  path: string;
}

export interface RemoteErrorDetails extends RemoteCall {
  errorCode: string | undefined;
  httpStatus: number | undefined;
  retryAfterMs?: number;
  attempts?: number;
}

const NOT_FOUND = new Set(['RESOURCE_DOES_NOT_EXIST', 'NOT_FOUND', 'ENDPOINT_NOT_FOUND', 'FEATURE_DISABLED']);
const INVALID = new Set(['INVALID_PARAMETER_VALUE', 'BAD_REQUEST', 'MALFORMED_REQUEST', 'INVALID_REQUEST']);
const CONFLICT = new Set([
  'RESOURCE_ALREADY_EXISTS',
  'ALREADY_EXISTS',
  'RESOURCE_CONFLICT',
  'ABORTED',
  'INVALID_STATE',
]);
const UNAUTHENTICATED = new Set(['UNAUTHENTICATED', 'CUSTOMER_UNAUTHORIZED']);
const FORBIDDEN = new Set(['PERMISSION_DENIED']);
const TRANSIENT = new Set([
  'REQUEST_LIMIT_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'TEMPORARILY_UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'INTERNAL_ERROR',
  'DATA_LOSS',
]);

export function remoteError(
  call: RemoteCall,
  httpStatus: number,
  body: unknown,
  extra: { retryAfterMs?: number; attempts?: number } = {},
): StagecraftError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const errorCode = typeof b.error_code === 'string' && b.error_code ? b.error_code : undefined;
  const remoteMessage = typeof b.message === 'string' && b.message ? b.message : `HTTP ${httpStatus}`;
  const service = call.service.toUpperCase();
  const code = `${service}_${errorCode ?? `HTTP_${httpStatus}`}`;
  const details: RemoteErrorDetails = { ...call, errorCode, httpStatus, ...extra };
  const message = `${call.service} ${call.method} ${call.path}: ${remoteMessage}`;
  const opts = { details: details as unknown as Record<string, unknown> };
  if (errorCode && NOT_FOUND.has(errorCode)) return new NotFoundError(code, message, opts);
  if (errorCode && INVALID.has(errorCode)) return new ValidationError(code, message, opts);
  if (errorCode && CONFLICT.has(errorCode)) return new ConflictError(code, message, opts);
  if (errorCode && UNAUTHENTICATED.has(errorCode)) return new AuthError(code, message, opts);
  if (errorCode && FORBIDDEN.has(errorCode)) return new AuthError(code, message, { ...opts, status: 403 });
  if (errorCode && TRANSIENT.has(errorCode)) return new TransientError(code, message, opts);
  if (httpStatus === 404) return new NotFoundError(code, message, opts);
  if (httpStatus === 400 || httpStatus === 422) return new ValidationError(code, message, opts);
  if (httpStatus === 401) return new AuthError(code, message, opts);
  if (httpStatus === 403) return new AuthError(code, message, { ...opts, status: 403 });
  if (httpStatus === 409) return new ConflictError(code, message, opts);
  if (httpStatus === 429 || httpStatus >= 500) return new TransientError(code, message, opts);
  return new StagecraftError(code, message, { status: 502, retryable: false, ...opts });
}

/** The request did not get an answer in time (per-attempt timeout), after all retries. */
export function timeoutError(call: RemoteCall, timeoutMs: number, attempts: number): TransientError {
  return new TransientError(
    `${call.service.toUpperCase()}_TIMEOUT`,
    `${call.service} ${call.method} ${call.path}: no answer within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`,
    {
      details: { ...call, errorCode: undefined, httpStatus: undefined, timeoutMs, attempts },
    },
  );
}

/** Connection refused/reset, DNS failure: the request may or may not have reached the service. */
export function networkError(call: RemoteCall, cause: unknown, attempts: number): TransientError {
  const reason =
    cause instanceof Error ? ((cause.cause as { code?: string } | undefined)?.code ?? cause.message) : String(cause);
  return new TransientError(
    `${call.service.toUpperCase()}_UNREACHABLE`,
    `${call.service} ${call.method} ${call.path}: ${reason}`,
    {
      details: { ...call, errorCode: undefined, httpStatus: undefined, attempts },
      cause,
    },
  );
}

/** The service's `error_code` of an error thrown by a REST adapter, if any. */
export function remoteErrorCode(e: unknown): string | undefined {
  if (!(e instanceof StagecraftError)) return undefined;
  const c = e.details?.errorCode;
  return typeof c === 'string' ? c : undefined;
}
