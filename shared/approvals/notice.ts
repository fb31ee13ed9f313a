/**
 * What an approval notification says and which one-click links it carries. Links are made for the named users in
 * force at the time (base approvers plus escalation steps already fired); group members decide through the API.
 * Links expire at min(now + TTL, deadline) and are single use.
 */
import { effectiveApprovers } from '../decisions/approval';
import { approvalLinks } from './links';
import type { ApprovalRequest } from './model';
import type { ApprovalSettings } from './settings';

export function linkActions(req: ApprovalRequest, settings: ApprovalSettings, nowMs: number): Array<{ label: string; url: string }> {
  const secret = settings.linkSecrets[0];
  if (!secret || req.status !== 'pending') return [];
  const { users } = effectiveApprovers(req.rules, req.createdAt, nowMs);
  const excluded = new Set([req.rules.excludeAuthor ? req.author : undefined, req.rules.excludeTrigger ? req.triggeredBy : undefined].filter((x): x is string => !!x).map((x) => x.toLowerCase()));
  const eligible = [...new Set(users)].filter((u) => !excluded.has(u.toLowerCase()));
  const links = approvalLinks({
    approvalId: req.approvalId,
    approvers: eligible,
    baseUrl: settings.publicBaseUrl,
    secret,
    nowMs,
    ttlMs: settings.linkTtlMs,
    ...(req.deadlineAt ? { deadlineMs: Date.parse(req.deadlineAt) } : {}),
  });
  return links.flatMap((l) => [
    { label: `Approve as ${l.approver}`, url: l.approve },
    { label: `Reject as ${l.approver}`, url: l.reject },
  ]);
}

export function approvalFacts(req: ApprovalRequest): Record<string, string> {
  const approvers = [...(req.rules.approvers.users ?? []), ...(req.rules.approvers.groups ?? []).map((g) => `group:${g}`)].join(', ');
  return {
    version: req.version,
    approval: req.approvalId,
    approvers,
    needed: String(req.rules.minApprovals),
    ...(req.deadlineAt ? { deadline: req.deadlineAt } : {}),
  };
}
