/**
 * Standard Webhooks scheme as MLflow 3.x sends it: `X-MLflow-Signature: v1,<base64 HMAC-SHA256>` over
 * `<delivery id>.<timestamp>.<raw body>`, keyed by the UTF-8 bytes of the raw secret (MLflow does not use the
 * `whsec_` base64 form). The header may carry several space-separated signatures (`v1,a v1,b`); one match suffices.
 * Several active secrets are accepted for rotation. The timestamp (Unix seconds) must be within the tolerance,
 * both ways: a delivery from the future beyond the tolerance is refused like a stale one.
 */
import { anyEqual, hmacSha256 } from './compare';
import { fail, OK, type Verifier, type VerifyResult } from './types';
import type { DeliveryRequest } from '../request';

export interface StandardWebhooksOptions {
  secrets: readonly string[];
  toleranceSeconds: number;
  /** Header names (any case). Defaults are MLflow's. */
  idHeader?: string;
  timestampHeader?: string;
  signatureHeader?: string;
}

export class StandardWebhooksVerifier implements Verifier {
  readonly scheme = 'standard-webhooks';
  private readonly idHeader: string;
  private readonly timestampHeader: string;
  private readonly signatureHeader: string;

  constructor(private readonly options: StandardWebhooksOptions) {
    this.idHeader = options.idHeader ?? 'X-MLflow-Delivery-Id';
    this.timestampHeader = options.timestampHeader ?? 'X-MLflow-Timestamp';
    this.signatureHeader = options.signatureHeader ?? 'X-MLflow-Signature';
  }

  verify(request: DeliveryRequest, nowMs: number): VerifyResult {
    if (this.options.secrets.length === 0)
      return fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no webhook secret is configured for this source');
    const id = request.headers.get(this.idHeader.toLowerCase());
    const ts = request.headers.get(this.timestampHeader.toLowerCase());
    const sig = request.headers.get(this.signatureHeader.toLowerCase());
    if (sig === undefined || sig.trim() === '')
      return fail('INTAKE_SIGNATURE_MISSING', `missing ${this.signatureHeader} header`);
    if (id === undefined || id.trim() === '')
      return fail('INTAKE_SIGNATURE_MISSING', `missing ${this.idHeader} header`);
    if (ts === undefined || !/^\d{1,12}$/.test(ts.trim()))
      return fail('INTAKE_TIMESTAMP_INVALID', `${this.timestampHeader} must be Unix seconds`);
    const age = Math.floor(nowMs / 1000) - Number(ts.trim());
    if (Math.abs(age) > this.options.toleranceSeconds) {
      return fail(
        'INTAKE_TIMESTAMP_STALE',
        `${this.timestampHeader} is ${age}s from now; tolerance is ${this.options.toleranceSeconds}s`,
      );
    }
    const provided: Buffer[] = [];
    for (const part of sig.trim().split(/\s+/)) {
      const comma = part.indexOf(',');
      if (comma < 0) continue;
      if (part.slice(0, comma) !== 'v1') continue;
      const b64 = part.slice(comma + 1);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
      provided.push(Buffer.from(b64, 'base64'));
    }
    if (provided.length === 0)
      return fail('INTAKE_SIGNATURE_MALFORMED', `${this.signatureHeader} has no v1,<base64> signature`);
    const expected = this.options.secrets.map((s) => hmacSha256(s, `${id.trim()}.${ts.trim()}.`, request.rawBody));
    return anyEqual(provided, expected)
      ? OK
      : fail('INTAKE_SIGNATURE_INVALID', `${this.signatureHeader} does not match the body`);
  }
}
