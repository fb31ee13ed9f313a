/** Error → HTTP answer for the runs/retrain/schedules functions: stable code, no stack, no secret; 500 only for bugs. */
import { ValidationError, isStagecraftError } from '../errors';

export interface JsonAnswer {
  status: number;
  jsonBody: unknown;
  headers?: Record<string, string>;
}

export function errorAnswer(
  e: unknown,
  correlationId: string,
  log?: (msg: string, fields: Record<string, unknown>) => void,
): JsonAnswer {
  if (isStagecraftError(e)) {
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (e.retryable) headers['retry-after'] = '5';
    return { status: e.status, jsonBody: { ...e.toJSON(), correlationId }, headers };
  }
  log?.('unexpected error', { correlationId, error: e instanceof Error ? e.message : String(e) });
  return {
    status: 500,
    jsonBody: { code: 'INTERNAL', message: 'internal error; see logs with this correlationId', correlationId },
    headers: { 'cache-control': 'no-store' },
  };
}

export function readJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('BODY_NOT_JSON', 'request body must be JSON');
  }
}
