/**
 * HTTP Basic authentication (Azure DevOps service hooks `basicAuthUsername/Password`, Databricks notification
 * destinations `username/password`). User name and password are both compared in constant time.
 */
import { anyEqual, safeEqual } from './compare';
import { fail, OK, type Verifier, type VerifyResult } from './types';
import type { DeliveryRequest } from '../request';

export interface BasicAuthOptions {
  username: string;
  passwords: readonly string[];
}

export class BasicAuthVerifier implements Verifier {
  readonly scheme = 'basic-auth';
  constructor(private readonly options: BasicAuthOptions) {}

  verify(request: DeliveryRequest): VerifyResult {
    if (this.options.passwords.length === 0)
      return fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no basic-auth password is configured for this source');
    const header = request.headers.get('authorization')?.trim();
    if (header === undefined || header === '')
      return fail('INTAKE_CREDENTIALS_MISSING', 'missing Authorization header');
    const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header);
    if (!match?.[1]) return fail('INTAKE_CREDENTIALS_MISSING', 'Authorization header is not Basic credentials');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return fail('INTAKE_CREDENTIALS_MISSING', 'Basic credentials have no user:password form');
    const userOk = safeEqual(decoded.slice(0, colon), this.options.username);
    const passOk = anyEqual(
      [Buffer.from(decoded.slice(colon + 1), 'utf8')],
      this.options.passwords.map((p) => Buffer.from(p, 'utf8')),
    );
    return userOk && passOk ? OK : fail('INTAKE_CREDENTIALS_INVALID', 'Basic credentials do not match');
  }
}
