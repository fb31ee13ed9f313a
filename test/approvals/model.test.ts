import { describe, expect, it } from 'vitest';
import type { ApprovalRules } from '../../shared/decisions/approval';
import { applyDeadline, applyDecision, newRequest, type ApprovalRequest } from '../../shared/approvals/model';
import { recipientLinks } from '../../shared/approvals/notice';
import { approvalSettings } from '../../shared/approvals/settings';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const rules: ApprovalRules = {
  approvers: { users: ['alice@contoso.com', 'bob@contoso.com'], groups: ['ml-approvers'] },
  minApprovals: 2,
  excludeAuthor: true,
  excludeTrigger: false,
  escalation: [{ after: '10s', addApprovers: { users: ['carol@contoso.com'] } }],
  deadline: '30s',
  onDeadline: 'reject',
};

function request(r: ApprovalRules = rules): ApprovalRequest {
  return newRequest(
    {
      approvalId: 'apr-1',
      instanceId: 'promotion:m:1',
      eventName: 'ApprovalDecision',
      model: 'm',
      version: '1',
      rules: r,
      author: 'dave@contoso.com',
    },
    T0,
  );
}

const as = (id: string, groups: string[] = []) => ({ id, groups });

describe('approval request state machine', () => {
  it('starts pending with a deadline, or approved at once when approval is not required', () => {
    const r = request();
    expect(r.status).toBe('pending');
    expect(r.deadlineAt).toBe(new Date(T0 + 30_000).toISOString());
    const auto = request({ ...rules, required: false });
    expect(auto).toMatchObject({ status: 'approved', reason: 'not-required' });
  });

  it('approves when minApprovals distinct approvers approve, and records who, when and the comment', () => {
    const one = applyDecision(request(), {
      actor: as('alice@contoso.com'),
      verdict: 'approve',
      at: T0 + 1000,
      comment: 'looks good',
    });
    expect(one.kind).toBe('accepted');
    const r1 = one.kind === 'accepted' ? one.next : request();
    expect(r1.status).toBe('pending');
    const two = applyDecision(r1, { actor: as('someone', ['ml-approvers']), verdict: 'approve', at: T0 + 2000 });
    expect(two.kind === 'accepted' && two.next).toMatchObject({
      status: 'approved',
      reason: 'quorum',
      closedAt: new Date(T0 + 2000).toISOString(),
    });
    expect(two.kind === 'accepted' && two.next.votes.map((v) => v.approver)).toEqual(['alice@contoso.com', 'someone']);
    expect(r1.votes[0]!.comment).toBe('looks good');
  });

  it('rejects on the first accepted rejection', () => {
    const out = applyDecision(request(), { actor: as('bob@contoso.com'), verdict: 'reject', at: T0 + 1000 });
    expect(out.kind === 'accepted' && out.next).toMatchObject({ status: 'rejected', reason: 'rejected' });
  });

  it("refuses the model's author even when listed as an approver", () => {
    const out = applyDecision(request({ ...rules, approvers: { users: ['dave@contoso.com'] }, minApprovals: 1 }), {
      actor: as('Dave@Contoso.com'),
      verdict: 'approve',
      at: T0 + 1000,
    });
    expect(out.kind === 'refused' && out.result.reason).toBe('AUTHOR_EXCLUDED');
  });

  it('refuses someone who is not an approver, and an escalation approver before the escalation', () => {
    expect(applyDecision(request(), { actor: as('mallory'), verdict: 'approve', at: T0 + 1000 })).toMatchObject({
      kind: 'refused',
      result: { reason: 'NOT_AN_APPROVER' },
    });
    expect(
      applyDecision(request(), { actor: as('carol@contoso.com'), verdict: 'approve', at: T0 + 5_000 }),
    ).toMatchObject({ kind: 'refused', result: { reason: 'NOT_AN_APPROVER' } });
    expect(applyDecision(request(), { actor: as('carol@contoso.com'), verdict: 'approve', at: T0 + 10_000 }).kind).toBe(
      'accepted',
    );
  });

  it('lets the approvers of an escalation step the orchestration recorded as fired decide before its delay', () => {
    const fired: ApprovalRequest = { ...request(), escalations: [0] };
    expect(applyDecision(fired, { actor: as('carol@contoso.com'), verdict: 'approve', at: T0 + 5_000 }).kind).toBe(
      'accepted',
    );
    // an index that names no step grants nothing
    expect(
      applyDecision(
        { ...request(), escalations: [1] },
        { actor: as('carol@contoso.com'), verdict: 'approve', at: T0 + 5_000 },
      ),
    ).toMatchObject({ kind: 'refused', result: { reason: 'NOT_AN_APPROVER' } });
  });

  it("sends links to a fired step's approvers (and only once it fired or its delay elapsed)", () => {
    const settings = approvalSettings({
      STAGECRAFT_APPROVAL_LINK_SECRETS: 'link-secret-0123456789abcdef',
      STAGECRAFT_PUBLIC_URL: 'https://x.example',
    });
    const to = (r: ApprovalRequest, at: number) => recipientLinks(r, settings, at).map((l) => l.approver);
    expect(to(request(), T0 + 5_000)).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(to({ ...request(), escalations: [0] }, T0 + 5_000)).toEqual([
      'alice@contoso.com',
      'bob@contoso.com',
      'carol@contoso.com',
    ]);
    expect(to(request(), T0 + 10_000)).toContain('carol@contoso.com');
    expect(to({ ...request(), escalations: [7] }, T0 + 5_000)).not.toContain('carol@contoso.com');
  });

  it('treats the same vote twice as an idempotent repeat and a changed vote as a duplicate', () => {
    const first = applyDecision(request(), { actor: as('alice@contoso.com'), verdict: 'approve', at: T0 + 1000 });
    const r1 = first.kind === 'accepted' ? first.next : request();
    expect(applyDecision(r1, { actor: as('ALICE@contoso.com'), verdict: 'approve', at: T0 + 2000 })).toMatchObject({
      kind: 'refused',
      result: { reason: 'DUPLICATE_VOTE', sameAsBefore: true },
    });
    expect(applyDecision(r1, { actor: as('alice@contoso.com'), verdict: 'reject', at: T0 + 2000 })).toMatchObject({
      kind: 'refused',
      result: { reason: 'DUPLICATE_VOTE', sameAsBefore: false },
    });
  });

  it('settles a decision racing the deadline by time: at the deadline instant the deadline wins', () => {
    const atDeadline = applyDecision(request(), { actor: as('bob@contoso.com'), verdict: 'reject', at: T0 + 30_000 });
    expect(atDeadline).toMatchObject({ kind: 'refused', result: { reason: 'DEADLINE_PASSED' } });
    const expired = applyDeadline(request(), T0 + 30_000);
    expect(expired).toMatchObject({ changed: true, next: { status: 'expired', reason: 'deadline' } });
    expect(applyDecision(expired.next, { actor: as('bob@contoso.com'), verdict: 'approve', at: T0 + 1 })).toMatchObject(
      { kind: 'refused', result: { reason: 'REQUEST_CLOSED' } },
    );
  });

  it('leaves the request alone before the deadline and once settled; onDeadline approve approves', () => {
    expect(applyDeadline(request(), T0 + 29_999).changed).toBe(false);
    const rejected = applyDecision(request(), { actor: as('bob@contoso.com'), verdict: 'reject', at: T0 + 1 });
    expect(applyDeadline(rejected.kind === 'accepted' ? rejected.next : request(), T0 + 60_000).changed).toBe(false);
    expect(applyDeadline(request({ ...rules, onDeadline: 'approve' }), T0 + 30_000).next).toMatchObject({
      status: 'approved',
      reason: 'deadline',
    });
  });
});
