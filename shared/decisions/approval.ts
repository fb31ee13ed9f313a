import { parseDuration } from './duration';
import { type Instant, toMs } from './time';

/**
 * Approval quorum: who may decide, what a decision does, and when a request is settled.
 *
 * Rules (in the order they are checked, so a refusal names the first rule broken):
 * 1. A closed request (approved, rejected, expired, cancelled) takes no decision: REQUEST_CLOSED.
 * 2. A decision at or after the deadline is refused: DEADLINE_PASSED. At the exact deadline instant the
 *    deadline wins, so "decision racing the deadline" has one outcome whichever is processed first.
 * 3. The model version's author may not decide when `excludeAuthor`: AUTHOR_EXCLUDED.
 * 4. The person who triggered the run may not decide when `excludeTrigger`: TRIGGER_EXCLUDED.
 * 5. Only listed approvers decide (user id, or membership of a listed group, or approvers added by an
 *    escalation step whose delay has elapsed at the decision's time OR that the workflow has fired):
 *    NOT_AN_APPROVER. A fired step only ever adds approvers, so a workflow running late or early (its own clock)
 *    never makes the time rule stricter.
 * 6. One vote per approver: DUPLICATE_VOTE (`sameAsBefore` tells an idempotent repeat from a change of mind).
 * Then: any accepted rejection rejects the request; `minApprovals` accepted approvals approve it.
 * Identities compare trimmed and case-insensitively (e-mail addresses, UPNs).
 */
export interface ApproverSet {
  users?: string[];
  groups?: string[];
}

export interface EscalationStep {
  after: string;
  addApprovers?: ApproverSet;
}

export interface ApprovalRules {
  required?: boolean;
  approvers: ApproverSet;
  minApprovals: number;
  excludeAuthor: boolean;
  excludeTrigger: boolean;
  escalation?: EscalationStep[];
  deadline?: string;
  onDeadline?: 'reject' | 'approve';
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type Verdict = 'approve' | 'reject';

export interface Vote {
  approver: string;
  verdict: Verdict;
  atMs: number;
  comment?: string;
}

export interface ApprovalState {
  createdAt: Instant;
  status: ApprovalStatus;
  /** The model version's author (`user_id`), when known. */
  author?: string;
  /** Whoever triggered the run (retrain requester, merger), when known. */
  triggeredBy?: string;
  votes: readonly Vote[];
  /**
   * Escalation steps the workflow has fired (0-based step indexes). Only the orchestration's timer activity writes
   * them (never a request body); an index that names no step grants nothing.
   */
  escalationsFired?: readonly number[];
}

export interface DecisionInput {
  actor: { id: string; groups?: readonly string[] };
  verdict: Verdict;
  at: Instant;
  comment?: string;
}

export type RefusalReason =
  | 'REQUEST_CLOSED'
  | 'DEADLINE_PASSED'
  | 'INVALID_DECISION'
  | 'AUTHOR_EXCLUDED'
  | 'TRIGGER_EXCLUDED'
  | 'NOT_AN_APPROVER'
  | 'DUPLICATE_VOTE';

export interface ApprovalOutcome {
  status: ApprovalStatus;
  approvals: number;
  rejections: number;
  needed: number;
  /** Why a settled request settled. */
  reason?: 'quorum' | 'rejected' | 'deadline' | 'not-required';
}

export type DecisionResult =
  | { accepted: true; vote: Vote; state: ApprovalState; outcome: ApprovalOutcome }
  | { accepted: false; reason: RefusalReason; message: string; sameAsBefore?: boolean; outcome: ApprovalOutcome };

export function normalizeIdentity(id: string): string {
  return id.trim().toLowerCase();
}

function includesId(list: readonly string[] | undefined, id: string): boolean {
  return (list ?? []).some((x) => normalizeIdentity(x) === id);
}

function deadlineMs(state: ApprovalState, rules: ApprovalRules): number | undefined {
  return rules.deadline === undefined ? undefined : toMs(state.createdAt) + parseDuration(rules.deadline);
}

/**
 * Approvers in force at `at`: the base set plus every escalation step whose delay has elapsed, or whose index is in
 * `fired` (the steps the workflow has fired; an index naming no step grants nothing).
 */
export function effectiveApprovers(
  rules: ApprovalRules,
  createdAt: Instant,
  at: Instant,
  fired: readonly number[] = [],
): { users: string[]; groups: string[] } {
  const created = toMs(createdAt);
  const now = toMs(at);
  const users = [...(rules.approvers.users ?? [])];
  const groups = [...(rules.approvers.groups ?? [])];
  (rules.escalation ?? []).forEach((step, i) => {
    if (now >= created + parseDuration(step.after) || fired.includes(i)) {
      users.push(...(step.addApprovers?.users ?? []));
      groups.push(...(step.addApprovers?.groups ?? []));
    }
  });
  return { users, groups };
}

export function tally(
  state: Pick<ApprovalState, 'status' | 'votes'>,
  rules: Pick<ApprovalRules, 'minApprovals'>,
): ApprovalOutcome {
  const approvals = state.votes.filter((v) => v.verdict === 'approve').length;
  const rejections = state.votes.filter((v) => v.verdict === 'reject').length;
  const needed = Math.max(0, rules.minApprovals - approvals);
  if (state.status !== 'pending') return { status: state.status, approvals, rejections, needed };
  if (rejections > 0) return { status: 'rejected', approvals, rejections, needed, reason: 'rejected' };
  if (approvals >= rules.minApprovals)
    return { status: 'approved', approvals, rejections, needed: 0, reason: 'quorum' };
  return { status: 'pending', approvals, rejections, needed };
}

/** Outcome of a request at creation: approved at once when approval is not required. */
export function initialApprovalOutcome(rules: ApprovalRules): ApprovalOutcome {
  if (rules.required === false)
    return { status: 'approved', approvals: 0, rejections: 0, needed: 0, reason: 'not-required' };
  return { status: 'pending', approvals: 0, rejections: 0, needed: rules.minApprovals };
}

export function decideApproval(state: ApprovalState, rules: ApprovalRules, input: DecisionInput): DecisionResult {
  const current = tally(state, rules);
  const refuse = (reason: RefusalReason, message: string, sameAsBefore?: boolean): DecisionResult =>
    sameAsBefore === undefined
      ? { accepted: false, reason, message, outcome: current }
      : { accepted: false, reason, message, sameAsBefore, outcome: current };

  if (state.status !== 'pending') return refuse('REQUEST_CLOSED', `the request is already ${state.status}`);
  const at = toMs(input.at);
  const deadline = deadlineMs(state, rules);
  if (deadline !== undefined && at >= deadline) {
    return refuse(
      'DEADLINE_PASSED',
      `the decision arrived at ${new Date(at).toISOString()}, at or after the deadline ${new Date(deadline).toISOString()}`,
    );
  }
  const actor = normalizeIdentity(input.actor.id ?? '');
  if (actor === '' || (input.verdict !== 'approve' && input.verdict !== 'reject')) {
    return refuse('INVALID_DECISION', "a decision needs an identified approver and a verdict of 'approve' or 'reject'");
  }
  if (rules.excludeAuthor && state.author !== undefined && normalizeIdentity(state.author) === actor) {
    return refuse('AUTHOR_EXCLUDED', `${input.actor.id} registered this model version and may not approve it`);
  }
  if (rules.excludeTrigger && state.triggeredBy !== undefined && normalizeIdentity(state.triggeredBy) === actor) {
    return refuse('TRIGGER_EXCLUDED', `${input.actor.id} triggered this run and may not approve it`);
  }
  const approvers = effectiveApprovers(rules, state.createdAt, at, state.escalationsFired);
  const actorGroups = (input.actor.groups ?? []).map(normalizeIdentity);
  const listed = includesId(approvers.users, actor) || actorGroups.some((g) => includesId(approvers.groups, g));
  if (!listed) return refuse('NOT_AN_APPROVER', `${input.actor.id} is not an approver for this request`);
  const previous = state.votes.find((v) => normalizeIdentity(v.approver) === actor);
  if (previous) {
    return refuse(
      'DUPLICATE_VOTE',
      `${input.actor.id} already decided '${previous.verdict}' on this request`,
      previous.verdict === input.verdict,
    );
  }
  const vote: Vote =
    input.comment === undefined
      ? { approver: actor, verdict: input.verdict, atMs: at }
      : { approver: actor, verdict: input.verdict, atMs: at, comment: input.comment };
  const votes = [...state.votes, vote];
  const outcome = tally({ status: 'pending', votes }, rules);
  return { accepted: true, vote, state: { ...state, votes, status: outcome.status }, outcome };
}

/**
 * What the deadline does to a request at `now`: nothing before it or when already settled; otherwise
 * 'expired' (rejected) unless the policy says `onDeadline: approve` explicitly.
 */
export function deadlineOutcome(state: ApprovalState, rules: ApprovalRules, now: Instant): ApprovalOutcome {
  const current = tally(state, rules);
  const deadline = deadlineMs(state, rules);
  if (current.status !== 'pending' || deadline === undefined || toMs(now) < deadline) return current;
  return { ...current, status: rules.onDeadline === 'approve' ? 'approved' : 'expired', reason: 'deadline' };
}

/**
 * Whether `minApprovals` can still be met once author/trigger exclusions apply. Only decidable when the
 * approvers are users alone (group sizes are unknown here): with groups it answers `reachable: true`.
 */
export function quorumReachable(
  rules: ApprovalRules,
  people: { author?: string; triggeredBy?: string },
): { reachable: boolean; eligibleUsers: number } {
  const excluded = new Set<string>();
  if (rules.excludeAuthor && people.author) excluded.add(normalizeIdentity(people.author));
  if (rules.excludeTrigger && people.triggeredBy) excluded.add(normalizeIdentity(people.triggeredBy));
  const users = new Set<string>();
  const groups = [...(rules.approvers.groups ?? [])];
  for (const u of rules.approvers.users ?? []) users.add(normalizeIdentity(u));
  for (const s of rules.escalation ?? []) {
    for (const u of s.addApprovers?.users ?? []) users.add(normalizeIdentity(u));
    groups.push(...(s.addApprovers?.groups ?? []));
  }
  const eligibleUsers = [...users].filter((u) => !excluded.has(u)).length;
  return { reachable: groups.length > 0 || eligibleUsers >= rules.minApprovals, eligibleUsers };
}

/** Where the author of a model version came from. 'event': named by the triggering event (a release's git actor). */
export type AuthorSource = 'registry-user-id' | 'run-mlflow-user' | 'event' | 'unknown';
export type UnknownAuthorPolicy = 'block' | 'require-extra-approval' | 'allow';

export type UnknownAuthorEffect =
  | { action: 'none' }
  | { action: 'block'; reason: string }
  | { action: 'extra-approval'; minApprovals: number; note: string };

/**
 * What an unknown author does to a request (pure). Only matters with `excludeAuthor` on a required approval: the
 * registrant could otherwise approve their own version unnoticed. `require-extra-approval` asks for minApprovals + 1,
 * capped at the eligible named approvers when no group is listed (a quorum nobody can reach helps nobody).
 */
export function unknownAuthorEffect(
  rules: ApprovalRules,
  authorSource: AuthorSource,
  policy: UnknownAuthorPolicy,
  people: { triggeredBy?: string } = {},
): UnknownAuthorEffect {
  if (authorSource !== 'unknown' || !rules.excludeAuthor || rules.required === false || policy === 'allow')
    return { action: 'none' };
  if (policy === 'block') {
    return {
      action: 'block',
      reason:
        "UNKNOWN_AUTHOR: the version's author is unknown (no registry user_id, no mlflow.user tag on its run), so excludeAuthor cannot be enforced and the policy says unknownAuthor: block",
    };
  }
  const wanted = rules.minApprovals + 1;
  const { reachable, eligibleUsers } = quorumReachable({ ...rules, minApprovals: wanted }, people);
  const minApprovals = reachable ? wanted : Math.max(rules.minApprovals, eligibleUsers);
  const note =
    minApprovals > rules.minApprovals
      ? `author unknown: ${minApprovals} approvals required instead of ${rules.minApprovals} (unknownAuthor: require-extra-approval)`
      : `author unknown: an extra approval was required but only ${eligibleUsers} approver(s) are named, so ${minApprovals} approval(s) are required`;
  return { action: 'extra-approval', minApprovals, note };
}
