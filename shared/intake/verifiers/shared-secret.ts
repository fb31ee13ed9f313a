/**
 * A shared secret presented as-is in a header or the query string: Azure DevOps custom header
 * (`httpHeaders: X-Stagecraft-Token:<secret>`), Azure Monitor action groups (plain webhooks send no custom headers,
 * so the key sits in the URL: `?key=<secret>`), drift producers and CloudEvents producers.
 * The Functions key parameter `code` is deliberately not used: it belongs to the platform.
 */
import { anyEqual } from './compare';
import { fail, OK, type Verifier, type VerifyResult } from './types';
import type { DeliveryRequest } from '../request';

export interface SharedSecretOptions {
  secrets: readonly string[];
  /** Header names checked, in order (any case). */
  headers?: readonly string[];
  /** Query parameter names checked, in order. */
  queryParams?: readonly string[];
}

export class SharedSecretVerifier implements Verifier {
  readonly scheme = 'shared-secret';
  constructor(private readonly options: SharedSecretOptions) {}

  verify(request: DeliveryRequest): VerifyResult {
    const { secrets, headers = [], queryParams = [] } = this.options;
    if (secrets.length === 0) return fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no key is configured for this source');
    const presented: Buffer[] = [];
    for (const h of headers) {
      const v = request.headers.get(h.toLowerCase());
      if (v !== undefined && v !== '') presented.push(Buffer.from(v.trim(), 'utf8'));
    }
    for (const q of queryParams) {
      const v = request.query.get(q);
      if (v !== undefined && v !== '') presented.push(Buffer.from(v, 'utf8'));
    }
    const where = [...headers.map((h) => `${h} header`), ...queryParams.map((q) => `"${q}" query parameter`)].join(
      ' or ',
    );
    if (presented.length === 0) return fail('INTAKE_CREDENTIALS_MISSING', `missing key (${where})`);
    return anyEqual(
      presented,
      secrets.map((s) => Buffer.from(s, 'utf8')),
    )
      ? OK
      : fail('INTAKE_CREDENTIALS_INVALID', 'key does not match');
  }
}
