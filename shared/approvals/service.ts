/**
 * Approval operations shared by the HTTP API and the orchestration's activities. Plain functions over an
 * ApprovalStore; the caller raises accepted decisions into the orchestration.
 *
 * Race rules (each is one conditional write, retried on ETag conflict after re-reading and re-deciding):
 * - two approvers at once: both are decided against the latest state; with minApprovals 1 the first write approves
 *   and the second is refused as REQUEST_CLOSED;
 * - the same approver twice: the second is DUPLICATE_VOTE, answered as an idempotent success when the verdict is
 *   the same and as a conflict when it differs;
 * - a decision racing the deadline: decisions at or after the deadline are refused by time (DEADLINE_PASSED), and
 *   whichever of decision/deadline writes first wins; the other re-reads a closed request.
 */
import { ConflictError, NotFoundError, StagecraftError } from '../errors';
import type { RefusalReason, Verdict } from '../decisions/approval';
import { applyDeadline, applyDecision, type ApprovalRequest } from './model';
import type { ApprovalStore } from './store';
import { recordApprovalWait } from '../telemetry/metrics';

const MAX_CONFLICT_RETRIES = 16;

export interface DecideInput {
  approvalId: string;
  actor: { id: string; groups: readonly string[]; via: string };
  verdict: Verdict;
  comment?: string;
  nowMs: number;
}

export type DecideOutcome =
  | { accepted: true; duplicate: boolean; request: ApprovalRequest; message: string }
  | { accepted: false; code: RefusalReason; status: number; message: string; request: ApprovalRequest };

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  REQUEST_CLOSED: 409,
  DEADLINE_PASSED: 409,
  INVALID_DECISION: 400,
  AUTHOR_EXCLUDED: 403,
  TRIGGER_EXCLUDED: 403,
  NOT_AN_APPROVER: 403,
  DUPLICATE_VOTE: 409,
};

async function mustGet(store: ApprovalStore, approvalId: string): Promise<{ request: ApprovalRequest; etag: string }> {
  const got = await store.get(approvalId);
  if (!got)
    throw new NotFoundError('APPROVAL_NOT_FOUND', `no approval request '${approvalId}'`, { details: { approvalId } });
  return got;
}

export async function decide(store: ApprovalStore, input: DecideInput): Promise<DecideOutcome> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const { request, etag } = await mustGet(store, input.approvalId);
    const decision = {
      actor: { id: input.actor.id, groups: input.actor.groups },
      verdict: input.verdict,
      at: input.nowMs,
      ...(input.comment !== undefined ? { comment: input.comment } : {}),
    };
    const applied = applyDecision(request, decision);
    const base = {
      approvalId: input.approvalId,
      at: new Date(input.nowMs).toISOString(),
      actor: input.actor.id,
      via: input.actor.via,
      verdict: input.verdict,
      ...(input.comment !== undefined ? { comment: input.comment } : {}),
    };
    if (applied.kind === 'refused') {
      const r = applied.result;
      await store.recordAttempt({ ...base, accepted: false, code: r.reason, message: r.message });
      if (r.reason === 'DUPLICATE_VOTE' && r.sameAsBefore === true) {
        return {
          accepted: true,
          duplicate: true,
          request,
          message: `${input.actor.id} already decided '${input.verdict}'; nothing changed`,
        };
      }
      return { accepted: false, code: r.reason, status: REFUSAL_STATUS[r.reason], message: r.message, request };
    }
    if ((await store.replace(applied.next, etag)) === 'conflict') continue;
    const settled =
      applied.next.status === 'pending'
        ? `${applied.result.outcome.needed} more approval(s) needed`
        : `the request is now ${applied.next.status}`;
    const message = `${input.actor.id} decided '${input.verdict}'; ${settled}`;
    await store.recordAttempt({ ...base, accepted: true, code: 'ACCEPTED', message });
    if (applied.next.status !== 'pending')
      recordApprovalWait(
        applied.next.kind,
        applied.next.status,
        applied.next.createdAt,
        new Date(input.nowMs).toISOString(),
      );
    return { accepted: true, duplicate: false, request: applied.next, message };
  }
  throw new StagecraftError(
    'APPROVAL_CONTENDED',
    `approval '${input.approvalId}' kept changing while deciding; try again`,
    { status: 503, retryable: true },
  );
}

/** Settles a pending request whose deadline has passed (idempotent; loses cleanly to a decision written first). */
export async function closeAtDeadline(
  store: ApprovalStore,
  approvalId: string,
  nowMs: number,
): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const { request, etag } = await mustGet(store, approvalId);
    const { changed, next } = applyDeadline(request, nowMs);
    if (!changed) return request;
    if ((await store.replace(next, etag)) === 'ok') {
      await store.recordAttempt({
        approvalId,
        at: new Date(nowMs).toISOString(),
        actor: 'stagecraft',
        via: 'deadline',
        verdict: next.status,
        accepted: true,
        code: 'DEADLINE',
        message: `the deadline passed: the request is ${next.status}`,
      });
      recordApprovalWait(next.kind, next.status, next.createdAt, new Date(nowMs).toISOString());
      return next;
    }
  }
  throw new StagecraftError('APPROVAL_CONTENDED', `approval '${approvalId}' kept changing at its deadline`, {
    status: 503,
    retryable: true,
  });
}

/**
 * Records that the orchestration sent a reminder or fired an escalation step. The one writer of `escalations`
 * (called only by the orchestration's timer activity): a fired step's approvers may decide from then on.
 */
export async function noteTimerEvent(
  store: ApprovalStore,
  approvalId: string,
  event: { kind: 'reminder' | 'escalation'; index: number },
): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const { request, etag } = await mustGet(store, approvalId);
    const next: ApprovalRequest =
      event.kind === 'reminder'
        ? { ...request, remindersSent: Math.max(request.remindersSent, event.index) }
        : { ...request, escalations: [...new Set([...request.escalations, event.index])].sort((a, b) => a - b) };
    if (JSON.stringify(next) === JSON.stringify(request)) return request;
    if ((await store.replace(next, etag)) === 'ok') return next;
  }
  throw new StagecraftError('APPROVAL_CONTENDED', `approval '${approvalId}' kept changing`, {
    status: 503,
    retryable: true,
  });
}

/** Marks the request notification as sent (idempotent), so a retried create does not notify twice. */
export async function markNotified(store: ApprovalStore, approvalId: string, nowMs: number): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const { request, etag } = await mustGet(store, approvalId);
    if (request.notifiedAt !== undefined) return request;
    const next: ApprovalRequest = { ...request, notifiedAt: new Date(nowMs).toISOString() };
    if ((await store.replace(next, etag)) === 'ok') return next;
  }
  throw new StagecraftError('APPROVAL_CONTENDED', `approval '${approvalId}' kept changing`, {
    status: 503,
    retryable: true,
  });
}

/** Cancels a pending request (its orchestration gave up); a settled request is returned unchanged. */
export async function cancelRequest(
  store: ApprovalStore,
  approvalId: string,
  nowMs: number,
  reason: string,
): Promise<ApprovalRequest> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const { request, etag } = await mustGet(store, approvalId);
    if (request.status !== 'pending') return request;
    const next: ApprovalRequest = { ...request, status: 'cancelled', reason, closedAt: new Date(nowMs).toISOString() };
    if ((await store.replace(next, etag)) === 'ok') return next;
  }
  throw new ConflictError('APPROVAL_CONTENDED', `approval '${approvalId}' kept changing`);
}

/** Public view of a request: everything except nothing secret (requests hold no secrets). */
export function approvalView(r: ApprovalRequest): Record<string, unknown> {
  const approvals = r.votes.filter((v) => v.verdict === 'approve').length;
  return {
    id: r.approvalId,
    kind: r.kind,
    model: r.model,
    version: r.version,
    status: r.status,
    reason: r.reason,
    createdAt: r.createdAt,
    deadlineAt: r.deadlineAt,
    closedAt: r.closedAt,
    approvals,
    minApprovals: r.rules.minApprovals,
    approvers: r.rules.approvers,
    escalation: r.rules.escalation ?? [],
    escalationsFired: r.escalations,
    votes: r.votes.map((v) => ({
      approver: v.approver,
      verdict: v.verdict,
      at: new Date(v.atMs).toISOString(),
      comment: v.comment,
    })),
    instanceId: r.instanceId,
    summary: r.summary,
    author: r.author,
    authorSource: r.authorSource ?? (r.author === undefined ? 'unknown' : undefined),
    authorNote: r.authorNote,
    // Links go only to each approver through this direct channel (never in shared notices); absent: no links.
    linkChannel: r.linkChannel,
  };
}
