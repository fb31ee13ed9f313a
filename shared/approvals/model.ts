/**
 * The approval request as stored (the source of truth) and its pure transitions. The orchestrator never holds the
 * decision state itself: it re-reads the request through an activity, so a decision that arrived before it started
 * waiting (or while the host was down) is never lost.
 */
import { z } from 'zod';
import {
  type ApprovalRules,
  type ApprovalState,
  type AuthorSource,
  type DecisionInput,
  type DecisionResult,
  decideApproval,
  deadlineOutcome,
  initialApprovalOutcome,
} from '../decisions/approval';
import { parseDuration } from '../decisions/duration';
import type { Approval } from '../policy/schema-model';
import { toMs } from '../decisions/time';

const ApproverSetSchema = z.object({ users: z.array(z.string()).optional(), groups: z.array(z.string()).optional() });

export const ApprovalRulesSchema = z.object({
  required: z.boolean().optional(),
  approvers: ApproverSetSchema,
  minApprovals: z.int().min(1),
  excludeAuthor: z.boolean(),
  excludeTrigger: z.boolean(),
  escalation: z.array(z.object({ after: z.string(), addApprovers: ApproverSetSchema.optional() })).optional(),
  deadline: z.string().optional(),
  onDeadline: z.enum(['reject', 'approve']).optional(),
}) satisfies z.ZodType<ApprovalRules>;

export const VoteSchema = z.object({
  approver: z.string(),
  verdict: z.enum(['approve', 'reject']),
  atMs: z.number(),
  comment: z.string().optional(),
});

export const ApprovalStatusSchema = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);

export const ApprovalRequestSchema = z.object({
  approvalId: z.string().min(1),
  /** Orchestration instance that waits for this request; decisions are raised into it. */
  instanceId: z.string().min(1),
  /** External event name the orchestration waits on. */
  eventName: z.string().min(1),
  kind: z.string().default('model-promotion'),
  model: z.string().min(1),
  version: z.string().min(1),
  status: ApprovalStatusSchema,
  createdAt: z.string(),
  deadlineAt: z.string().optional(),
  rules: ApprovalRulesSchema,
  author: z.string().optional(),
  /** Where `author` came from; 'unknown' when nobody could be named (excludeAuthor then relies on unknownAuthor). */
  authorSource: z.enum(['registry-user-id', 'run-mlflow-user', 'event', 'unknown']).optional(),
  /** What an unknown author changed (e.g. one more approval required), shown in notices and the API. */
  authorNote: z.string().optional(),
  /** The direct channel that delivers each approver's own links (absent: no links are sent). */
  linkChannel: z.string().optional(),
  triggeredBy: z.string().optional(),
  votes: z.array(VoteSchema),
  /** Why a settled request settled: quorum, rejected, deadline, not-required, cancelled. */
  reason: z.string().optional(),
  closedAt: z.string().optional(),
  /**
   * Escalation steps the orchestration fired (0-based indexes), written only by `noteTimerEvent` (the timer
   * activity). A fired step's approvers may decide from then on, in addition to the time rule.
   */
  escalations: z.array(z.int()).default([]),
  remindersSent: z.int().default(0),
  /** When the approvers were first notified (absent: the request notification is still owed). */
  notifiedAt: z.string().optional(),
  summary: z.string().optional(),
});
export type ApprovalRequest = z.output<typeof ApprovalRequestSchema>;

export interface NewApprovalRequest {
  approvalId: string;
  instanceId: string;
  eventName: string;
  kind?: string;
  model: string;
  version: string;
  rules: ApprovalRules;
  author?: string;
  authorSource?: AuthorSource;
  authorNote?: string;
  linkChannel?: string;
  triggeredBy?: string;
  summary?: string;
}

export function newRequest(input: NewApprovalRequest, nowMs: number): ApprovalRequest {
  const createdAt = new Date(nowMs).toISOString();
  const initial = initialApprovalOutcome(input.rules);
  const req: ApprovalRequest = {
    approvalId: input.approvalId,
    instanceId: input.instanceId,
    eventName: input.eventName,
    kind: input.kind ?? 'model-promotion',
    model: input.model,
    version: input.version,
    status: initial.status,
    createdAt,
    rules: input.rules,
    votes: [],
    escalations: [],
    remindersSent: 0,
  };
  if (input.rules.deadline !== undefined)
    req.deadlineAt = new Date(nowMs + parseDuration(input.rules.deadline)).toISOString();
  if (input.author !== undefined) req.author = input.author;
  if (input.authorSource !== undefined) req.authorSource = input.authorSource;
  if (input.authorNote !== undefined) req.authorNote = input.authorNote;
  if (input.linkChannel !== undefined) req.linkChannel = input.linkChannel;
  if (input.triggeredBy !== undefined) req.triggeredBy = input.triggeredBy;
  if (input.summary !== undefined) req.summary = input.summary;
  if (initial.status !== 'pending') {
    req.reason = initial.reason ?? 'not-required';
    req.closedAt = createdAt;
  }
  return req;
}

/** The decision state of a request; `escalations` (written only by the timer activity) lets fired steps' approvers vote. */
export function toState(req: ApprovalRequest): ApprovalState {
  const s: ApprovalState = {
    createdAt: req.createdAt,
    status: req.status,
    votes: req.votes,
    escalationsFired: req.escalations,
  };
  if (req.author !== undefined) s.author = req.author;
  if (req.triggeredBy !== undefined) s.triggeredBy = req.triggeredBy;
  return s;
}

export type ApplyDecision =
  | { kind: 'accepted'; next: ApprovalRequest; result: Extract<DecisionResult, { accepted: true }> }
  | { kind: 'refused'; result: Extract<DecisionResult, { accepted: false }> };

/** Pure: the request after one decision, or the refusal. */
export function applyDecision(req: ApprovalRequest, input: DecisionInput): ApplyDecision {
  const result = decideApproval(toState(req), req.rules, input);
  if (!result.accepted) return { kind: 'refused', result };
  const next: ApprovalRequest = { ...req, votes: [...result.state.votes], status: result.outcome.status };
  if (result.outcome.status !== 'pending') {
    next.closedAt = new Date(toMs(input.at)).toISOString();
    if (result.outcome.reason !== undefined) next.reason = result.outcome.reason;
  }
  return { kind: 'accepted', next, result };
}

/** Pure: the request after its deadline passed at `now` (unchanged when not due or already settled). */
export function applyDeadline(req: ApprovalRequest, now: number): { changed: boolean; next: ApprovalRequest } {
  if (req.status !== 'pending') return { changed: false, next: req };
  const outcome = deadlineOutcome(toState(req), req.rules, now);
  if (outcome.status === 'pending') return { changed: false, next: req };
  return {
    changed: true,
    next: {
      ...req,
      status: outcome.status,
      reason: outcome.reason ?? 'deadline',
      closedAt: new Date(now).toISOString(),
    },
  };
}

export function isSettled(req: Pick<ApprovalRequest, 'status'>): boolean {
  return req.status !== 'pending';
}

/** The decision rules of a policy approval section (schema output → the pure rules). */
export function rulesFromPolicy(a: Approval): ApprovalRules {
  const rules: ApprovalRules = {
    required: a.required,
    approvers: a.approvers,
    minApprovals: a.minApprovals,
    excludeAuthor: a.excludeAuthor,
    excludeTrigger: a.excludeTrigger,
    escalation: a.escalation.map((s) =>
      s.addApprovers ? { after: s.after, addApprovers: s.addApprovers } : { after: s.after },
    ),
    onDeadline: a.onDeadline,
  };
  if (a.deadline !== undefined) rules.deadline = a.deadline;
  return rules;
}
