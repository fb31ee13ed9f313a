/**
 * The approvals inbox: the requests the signed-in person may see (the same `canSee` rule as GET /api/approvals),
 * each with its validation results and champion comparison (from the promotion's validation records), and whether
 * this person may vote now (a dry run of the same decision rules the decision route applies; the route decides).
 */
import { canSee } from '../approvals/api';
import type { ApprovalRequest } from '../approvals/model';
import { toState } from '../approvals/model';
import type { ApprovalStore } from '../approvals/store';
import type { Identity } from '../auth/identity';
import { decideApproval } from '../decisions/approval';
import { listValidations } from '../promotion/records';
import type { ComparisonRow, InboxItem, InboxView, ValidationView } from './schemas';

type Row = Awaited<ReturnType<typeof listValidations>>[number];
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

export function validationView(r: Row): ValidationView {
  const details = rec(r.details);
  const thresholds = Array.isArray(details['thresholds'])
    ? (details['thresholds'] as unknown[]).map(rec).map((t) => ({
        metric: s(t['metric']) ?? '',
        status: s(t['status']) ?? '',
        message: s(t['message']) ?? '',
        ...(num(t['value']) !== undefined ? { value: num(t['value']) } : {}),
        ...(num(t['min']) !== undefined ? { min: num(t['min']) } : {}),
        ...(num(t['max']) !== undefined ? { max: num(t['max']) } : {}),
      }))
    : [];
  const c = details['champion'] ? rec(details['champion']) : undefined;
  const rows: ComparisonRow[] =
    c && Array.isArray(c['results'])
      ? (c['results'] as unknown[]).map(rec).map((x) => ({
          metric: s(x['metric']) ?? '',
          status: s(x['status']) ?? '',
          message: s(x['message']) ?? '',
          ...(num(x['challenger']) !== undefined ? { challenger: num(x['challenger']) } : {}),
          ...(num(x['champion']) !== undefined ? { champion: num(x['champion']) } : {}),
          ...(num(x['delta']) !== undefined ? { delta: num(x['delta']) } : {}),
          ...(num(x['relativeDelta']) !== undefined ? { relativeDelta: num(x['relativeDelta']) } : {}),
        }))
      : [];
  return {
    id: r.checkId,
    type: r.type,
    severity: r.severity,
    status: r.status,
    message: r.message,
    thresholds,
    ...(c
      ? {
          champion: {
            passed: c['passed'] === true,
            hasChampion: c['hasChampion'] === true,
            rows,
            ...(s(c['note']) ? { note: s(c['note']) } : {}),
            ...(s(c['championVersion']) ? { championVersion: s(c['championVersion']) } : {}),
          },
        }
      : {}),
  };
}

export function voteEligibility(
  r: ApprovalRequest,
  who: Identity,
  nowMs: number,
): { canVote: boolean; whyNot?: string } {
  const d = decideApproval(toState(r), r.rules, {
    actor: { id: who.id, groups: who.groups },
    verdict: 'approve',
    at: nowMs,
  });
  return d.accepted ? { canVote: true } : { canVote: false, whyNot: d.message };
}

export function inboxItem(r: ApprovalRequest, validations: readonly Row[], who: Identity, nowMs: number): InboxItem {
  return {
    id: r.approvalId,
    model: r.model,
    version: r.version,
    status: r.status,
    createdAt: r.createdAt,
    instanceId: r.instanceId,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.summary ? { summary: r.summary } : {}),
    ...(r.author ? { author: r.author } : {}),
    ...(r.triggeredBy ? { triggeredBy: r.triggeredBy } : {}),
    ...(r.deadlineAt ? { deadlineAt: r.deadlineAt } : {}),
    ...(r.closedAt ? { closedAt: r.closedAt } : {}),
    approvals: r.votes.filter((v) => v.verdict === 'approve').length,
    minApprovals: r.rules.minApprovals,
    approvers: { users: [...(r.rules.approvers.users ?? [])], groups: [...(r.rules.approvers.groups ?? [])] },
    votes: r.votes.map((v) => ({
      approver: v.approver,
      verdict: v.verdict,
      at: new Date(v.atMs).toISOString(),
      ...(v.comment ? { comment: v.comment } : {}),
    })),
    validations: validations.map(validationView),
    ...voteEligibility(r, who, nowMs),
  };
}

export async function inboxView(
  store: ApprovalStore,
  who: Identity,
  filter: { status: string; model?: string },
  nowMs: number,
): Promise<InboxView> {
  const all = await store.list({
    ...(filter.status !== 'all' ? { status: filter.status } : {}),
    ...(filter.model ? { model: filter.model } : {}),
    limit: 5000,
  });
  const visible = all.filter((r) => canSee(r, who)).slice(0, 100);
  const items = await Promise.all(
    visible.map(async (r) => inboxItem(r, await listValidations(r.instanceId).catch(() => []), who, nowMs)),
  );
  // What waits on this person first; the rest (operators see every request) read-only after it.
  return { items: [...items.filter((i) => i.canVote), ...items.filter((i) => !i.canVote)] };
}
