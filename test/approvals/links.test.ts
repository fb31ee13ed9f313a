import { describe, expect, it } from 'vitest';
import { approvalLinks, signLink, verifyLink } from '../../shared/approvals/links';
import { isStagecraftError } from '../../shared/errors';

const SECRET = 'link-secret-0123456789abcdef';
const NOW = Date.parse('2026-05-01T10:00:00Z');

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isStagecraftError(e) ? e.code : 'not-a-stagecraft-error';
  }
}

describe('one-click approval links', () => {
  it('round-trips the approval, approver, verdict and a nonce', () => {
    const t = signLink({ a: 'apr-1', u: 'alice@contoso.com', d: 'approve', e: NOW / 1000 + 60 }, SECRET);
    const c = verifyLink(t, [SECRET], NOW);
    expect(c).toMatchObject({ a: 'apr-1', u: 'alice@contoso.com', d: 'approve' });
    expect(c.n).toMatch(/^[A-Za-z0-9_-]{8,}$/);
  });

  it('gives every link its own nonce, so single use can be enforced per link', () => {
    const a = verifyLink(signLink({ a: 'x', u: 'bob', d: 'reject', e: NOW / 1000 + 60 }, SECRET), [SECRET], NOW);
    const b = verifyLink(signLink({ a: 'x', u: 'bob', d: 'reject', e: NOW / 1000 + 60 }, SECRET), [SECRET], NOW);
    expect(a.n).not.toBe(b.n);
  });

  it('refuses a token whose claims were changed (approve turned into reject)', () => {
    const t = signLink({ a: 'apr-1', u: 'alice', d: 'approve', e: NOW / 1000 + 60 }, SECRET);
    const [body, sig] = t.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, d: 'reject' })).toString('base64url')}.${sig}`;
    expect(code(() => verifyLink(forged, [SECRET], NOW))).toBe('APPROVAL_LINK_INVALID');
  });

  it('refuses a token signed with a key that is not configured, and accepts rotated keys', () => {
    const t = signLink({ a: 'apr-1', u: 'alice', d: 'approve', e: NOW / 1000 + 60 }, 'another-secret-0123456789');
    expect(code(() => verifyLink(t, [SECRET], NOW))).toBe('APPROVAL_LINK_INVALID');
    expect(verifyLink(t, [SECRET, 'another-secret-0123456789'], NOW).u).toBe('alice');
  });

  it('refuses an expired token with 410 and says when it expired', () => {
    const t = signLink({ a: 'apr-1', u: 'alice', d: 'approve', e: NOW / 1000 }, SECRET);
    let err: unknown;
    try {
      verifyLink(t, [SECRET], NOW);
    } catch (e) {
      err = e;
    }
    expect(isStagecraftError(err) && err.code).toBe('APPROVAL_LINK_EXPIRED');
    expect(isStagecraftError(err) && err.status).toBe(410);
  });

  it('refuses garbage without throwing anything but a typed error', () => {
    for (const t of ['', 'abc', 'a.b.c', '.x', '%%%.%%%'])
      expect(code(() => verifyLink(t, [SECRET], NOW))).toBe('APPROVAL_LINK_INVALID');
    expect(code(() => verifyLink('a.b', [], NOW))).toBe('APPROVAL_LINKS_DISABLED');
  });

  it('caps link expiry at the request deadline', () => {
    const [l] = approvalLinks({
      approvalId: 'apr-1',
      approvers: ['alice'],
      baseUrl: 'https://x.example',
      secret: SECRET,
      nowMs: NOW,
      ttlMs: 86_400_000,
      deadlineMs: NOW + 60_000,
    });
    expect(l!.expiresAt).toBe(new Date(NOW + 60_000).toISOString());
    expect(l!.approve).toMatch(/^https:\/\/x\.example\/api\/approvals\/apr-1\/link\?t=/);
    const token = new URL(l!.reject).searchParams.get('t')!;
    expect(verifyLink(token, [SECRET], NOW).d).toBe('reject');
  });
});
