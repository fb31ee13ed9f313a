/**
 * One-click approval links: `<base>/api/approvals/{id}/link?t=<token>`.
 *
 * Token = base64url(JSON claims) + '.' + base64url(HMAC-SHA256(secret, that first part)).
 * Invariants:
 * - A token names one approval, one approver and one verdict; it grants nothing else.
 * - Verification compares MACs in constant time against every configured secret (rotation) and checks expiry
 *   against the caller's clock; `nonce` makes each link unique so the store can enforce single use.
 * - Errors never echo the token or a secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { anySecretMatches } from '../crypto/constant-time';
import { z } from 'zod';
import { AuthError } from '../errors';

export const LinkClaims = z.strictObject({
  /** approval id */
  a: z.string().min(1).max(200),
  /** approver */
  u: z.string().min(1).max(320),
  /** verdict */
  d: z.enum(['approve', 'reject']),
  /** expiry, epoch seconds */
  e: z.int().positive(),
  /** nonce (single use) */
  n: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
});
export type LinkClaims = z.output<typeof LinkClaims>;

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest();
}

export function signLink(claims: Omit<LinkClaims, 'n'> & { n?: string }, secret: string): string {
  const full: LinkClaims = LinkClaims.parse({ ...claims, n: claims.n ?? randomBytes(12).toString('base64url') });
  const body = Buffer.from(JSON.stringify(full), 'utf8').toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/**
 * @throws AuthError `APPROVAL_LINK_INVALID` (malformed or wrong signature) or `APPROVAL_LINK_EXPIRED`.
 */
export function verifyLink(token: string, secrets: readonly string[], nowMs: number): LinkClaims {
  const invalid = () =>
    new AuthError(
      'APPROVAL_LINK_INVALID',
      'the approval link is invalid (damaged, or signed with a key that is no longer configured)',
    );
  if (secrets.length === 0)
    throw new AuthError('APPROVAL_LINKS_DISABLED', 'one-click approval links are not enabled on this deployment', {
      status: 404,
    });
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || token.length > 2048) throw invalid();
  const [body, sig] = parts as [string, string];
  const presented = Buffer.from(sig, 'base64url');
  if (
    !anySecretMatches(
      presented,
      secrets.map((s) => mac(s, body)),
    )
  )
    throw invalid();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = LinkClaims.safeParse(json);
  if (!parsed.success) throw invalid();
  if (parsed.data.e * 1000 <= nowMs) {
    throw new AuthError(
      'APPROVAL_LINK_EXPIRED',
      `the approval link expired at ${new Date(parsed.data.e * 1000).toISOString()}; decide through the approvals API instead`,
      { status: 410 },
    );
  }
  return parsed.data;
}

export interface DecisionLinks {
  approver: string;
  approve: string;
  reject: string;
  expiresAt: string;
}

/** Links for each named approver; expiry is min(now + ttl, deadline). */
export function approvalLinks(input: {
  approvalId: string;
  approvers: readonly string[];
  baseUrl: string;
  secret: string;
  nowMs: number;
  ttlMs: number;
  deadlineMs?: number;
}): DecisionLinks[] {
  const expMs = Math.min(input.nowMs + input.ttlMs, input.deadlineMs ?? Number.POSITIVE_INFINITY);
  const e = Math.max(1, Math.floor(expMs / 1000));
  const url = (token: string) =>
    `${input.baseUrl}/api/approvals/${encodeURIComponent(input.approvalId)}/link?t=${token}`;
  return input.approvers.map((u) => ({
    approver: u,
    approve: url(signLink({ a: input.approvalId, u, d: 'approve', e }, input.secret)),
    reject: url(signLink({ a: input.approvalId, u, d: 'reject', e }, input.secret)),
    expiresAt: new Date(e * 1000).toISOString(),
  }));
}
