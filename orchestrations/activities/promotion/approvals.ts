/**
 * Activities of the approval step. The request is created (and its notices sent: a shared notice without links to
 * the channels, each approver's own links through the direct link channel) BEFORE the orchestrator waits; reads go
 * to the store, the source of truth; the deadline and timer events are conditional writes that lose cleanly to a
 * decision written first.
 */
import type { InvocationContext } from '@azure/functions';
import { unknownAuthorEffect, type AuthorSource } from '../../../shared/decisions/approval';
import { approvalIdFor } from '../../../shared/approvals/ids';
import { appendAudit } from '../../../shared/audit';
import { newRequest, rulesFromPolicy, type ApprovalRequest } from '../../../shared/approvals/model';
import { approvalDetailsUrl, approvalFacts, recipientLinks } from '../../../shared/approvals/notice';
import { closeAtDeadline, markNotified, noteTimerEvent } from '../../../shared/approvals/service';
import { approvalSettings } from '../../../shared/approvals/settings';
import { TableApprovalStore } from '../../../shared/approvals/store';
import { NotFoundError } from '../../../shared/errors';
import { Approval } from '../../../shared/policy';
import { loadPolicy } from '../../../shared/policy/load';
import { policyFile } from '../../../shared/promotion/env';
import type {
  ApprovalDeadlineInput,
  ApprovalRef,
  ApprovalTimerEventInput,
  CreateApprovalInput,
} from '../../../shared/promotion/messages';
import { APPROVAL_DECISION_EVENT } from '../../../shared/promotion/names';
import { services } from '../../../shared/services';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

async function notifyApproval(
  req: ApprovalRequest,
  event: string,
  title: string,
  channels: readonly string[],
  reportUrl: string | undefined,
  context: InvocationContext,
): Promise<void> {
  try {
    const policy = await loadPolicy(policyFile());
    const settings = approvalSettings();
    const facts = approvalFacts(req);
    const detailsUrl = approvalDetailsUrl(req, settings);
    // The shared notice: what waits and where, never a decision link.
    const actions = [
      { label: 'Open the approval', url: detailsUrl },
      ...(reportUrl ? [{ label: 'Validation report', url: reportUrl }] : []),
    ];
    const results = await services()
      .notifier()
      .sendNotice(policy, channels, {
        event,
        model: req.model,
        title,
        text: [req.summary ?? '', req.authorNote ?? ''].filter(Boolean).join('\n'),
        facts,
        actions,
        correlationId: req.approvalId,
      });
    for (const r of results.filter((x) => !x.ok))
      context.warn('approval notification not delivered', {
        approvalId: req.approvalId,
        channel: r.channel,
        error: r.error,
      });
    // Each approver's own links, through the direct channel only.
    if (req.linkChannel !== undefined) {
      const links = recipientLinks(req, settings, Date.now());
      const sent = await services()
        .notifier()
        .sendApprovalLinks(policy, req.linkChannel, links, {
          event,
          approvalId: req.approvalId,
          title,
          text: req.summary ?? '',
          facts: { model: req.model, ...facts },
          detailsUrl,
        });
      for (const r of sent) {
        if (r.ok)
          context.info('approval links delivered', {
            approvalId: req.approvalId,
            channel: r.channel,
            recipient: r.recipient,
          });
        else
          context.warn('approval links not delivered', {
            approvalId: req.approvalId,
            channel: r.channel,
            recipient: r.recipient,
            error: r.error,
          });
      }
    }
  } catch (e) {
    context.warn('approval notification failed', { approvalId: req.approvalId, error: (e as Error).message });
  }
}

export async function promotionCreateApproval(
  input: CreateApprovalInput,
  context: InvocationContext,
): Promise<ApprovalRequest> {
  const approval = Approval.parse(input.approval);
  const store = TableApprovalStore.fromEnv();
  const kind = input.kind ?? 'model-promotion';
  const authorSource: AuthorSource =
    input.model.authorSource ?? (input.model.author !== undefined ? 'event' : 'unknown');
  let rules = rulesFromPolicy(approval);
  const effect = unknownAuthorEffect(
    rules,
    authorSource,
    approval.unknownAuthor,
    input.trigger.triggeredBy !== undefined ? { triggeredBy: input.trigger.triggeredBy } : {},
  );
  // 'block' is decided by the orchestrator before it asks; here an unknown author can only add approvals.
  if (effect.action === 'extra-approval') rules = { ...rules, minApprovals: effect.minApprovals };
  const fresh = newRequest(
    {
      // Legacy id (no execution) for callers that do not pass one; the legacy kind key stays 'promotion'.
      approvalId:
        input.execution === undefined
          ? approvalIdFor(input.instanceId)
          : approvalIdFor(input.instanceId, kind, input.execution),
      instanceId: input.instanceId,
      eventName: APPROVAL_DECISION_EVENT,
      kind,
      model: input.model.name,
      version: input.model.version,
      rules,
      ...(input.model.author !== undefined ? { author: input.model.author } : {}),
      authorSource,
      ...(effect.action === 'extra-approval' ? { authorNote: effect.note } : {}),
      ...(approval.linkChannel !== undefined ? { linkChannel: approval.linkChannel } : {}),
      ...(input.trigger.triggeredBy !== undefined ? { triggeredBy: input.trigger.triggeredBy } : {}),
      summary: effect.action === 'extra-approval' ? `${input.summary} (${effect.note})` : input.summary,
    },
    Date.now(),
  );
  const stored = await store.create(fresh);
  context.info('approval request stored', {
    approvalId: stored.approvalId,
    instanceId: input.instanceId,
    status: stored.status,
    created: stored === fresh,
    authorSource,
  });
  if (stored === fresh) {
    // Audited once, when this attempt created the request (a retried activity finds it and writes nothing).
    await appendAudit({
      action: 'approval.requested',
      actor: 'stagecraft',
      target: stored.approvalId,
      requestId: input.instanceId,
      outcome: 'accepted',
      details: {
        kind,
        model: stored.model,
        version: stored.version,
        authorSource,
        minApprovals: stored.rules.minApprovals,
      },
    });
  }
  // Notified at least once: a retry after a crash between create and notify still notifies; after notify, never again.
  if (stored.status === 'pending' && stored.notifiedAt === undefined) {
    const what =
      kind === 'rollback'
        ? `Rollback approval needed: ${stored.model} to v${stored.version}`
        : `Approval needed: ${stored.model} v${stored.version}`;
    await notifyApproval(stored, 'approval.requested', what, input.notify, input.reportUrl, context);
    return markNotified(store, stored.approvalId, Date.now());
  }
  return stored;
}

async function read(approvalId: string): Promise<ApprovalRequest> {
  const got = await TableApprovalStore.fromEnv().get(approvalId);
  if (!got) throw new NotFoundError('APPROVAL_NOT_FOUND', `approval ${approvalId} is not in the store`);
  return got.request;
}

registerActivity(PromotionActivities.createApproval, { handler: promotionCreateApproval });

registerActivity(PromotionActivities.readApproval, {
  handler: async (input: ApprovalRef): Promise<ApprovalRequest> => read(input.approvalId),
});

registerActivity(PromotionActivities.approvalDeadline, {
  handler: async (input: ApprovalDeadlineInput, context: InvocationContext): Promise<ApprovalRequest> => {
    // The timer fired at or after the deadline; never settle earlier than the deadline itself.
    const req = await closeAtDeadline(TableApprovalStore.fromEnv(), input.approvalId, Math.max(Date.now(), input.atMs));
    context.info('approval deadline handled', { approvalId: input.approvalId, status: req.status, reason: req.reason });
    return req;
  },
});

registerActivity(PromotionActivities.approvalTimerEvent, {
  handler: async (input: ApprovalTimerEventInput, context: InvocationContext): Promise<ApprovalRequest> => {
    const req = await noteTimerEvent(TableApprovalStore.fromEnv(), input.approvalId, {
      kind: input.kind,
      index: input.index,
    });
    if (req.status === 'pending') {
      const title =
        input.kind === 'escalation'
          ? `Approval escalated: ${req.model} v${req.version}`
          : `Reminder: approval needed for ${req.model} v${req.version}`;
      await notifyApproval(
        req,
        input.kind === 'escalation' ? 'approval.escalated' : 'approval.reminder',
        title,
        input.channels,
        input.reportUrl,
        context,
      );
    }
    context.info('approval timer event', { approvalId: input.approvalId, kind: input.kind, index: input.index });
    return req;
  },
});
