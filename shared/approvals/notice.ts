/**
 * What approval notifications say, and the one-click links each approver gets.
 *
 * Invariants:
 * - Shared notices (Teams, Slack, webhook channels) say what waits and where (approval id, details URL, deadline,
 *   approvals needed) and carry NO decision link: a link is a bearer token for one approver's vote.
 * - Links are made per approver for the named users in force (base approvers plus escalation steps due or fired),
 *   minus the excluded author/trigger and anyone who already voted, and go to that approver alone through the
 *   policy's direct channel (`approval.linkChannel`). Group members decide through the API.
 * - Links expire at min(now + TTL, deadline) and are single use.
 */
import { effectiveApprovers, normalizeIdentity } from '../decisions/approval';
import { approvalLinks, type DecisionLinks } from './links';
import type { ApprovalRequest } from './model';
import type { ApprovalSettings } from './settings';

/** The people who get links now, each with their own pair (empty without a signing secret or once settled). */
export function recipientLinks(req: ApprovalRequest, settings: ApprovalSettings, nowMs: number): DecisionLinks[] {
  const secret = settings.linkSecrets[0];
  if (!secret || req.status !== 'pending') return [];
  const { users } = effectiveApprovers(req.rules, req.createdAt, nowMs, req.escalations);
  const excluded = new Set(
    [
      req.rules.excludeAuthor ? req.author : undefined,
      req.rules.excludeTrigger ? req.triggeredBy : undefined,
      ...req.votes.map((v) => v.approver),
    ]
      .filter((x): x is string => !!x)
      .map(normalizeIdentity),
  );
  const seen = new Set<string>();
  const eligible = users.filter((u) => {
    const k = normalizeIdentity(u);
    if (excluded.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return approvalLinks({
    approvalId: req.approvalId,
    approvers: eligible,
    baseUrl: settings.publicBaseUrl,
    secret,
    nowMs,
    ttlMs: settings.linkTtlMs,
    ...(req.deadlineAt ? { deadlineMs: Date.parse(req.deadlineAt) } : {}),
  });
}

/** Where the request is seen and decided (needs sign-in; not a decision link). */
export function approvalDetailsUrl(
  req: Pick<ApprovalRequest, 'approvalId'>,
  settings: Pick<ApprovalSettings, 'publicBaseUrl'>,
): string {
  return `${settings.publicBaseUrl}/api/approvals/${encodeURIComponent(req.approvalId)}`;
}

export function approvalFacts(req: ApprovalRequest): Record<string, string> {
  const approvers = [
    ...(req.rules.approvers.users ?? []),
    ...(req.rules.approvers.groups ?? []).map((g) => `group:${g}`),
  ].join(', ');
  const author = req.author !== undefined ? `${req.author} (${req.authorSource ?? 'event'})` : 'unknown';
  return {
    version: req.version,
    approval: req.approvalId,
    approvers,
    needed: String(req.rules.minApprovals),
    author,
    ...(req.authorNote ? { 'author note': req.authorNote } : {}),
    ...(req.deadlineAt ? { deadline: req.deadlineAt } : {}),
    decide: req.linkChannel
      ? `through the API/console; each approver also gets their own link (${req.linkChannel})`
      : 'through the API/console (POST /api/approvals/{id}/decision)',
  };
}
