/**
 * Hex HMAC-SHA256 of the raw body in one header, with an optional prefix:
 * - Databricks registry webhooks: `X-Databricks-Signature: <hex>` (no timestamp, no delivery id);
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>`.
 * Hex is compared case-insensitively by decoding to bytes first.
 */
import { anyEqual, hmacSha256 } from './compare';
import { fail, OK, type Verifier, type VerifyResult } from './types';
import type { DeliveryRequest } from '../request';

export interface HexHmacOptions {
  header: string;
  secrets: readonly string[];
  /** e.g. `sha256=`; the header must start with it. */
  prefix?: string;
}

export class HexHmacVerifier implements Verifier {
  readonly scheme = 'hmac-hex';
  constructor(private readonly options: HexHmacOptions) {}

  verify(request: DeliveryRequest): VerifyResult {
    const { header, secrets, prefix = '' } = this.options;
    if (secrets.length === 0)
      return fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no webhook secret is configured for this source');
    const value = request.headers.get(header.toLowerCase())?.trim();
    if (value === undefined || value === '') return fail('INTAKE_SIGNATURE_MISSING', `missing ${header} header`);
    if (!value.startsWith(prefix)) return fail('INTAKE_SIGNATURE_MALFORMED', `${header} must start with "${prefix}"`);
    const hex = value.slice(prefix.length);
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
      return fail('INTAKE_SIGNATURE_MALFORMED', `${header} must be ${prefix}<64 hex digits>`);
    const expected = secrets.map((s) => hmacSha256(s, request.rawBody));
    return anyEqual([Buffer.from(hex, 'hex')], expected)
      ? OK
      : fail('INTAKE_SIGNATURE_INVALID', `${header} does not match the body`);
  }
}
