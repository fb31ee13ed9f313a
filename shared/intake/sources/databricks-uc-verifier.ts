/**
 * The Unity Catalog relay's signature (integrations/databricks/relay): `X-Stagecraft-Signature: v1=<hex HMAC-SHA256>`
 * over `<X-Stagecraft-Timestamp>.<raw body>`, keyed by the UTF-8 bytes of a secret kept in a Databricks secret scope.
 * Several signatures may be sent (comma or space separated) and several secrets accepted (rotation: the app lists
 * old and new in DATABRICKS_UC_WEBHOOK_SECRETS while the scope is switched). The timestamp (Unix seconds) must be
 * within the tolerance both ways, so a captured delivery cannot be replayed later.
 */
import { anyEqual, hmacSha256 } from '../verifiers/compare';
import { fail, OK, type Verifier, type VerifyResult } from '../verifiers/types';
import type { DeliveryRequest } from '../request';

export const UC_RELAY_HEADERS = {
  signature: 'x-stagecraft-signature',
  timestamp: 'x-stagecraft-timestamp',
  deliveryId: 'x-stagecraft-delivery-id',
} as const;

export class UcRelayVerifier implements Verifier {
  readonly scheme = 'hmac-timestamped';

  constructor(private readonly options: { secrets: readonly string[]; toleranceSeconds: number }) {}

  verify(request: DeliveryRequest, nowMs: number): VerifyResult {
    if (this.options.secrets.length === 0)
      return fail(
        'INTAKE_SOURCE_NOT_CONFIGURED',
        'no relay secret is configured for this source (DATABRICKS_UC_WEBHOOK_SECRETS)',
      );
    const sig = request.headers.get(UC_RELAY_HEADERS.signature);
    const ts = request.headers.get(UC_RELAY_HEADERS.timestamp);
    if (sig === undefined || sig.trim() === '')
      return fail('INTAKE_SIGNATURE_MISSING', 'missing X-Stagecraft-Signature header');
    if (ts === undefined || !/^\d{1,12}$/.test(ts.trim()))
      return fail('INTAKE_TIMESTAMP_INVALID', 'X-Stagecraft-Timestamp must be Unix seconds');
    const age = Math.floor(nowMs / 1000) - Number(ts.trim());
    if (Math.abs(age) > this.options.toleranceSeconds)
      return fail(
        'INTAKE_TIMESTAMP_STALE',
        `X-Stagecraft-Timestamp is ${age}s from now; tolerance is ${this.options.toleranceSeconds}s`,
      );
    const provided: Buffer[] = [];
    for (const part of sig.trim().split(/[\s,]+/)) {
      const m = /^v1=([0-9a-fA-F]{64})$/.exec(part);
      if (m) provided.push(Buffer.from(m[1]!, 'hex'));
    }
    if (provided.length === 0)
      return fail('INTAKE_SIGNATURE_MALFORMED', 'X-Stagecraft-Signature has no v1=<64 hex digits> signature');
    const expected = this.options.secrets.map((s) => hmacSha256(s, `${ts.trim()}.`, request.rawBody));
    return anyEqual(provided, expected)
      ? OK
      : fail('INTAKE_SIGNATURE_INVALID', 'X-Stagecraft-Signature does not match the body');
  }
}
