/**
 * Accepts when any configured verifier accepts (e.g. Azure DevOps: basic auth OR shared header). When all refuse,
 * the reason of the most specific refusal is returned: a wrong credential beats a missing one, which beats
 * "not configured".
 */
import { fail, OK, type Verifier, type VerifyFailureCode, type VerifyResult } from './types';
import type { DeliveryRequest } from '../request';

const RANK: Record<VerifyFailureCode, number> = {
  INTAKE_SOURCE_NOT_CONFIGURED: 0,
  INTAKE_CREDENTIALS_MISSING: 1,
  INTAKE_SIGNATURE_MISSING: 1,
  INTAKE_SIGNATURE_MALFORMED: 2,
  INTAKE_TIMESTAMP_INVALID: 2,
  INTAKE_TIMESTAMP_STALE: 3,
  INTAKE_CREDENTIALS_INVALID: 3,
  INTAKE_SIGNATURE_INVALID: 3,
};

export class AnyOfVerifier implements Verifier {
  readonly scheme: string;
  constructor(private readonly verifiers: readonly Verifier[]) {
    this.scheme = verifiers.map((v) => v.scheme).join('|') || 'none';
  }

  verify(request: DeliveryRequest, nowMs: number): VerifyResult {
    let best: VerifyResult = fail('INTAKE_SOURCE_NOT_CONFIGURED', 'no credentials are configured for this source');
    for (const v of this.verifiers) {
      const r = v.verify(request, nowMs);
      if (r.ok) return OK;
      if (!best.ok && RANK[r.code] > RANK[best.code]) best = r;
    }
    return best;
  }
}
