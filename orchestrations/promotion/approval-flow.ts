/**
 * The approval wait of a promotion, as a generator the orchestrator delegates to (`yield*`).
 *
 * Invariants:
 * - The request is persisted by an activity BEFORE the first wait; the store is the source of truth and is re-read
 *   after every wake-up, so a decision made before the wait (or while the host was down) is seen.
 * - One decision-event waiter at a time (a waiter that lost a race is reused); every losing timer is cancelled.
 * - One request per execution: its id derives from the instance id AND a replay-safe guid of this execution, so a
 *   re-run of the same business key after a purge waits for a new decision.
 * - Reminder/escalation/deadline instants come from the pure schedule over the stored `createdAt`, so a replay
 *   computes the same timers.
 */
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import * as df from 'durable-functions';
import { dateAt, isoAt } from '../../shared/jobs/time';
import { approvalSchedule } from '../../shared/decisions/approval-schedule';
import type { ApprovalRequest } from '../../shared/approvals/model';
import type {
  ApprovalDeadlineInput,
  ApprovalTimerEventInput,
  CreateApprovalInput,
} from '../../shared/promotion/messages';
import type { ApprovalSummary } from '../../shared/promotion/types';
import { PromotionActivities as PA } from '../contracts/promotion';
import { call } from '../lib/typed';

const retry = new df.RetryOptions(2_000, 5);
retry.backoffCoefficient = 2;

export function summarizeApproval(r: ApprovalRequest): ApprovalSummary {
  const s: ApprovalSummary = {
    approvalId: r.approvalId,
    status: r.status,
    required: r.rules.required !== false,
    votes: r.votes.map((v) => ({
      approver: v.approver,
      verdict: v.verdict,
      at: isoAt(v.atMs),
      ...(v.comment !== undefined ? { comment: v.comment } : {}),
    })),
    createdAt: r.createdAt,
    escalations: r.escalations,
    remindersSent: r.remindersSent,
    minApprovals: r.rules.minApprovals,
  };
  if (r.authorSource !== undefined) s.authorSource = r.authorSource;
  if (r.authorNote !== undefined) s.authorNote = r.authorNote;
  if (r.reason !== undefined) s.reason = r.reason;
  if (r.closedAt !== undefined) s.closedAt = r.closedAt;
  return s;
}

export function* approvalFlow(
  context: OrchestrationContext,
  input: CreateApprovalInput,
  onStatus: (extra: Record<string, unknown>) => void,
): Generator<Task, ApprovalRequest, unknown> {
  // One request per execution: a replay-safe guid (from the instance id and this execution's replayed clock) keys it.
  const asking: CreateApprovalInput = { ...input, execution: input.execution ?? context.df.newGuid(input.instanceId) };
  let request = yield* call(context, PA.createApproval, asking, retry);
  if (request.status !== 'pending') return request;
  const rules = input.approval;
  const schedule = approvalSchedule(request.createdAt, {
    ...(rules.reminderEvery !== undefined ? { reminderEvery: rules.reminderEvery } : {}),
    escalation: rules.escalation,
    ...(rules.deadline !== undefined ? { deadline: rules.deadline } : {}),
  });
  let next = 0;
  let decision: Task | undefined;
  for (;;) {
    request = yield* call(context, PA.readApproval, { approvalId: request.approvalId }, retry);
    if (request.status !== 'pending') return request;
    const timerEvent = schedule[next];
    onStatus({
      approvalId: request.approvalId,
      approvals: request.votes.filter((v) => v.verdict === 'approve').length,
      needed: request.rules.minApprovals,
      nextTimer: timerEvent ? { kind: timerEvent.kind, at: timerEvent.at } : null,
    });
    decision ??= context.df.waitForExternalEvent(request.eventName);
    if (timerEvent === undefined) {
      yield decision;
      decision = undefined;
      continue;
    }
    const timer: TimerTask = context.df.createTimer(dateAt(timerEvent.atMs));
    const winner = (yield context.df.Task.any([decision, timer])) as Task;
    if (winner === decision) {
      timer.cancel();
      decision = undefined;
      continue;
    }
    next++;
    if (timerEvent.kind === 'deadline') {
      const d: ApprovalDeadlineInput = { approvalId: request.approvalId, atMs: timerEvent.atMs };
      request = yield* call(context, PA.approvalDeadline, d, retry);
      if (request.status !== 'pending') return request;
      continue;
    }
    const step = timerEvent.kind === 'escalation' ? rules.escalation[timerEvent.index] : undefined;
    const channels = step && step.notify.length > 0 ? step.notify : input.notify;
    const t: ApprovalTimerEventInput = {
      approvalId: request.approvalId,
      kind: timerEvent.kind,
      index: timerEvent.index,
      channels,
      ...(input.reportUrl !== undefined ? { reportUrl: input.reportUrl } : {}),
    };
    try {
      yield* call(context, PA.approvalTimerEvent, t, retry);
    } catch {
      // A reminder or escalation notice that cannot be sent must not end the approval.
    }
  }
}
