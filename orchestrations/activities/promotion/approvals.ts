/**
 * Activities of the approval step. The request is created (and its notification with signed links sent) BEFORE the
 * orchestrator waits; reads go to the store, the source of truth; the deadline and timer events are conditional
 * writes that lose cleanly to a decision written first.
 */
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import type { ApprovalRules } from '../../../shared/decisions/approval';
import { approvalIdFor } from '../../../shared/approvals/ids';
import { newRequest, type ApprovalRequest } from '../../../shared/approvals/model';
import { approvalFacts, linkActions } from '../../../shared/approvals/notice';
import { closeAtDeadline, markNotified, noteTimerEvent } from '../../../shared/approvals/service';
import { approvalSettings } from '../../../shared/approvals/settings';
import { TableApprovalStore } from '../../../shared/approvals/store';
import { NotFoundError } from '../../../shared/errors';
import { Approval } from '../../../shared/policy';
import { loadPolicy } from '../../../shared/policy/load';
import { policyFile } from '../../../shared/promotion/env';
import type { ApprovalDeadlineInput, ApprovalRef, ApprovalTimerEventInput, CreateApprovalInput } from '../../../shared/promotion/messages';
import { APPROVAL_DECISION_EVENT, PROMOTION_ACTIVITIES as A } from '../../../shared/promotion/names';
import { sendNotice } from '../../../shared/promotion/notify';

function rulesOf(a: Approval): ApprovalRules {
  const rules: ApprovalRules = {
    required: a.required,
    approvers: a.approvers,
    minApprovals: a.minApprovals,
    excludeAuthor: a.excludeAuthor,
    excludeTrigger: a.excludeTrigger,
    escalation: a.escalation.map((s) => (s.addApprovers ? { after: s.after, addApprovers: s.addApprovers } : { after: s.after })),
    onDeadline: a.onDeadline,
  };
  if (a.deadline !== undefined) rules.deadline = a.deadline;
  return rules;
}

async function notifyApproval(req: ApprovalRequest, event: string, title: string, channels: readonly string[], reportUrl: string | undefined, context: InvocationContext): Promise<void> {
  try {
    const policy = await loadPolicy(policyFile());
    const actions = linkActions(req, approvalSettings(), Date.now());
    if (reportUrl) actions.push({ label: 'Validation report', url: reportUrl });
    const results = await sendNotice(policy, channels, { event, model: req.model, title, text: req.summary ?? '', facts: approvalFacts(req), actions, correlationId: req.approvalId }, process.env);
    for (const r of results.filter((x) => !x.ok)) context.warn('approval notification not delivered', { approvalId: req.approvalId, channel: r.channel, error: r.error });
  } catch (e) {
    context.warn('approval notification failed', { approvalId: req.approvalId, error: (e as Error).message });
  }
}

export async function promotionCreateApproval(input: CreateApprovalInput, context: InvocationContext): Promise<ApprovalRequest> {
  const approval = Approval.parse(input.approval);
  const store = TableApprovalStore.fromEnv();
  const fresh = newRequest(
    {
      approvalId: approvalIdFor(input.instanceId),
      instanceId: input.instanceId,
      eventName: APPROVAL_DECISION_EVENT,
      kind: input.kind ?? 'model-promotion',
      model: input.model.name,
      version: input.model.version,
      rules: rulesOf(approval),
      ...(input.model.author !== undefined ? { author: input.model.author } : {}),
      ...(input.trigger.triggeredBy !== undefined ? { triggeredBy: input.trigger.triggeredBy } : {}),
      summary: input.summary,
    },
    Date.now(),
  );
  const stored = await store.create(fresh);
  context.info('approval request stored', { approvalId: stored.approvalId, instanceId: input.instanceId, status: stored.status, created: stored === fresh });
  // Notified at least once: a retry after a crash between create and notify still notifies; after notify, never again.
  if (stored.status === 'pending' && stored.notifiedAt === undefined) {
    await notifyApproval(stored, 'approval.requested', `Approval needed: ${stored.model} v${stored.version}`, input.notify, input.reportUrl, context);
    return markNotified(store, stored.approvalId, Date.now());
  }
  return stored;
}

async function read(approvalId: string): Promise<ApprovalRequest> {
  const got = await TableApprovalStore.fromEnv().get(approvalId);
  if (!got) throw new NotFoundError('APPROVAL_NOT_FOUND', `approval ${approvalId} is not in the store`);
  return got.request;
}

df.app.activity(A.createApproval, { handler: promotionCreateApproval });

df.app.activity(A.readApproval, {
  handler: async (input: ApprovalRef): Promise<ApprovalRequest> => read(input.approvalId),
});

df.app.activity(A.approvalDeadline, {
  handler: async (input: ApprovalDeadlineInput, context: InvocationContext): Promise<ApprovalRequest> => {
    // The timer fired at or after the deadline; never settle earlier than the deadline itself.
    const req = await closeAtDeadline(TableApprovalStore.fromEnv(), input.approvalId, Math.max(Date.now(), input.atMs));
    context.info('approval deadline handled', { approvalId: input.approvalId, status: req.status, reason: req.reason });
    return req;
  },
});

df.app.activity(A.approvalTimerEvent, {
  handler: async (input: ApprovalTimerEventInput, context: InvocationContext): Promise<ApprovalRequest> => {
    const req = await noteTimerEvent(TableApprovalStore.fromEnv(), input.approvalId, { kind: input.kind, index: input.index });
    if (req.status === 'pending') {
      const title = input.kind === 'escalation' ? `Approval escalated: ${req.model} v${req.version}` : `Reminder: approval needed for ${req.model} v${req.version}`;
      await notifyApproval(req, input.kind === 'escalation' ? 'approval.escalated' : 'approval.reminder', title, input.channels, input.reportUrl, context);
    }
    context.info('approval timer event', { approvalId: input.approvalId, kind: input.kind, index: input.index });
    return req;
  },
});
