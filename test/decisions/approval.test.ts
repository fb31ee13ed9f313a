import { describe, expect, it } from 'vitest';
import {
  type ApprovalRules,
  type ApprovalState,
  decideApproval,
  deadlineOutcome,
  effectiveApprovers,
  initialApprovalOutcome,
  quorumReachable,
  tally,
  unknownAuthorEffect,
} from '../../shared/decisions';

const T0 = Date.parse('2026-05-14T09:00:00Z');
const H = 3_600_000;

const rules: ApprovalRules = {
  approvers: { users: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com'], groups: ['ml-approvers'] },
  minApprovals: 2,
  excludeAuthor: true,
  excludeTrigger: true,
  escalation: [{ after: '8h', addApprovers: { users: ['dave@contoso.com'] } }],
  deadline: '2d',
};

const open = (over: Partial<ApprovalState> = {}): ApprovalState => ({
  createdAt: T0,
  status: 'pending',
  author: 'alice@contoso.com',
  triggeredBy: 'bob@contoso.com',
  votes: [],
  ...over,
});

function accept(
  state: ApprovalState,
  id: string,
  verdict: 'approve' | 'reject',
  at = T0 + H,
  groups?: string[],
): ApprovalState {
  const r = decideApproval(state, rules, { actor: { id, ...(groups ? { groups } : {}) }, verdict, at });
  if (!r.accepted) throw new Error(`refused: ${r.reason}`);
  return r.state;
}

describe('approval quorum', () => {
  it('approves once minApprovals distinct approvers approved', () => {
    const s1 = accept(open(), 'carol@contoso.com', 'approve');
    expect(tally(s1, rules)).toMatchObject({ status: 'pending', approvals: 1, needed: 1 });
    const r = decideApproval(s1, rules, {
      actor: { id: 'erin@contoso.com', groups: ['ML-Approvers'] },
      verdict: 'approve',
      at: T0 + 2 * H,
    });
    expect(r).toMatchObject({
      accepted: true,
      outcome: { status: 'approved', approvals: 2, needed: 0, reason: 'quorum' },
    });
  });

  it('rejects on a single rejection by an eligible approver', () => {
    const r = decideApproval(open(), rules, {
      actor: { id: 'carol@contoso.com' },
      verdict: 'reject',
      at: T0 + H,
      comment: 'AUC drop on segment B',
    });
    expect(r).toMatchObject({
      accepted: true,
      outcome: { status: 'rejected', reason: 'rejected' },
      vote: { comment: 'AUC drop on segment B' },
    });
  });

  it("refuses the model's author (AUTHOR_EXCLUDED), compared case-insensitively", () => {
    expect(
      decideApproval(open(), rules, { actor: { id: ' Alice@Contoso.com ' }, verdict: 'approve', at: T0 + H }),
    ).toMatchObject({ accepted: false, reason: 'AUTHOR_EXCLUDED' });
  });

  it('lets the author decide when excludeAuthor is false', () => {
    expect(
      decideApproval(
        open(),
        { ...rules, excludeAuthor: false },
        { actor: { id: 'alice@contoso.com' }, verdict: 'approve', at: T0 + H },
      ).accepted,
    ).toBe(true);
  });

  it('refuses the person who triggered the run (TRIGGER_EXCLUDED)', () => {
    expect(
      decideApproval(open(), rules, { actor: { id: 'bob@contoso.com' }, verdict: 'approve', at: T0 + H }),
    ).toMatchObject({ accepted: false, reason: 'TRIGGER_EXCLUDED' });
  });

  it('refuses an unknown approver (NOT_AN_APPROVER) and a group that is not listed', () => {
    expect(
      decideApproval(open(), rules, { actor: { id: 'mallory@contoso.com' }, verdict: 'approve', at: T0 + H }),
    ).toMatchObject({ accepted: false, reason: 'NOT_AN_APPROVER' });
    expect(
      decideApproval(open(), rules, {
        actor: { id: 'mallory@contoso.com', groups: ['everyone'] },
        verdict: 'approve',
        at: T0 + H,
      }),
    ).toMatchObject({ accepted: false, reason: 'NOT_AN_APPROVER' });
  });

  it('refuses a duplicate vote, telling an identical repeat from a change of mind', () => {
    const s1 = accept(open(), 'carol@contoso.com', 'approve');
    expect(
      decideApproval(s1, rules, { actor: { id: 'CAROL@contoso.com' }, verdict: 'approve', at: T0 + 2 * H }),
    ).toMatchObject({ accepted: false, reason: 'DUPLICATE_VOTE', sameAsBefore: true });
    expect(
      decideApproval(s1, rules, { actor: { id: 'carol@contoso.com' }, verdict: 'reject', at: T0 + 2 * H }),
    ).toMatchObject({ accepted: false, reason: 'DUPLICATE_VOTE', sameAsBefore: false });
  });

  it('refuses any decision after the request closed (REQUEST_CLOSED), keeping the closed outcome', () => {
    const closed = accept(open(), 'carol@contoso.com', 'reject');
    const r = decideApproval(closed, rules, {
      actor: { id: 'erin', groups: ['ml-approvers'] },
      verdict: 'approve',
      at: T0 + 2 * H,
    });
    expect(r).toMatchObject({ accepted: false, reason: 'REQUEST_CLOSED', outcome: { status: 'rejected' } });
  });

  it('refuses a decision at or after the deadline (the deadline wins a tie)', () => {
    expect(
      decideApproval(open(), rules, { actor: { id: 'carol@contoso.com' }, verdict: 'approve', at: T0 + 48 * H }),
    ).toMatchObject({ accepted: false, reason: 'DEADLINE_PASSED' });
    expect(
      decideApproval(open(), rules, { actor: { id: 'carol@contoso.com' }, verdict: 'approve', at: T0 + 48 * H - 1 })
        .accepted,
    ).toBe(true);
  });

  it('refuses a decision without an identity or with an unknown verdict (INVALID_DECISION)', () => {
    expect(decideApproval(open(), rules, { actor: { id: '  ' }, verdict: 'approve', at: T0 + H })).toMatchObject({
      accepted: false,
      reason: 'INVALID_DECISION',
    });
    expect(
      decideApproval(open(), rules, { actor: { id: 'carol@contoso.com' }, verdict: 'maybe' as 'approve', at: T0 + H }),
    ).toMatchObject({ accepted: false, reason: 'INVALID_DECISION' });
  });

  it('accepts approvers added by an escalation step only once its delay has elapsed', () => {
    expect(
      decideApproval(open(), rules, { actor: { id: 'dave@contoso.com' }, verdict: 'approve', at: T0 + 7 * H }),
    ).toMatchObject({ accepted: false, reason: 'NOT_AN_APPROVER' });
    expect(
      decideApproval(open(), rules, { actor: { id: 'dave@contoso.com' }, verdict: 'approve', at: T0 + 8 * H }).accepted,
    ).toBe(true);
    expect(effectiveApprovers(rules, T0, T0 + 8 * H).users).toContain('dave@contoso.com');
  });

  it('accepts approvers of an escalation step the workflow fired, before its delay by the decision time', () => {
    const dave = (state: ApprovalState, at = T0 + H) =>
      decideApproval(state, rules, { actor: { id: 'dave@contoso.com' }, verdict: 'approve', at });
    // fired grants; not fired refuses
    expect(dave(open({ escalationsFired: [0] })).accepted).toBe(true);
    expect(dave(open({ escalationsFired: [] }))).toMatchObject({ accepted: false, reason: 'NOT_AN_APPROVER' });
    expect(effectiveApprovers(rules, T0, T0 + H, [0]).users).toContain('dave@contoso.com');
    expect(effectiveApprovers(rules, T0, T0 + H, []).users).not.toContain('dave@contoso.com');
    // the time rule is unchanged: without any fired step the delay still grants
    expect(dave(open({ escalationsFired: [] }), T0 + 8 * H).accepted).toBe(true);
    expect(dave(open(), T0 + 8 * H).accepted).toBe(true);
  });

  it('grants nothing for a fired index that names no step, and a fired step bypasses no other rule', () => {
    const base = effectiveApprovers(rules, T0, T0 + H);
    for (const bogus of [[1], [-1], [0.5], [99], [Number.NaN]]) {
      expect(effectiveApprovers(rules, T0, T0 + H, bogus)).toEqual(base);
      expect(
        decideApproval(open({ escalationsFired: bogus }), rules, {
          actor: { id: 'dave@contoso.com' },
          verdict: 'approve',
          at: T0 + H,
        }),
      ).toMatchObject({ accepted: false, reason: 'NOT_AN_APPROVER' });
    }
    const fired = open({ escalationsFired: [0], author: 'dave@contoso.com' });
    expect(
      decideApproval(fired, rules, { actor: { id: 'dave@contoso.com' }, verdict: 'approve', at: T0 + H }),
    ).toMatchObject({ accepted: false, reason: 'AUTHOR_EXCLUDED' });
    expect(
      decideApproval(open({ escalationsFired: [0] }), rules, {
        actor: { id: 'dave@contoso.com' },
        verdict: 'approve',
        at: T0 + 48 * H,
      }),
    ).toMatchObject({ accepted: false, reason: 'DEADLINE_PASSED' });
  });

  it('two concurrent approvals applied in either order end approved with the same tally', () => {
    const a = accept(accept(open(), 'carol@contoso.com', 'approve'), 'dave@contoso.com', 'approve', T0 + 9 * H);
    const b = accept(accept(open(), 'dave@contoso.com', 'approve', T0 + 9 * H), 'carol@contoso.com', 'approve');
    expect(tally(a, rules)).toEqual(tally(b, rules));
    expect(a.status).toBe('approved');
  });

  it('does not mutate the state it was given', () => {
    const s = open();
    accept(s, 'carol@contoso.com', 'approve');
    expect(s.votes).toHaveLength(0);
  });
});

describe('deadline and initial outcome', () => {
  it('expires a pending request at the deadline unless onDeadline is approve', () => {
    expect(deadlineOutcome(open(), rules, T0 + 48 * H)).toMatchObject({ status: 'expired', reason: 'deadline' });
    expect(deadlineOutcome(open(), { ...rules, onDeadline: 'approve' }, T0 + 48 * H)).toMatchObject({
      status: 'approved',
      reason: 'deadline',
    });
  });

  it('leaves a request alone before the deadline, when already decided, or without a deadline', () => {
    expect(deadlineOutcome(open(), rules, T0 + 47 * H).status).toBe('pending');
    const approved = accept(accept(open(), 'carol@contoso.com', 'approve'), 'erin', 'approve', T0 + H, [
      'ml-approvers',
    ]);
    expect(deadlineOutcome(approved, rules, T0 + 100 * H).status).toBe('approved');
    const { deadline: _d, ...noDeadline } = rules;
    expect(deadlineOutcome(open(), noDeadline, T0 + 1000 * H).status).toBe('pending');
  });

  it('is approved from the start when approval is not required', () => {
    expect(initialApprovalOutcome({ ...rules, required: false })).toMatchObject({
      status: 'approved',
      reason: 'not-required',
    });
    expect(initialApprovalOutcome(rules)).toMatchObject({ status: 'pending', needed: 2 });
  });

  it('tells when exclusions make the quorum unreachable (users only)', () => {
    const usersOnly: ApprovalRules = {
      approvers: { users: ['alice', 'bob'] },
      minApprovals: 2,
      excludeAuthor: true,
      excludeTrigger: false,
    };
    expect(quorumReachable(usersOnly, { author: 'alice' })).toEqual({ reachable: false, eligibleUsers: 1 });
    expect(quorumReachable(usersOnly, { author: 'zed' }).reachable).toBe(true);
    expect(
      quorumReachable({ ...usersOnly, approvers: { users: ['alice'], groups: ['g'] } }, { author: 'alice' }).reachable,
    ).toBe(true);
  });
});

describe('unknown author (excludeAuthor cannot be enforced)', () => {
  const users = {
    approvers: { users: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com'] },
    minApprovals: 1,
    excludeAuthor: true,
    excludeTrigger: false,
  };

  it('changes nothing when the author is known, excludeAuthor is off, approval is not required, or the policy allows it', () => {
    expect(unknownAuthorEffect(users, 'registry-user-id', 'block')).toEqual({ action: 'none' });
    expect(unknownAuthorEffect(users, 'run-mlflow-user', 'require-extra-approval')).toEqual({ action: 'none' });
    expect(unknownAuthorEffect({ ...users, excludeAuthor: false }, 'unknown', 'block')).toEqual({ action: 'none' });
    expect(unknownAuthorEffect({ ...users, required: false }, 'unknown', 'block')).toEqual({ action: 'none' });
    expect(unknownAuthorEffect(users, 'unknown', 'allow')).toEqual({ action: 'none' });
  });

  it('block names the reason; require-extra-approval asks for one more, capped at the eligible named approvers', () => {
    const blocked = unknownAuthorEffect(users, 'unknown', 'block');
    expect(blocked).toMatchObject({ action: 'block' });
    expect(blocked.action === 'block' && blocked.reason).toContain('UNKNOWN_AUTHOR');
    expect(unknownAuthorEffect(users, 'unknown', 'require-extra-approval')).toMatchObject({
      action: 'extra-approval',
      minApprovals: 2,
    });
    expect(unknownAuthorEffect({ ...users, minApprovals: 3 }, 'unknown', 'require-extra-approval')).toMatchObject({
      action: 'extra-approval',
      minApprovals: 3,
    });
    // The trigger is excluded too: 2 eligible approvers left, so 2 (not 3) are required.
    expect(
      unknownAuthorEffect({ ...users, minApprovals: 2, excludeTrigger: true }, 'unknown', 'require-extra-approval', {
        triggeredBy: 'carol@contoso.com',
      }),
    ).toMatchObject({ minApprovals: 2 });
    // With a group the size is unknown: one more.
    expect(
      unknownAuthorEffect(
        { ...users, minApprovals: 3, approvers: { users: users.approvers.users, groups: ['ml'] } },
        'unknown',
        'require-extra-approval',
      ),
    ).toMatchObject({ minApprovals: 4 });
  });
});
