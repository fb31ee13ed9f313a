/**
 * One interface for every authentication scheme a source uses. A verifier sees the raw bytes and headers, decides,
 * and explains a refusal with a reason that names headers and rules but never a secret or an expected value.
 */
import type { DeliveryRequest } from '../request';

export type VerifyFailureCode =
  | 'INTAKE_SOURCE_NOT_CONFIGURED'
  | 'INTAKE_SIGNATURE_MISSING'
  | 'INTAKE_SIGNATURE_MALFORMED'
  | 'INTAKE_SIGNATURE_INVALID'
  | 'INTAKE_TIMESTAMP_INVALID'
  | 'INTAKE_TIMESTAMP_STALE'
  | 'INTAKE_CREDENTIALS_MISSING'
  | 'INTAKE_CREDENTIALS_INVALID';

export type VerifyResult = { ok: true } | { ok: false; code: VerifyFailureCode; reason: string };

export interface Verifier {
  /** Scheme name for logs and receipts, e.g. `standard-webhooks`, `hmac-hex`, `basic-auth`. */
  readonly scheme: string;
  verify(request: DeliveryRequest, nowMs: number): VerifyResult;
}

export function fail(code: VerifyFailureCode, reason: string): VerifyResult {
  return { ok: false, code, reason };
}

export const OK: VerifyResult = { ok: true };
