/**
 * The approval HTTP API as plain functions over an authenticated caller (functions/approvals.ts declares the
 * routes; functions/lib/route.ts authenticates before these run):
 * list and get (only requests the caller may act on; operators see all), decide, and the one-click link (GET shows
 * a confirmation page, POST decides: a GET never changes state, so mail scanners that prefetch links cannot cast a
 * vote). A link names one request, one approver and one decision; it counts only when the authenticated caller IS
 * that approver — the link alone is never a credential.
 *
 * Accepted decisions are raised into the waiting orchestration through `raise`; the store stays the source of
 * truth (the orchestrator re-reads it), so a failed raise loses nothing: the next timer wake-up sees the decision.
 * Every decision (accepted or refused, link refusals included) is audited.
 */
import { z } from 'zod';
import type { AuditEntry } from '../audit';
import { hasRole, type Identity } from '../auth/identity';
import { Forbidden } from '../auth/policy';
import { normalizeIdentity } from '../decisions/approval';
import { AuthError, isStagecraftError, NotFoundError } from '../errors';
import { verifyLink, type LinkClaims } from './links';
import type { ApprovalRequest } from './model';
import { escapeHtml } from '../promotion/report';
import { approvalView, decide, type DecideOutcome } from './service';
import type { ApprovalSettings } from './settings';
import type { ApprovalStore } from './store';

export interface ApiRequest {
  headers: ReadonlyMap<string, string>;
  query: ReadonlyMap<string, string>;
  params: Readonly<Record<string, string | undefined>>;
  body: string;
}

export interface ApiResponse {
  status: number;
  json?: unknown;
  html?: string;
}

export interface ApiDeps {
  store: ApprovalStore;
  settings: ApprovalSettings;
  now: () => number;
  /** Raises the decision event into the orchestration; rejects when the instance cannot take it. */
  raise: (instanceId: string, eventName: string, payload: unknown) => Promise<void>;
  log: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
  audit: (entry: AuditEntry) => Promise<void>;
}

export const DecisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject'], { error: "must be 'approve' or 'reject'" }),
  comment: z.string().max(2000, { error: 'must be at most 2000 characters' }).optional(),
});

export const ListQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']).optional(),
  model: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type ListQuery = z.output<typeof ListQuery>;

export const ApprovalIdParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be an approval id (letters, digits, _ and -)' }),
});

function errorResponse(e: unknown): ApiResponse {
  if (isStagecraftError(e) && e.status < 500) return { status: e.status, json: { error: e.toJSON() } };
  throw e;
}

/** Whether `who` may see (and so act on) a request: its approvers (any step, users or groups), or an operator. */
export function canSee(r: ApprovalRequest, who: Identity): boolean {
  if (hasRole(who, 'operator')) return true;
  const sets = [r.rules.approvers, ...(r.rules.escalation ?? []).map((s) => s.addApprovers ?? {})];
  const me = normalizeIdentity(who.id);
  const mine = new Set(who.groups.map(normalizeIdentity));
  return sets.some(
    (s) =>
      (s.users ?? []).some((u) => normalizeIdentity(u) === me) ||
      (s.groups ?? []).some((g) => mine.has(normalizeIdentity(g))),
  );
}

async function raiseAccepted(deps: ApiDeps, outcome: DecideOutcome): Promise<void> {
  if (!outcome.accepted || outcome.duplicate) return;
  const r = outcome.request;
  try {
    await deps.raise(r.instanceId, r.eventName, { approvalId: r.approvalId, status: r.status });
  } catch (e) {
    deps.log('warn', 'decision stored but not raised into the orchestration; it will see it on its next wake-up', {
      approvalId: r.approvalId,
      instanceId: r.instanceId,
      error: (e as Error).message,
    });
  }
}

function decisionResponse(outcome: DecideOutcome): ApiResponse {
  if (outcome.accepted) {
    return {
      status: 200,
      json: {
        accepted: true,
        duplicate: outcome.duplicate,
        message: outcome.message,
        approval: approvalView(outcome.request),
      },
    };
  }
  return {
    status: outcome.status,
    json: {
      accepted: false,
      error: { code: outcome.code, message: outcome.message },
      approval: approvalView(outcome.request),
    },
  };
}

function auditDecision(
  deps: ApiDeps,
  who: Identity,
  id: string,
  verdict: string,
  outcome: DecideOutcome,
  via: string,
): Promise<void> {
  return deps.audit({
    action: 'approval.decision',
    actor: who.id,
    via,
    target: id,
    outcome: outcome.accepted ? 'accepted' : 'refused',
    ...(outcome.accepted ? {} : { reason: outcome.code }),
    details: {
      decision: verdict,
      model: outcome.request.model,
      version: outcome.request.version,
      status: outcome.request.status,
      ...(outcome.accepted && outcome.duplicate ? { duplicate: true } : {}),
    },
  });
}

export async function listApprovals(query: ListQuery, who: Identity, deps: ApiDeps): Promise<ApiResponse> {
  const items = await deps.store.list({
    ...(query.status ? { status: query.status } : {}),
    ...(query.model ? { model: query.model } : {}),
    limit: 5000,
  });
  const visible = items.filter((r) => canSee(r, who)).slice(0, query.limit ?? 100);
  return { status: 200, json: { approvals: visible.map(approvalView) } };
}

/** 404 for a request the caller may not see (its existence is not revealed). */
async function visibleRequest(id: string, who: Identity, deps: ApiDeps): Promise<ApprovalRequest> {
  const got = await deps.store.get(id);
  if (!got || !canSee(got.request, who))
    throw new NotFoundError('APPROVAL_NOT_FOUND', `no approval request '${id}' that you may act on`);
  return got.request;
}

export async function getApproval(id: string, who: Identity, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const request = await visibleRequest(id, who, deps);
    const attempts = await deps.store.attempts(id);
    return { status: 200, json: { approval: approvalView(request), attempts } };
  } catch (e) {
    return errorResponse(e);
  }
}

export async function postDecision(
  id: string,
  body: z.output<typeof DecisionBody>,
  who: Identity,
  deps: ApiDeps,
): Promise<ApiResponse> {
  try {
    const outcome = await decide(deps.store, {
      approvalId: id,
      actor: who,
      verdict: body.decision,
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      nowMs: deps.now(),
    });
    deps.log('info', 'approval decision', {
      approvalId: id,
      actor: who.id,
      via: who.via,
      decision: body.decision,
      accepted: outcome.accepted,
      code: outcome.accepted ? 'ACCEPTED' : outcome.code,
    });
    await auditDecision(deps, who, id, body.decision, outcome, who.via);
    await raiseAccepted(deps, outcome);
    return decisionResponse(outcome);
  } catch (e) {
    return errorResponse(e);
  }
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:40rem}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}

function describe(r: ApprovalRequest): string {
  return `<p>${escapeHtml(r.model)} version ${escapeHtml(r.version)} — status <strong>${escapeHtml(r.status)}</strong>${r.deadlineAt ? `, deadline ${escapeHtml(r.deadlineAt)}` : ''}</p>${r.summary ? `<p>${escapeHtml(r.summary)}</p>` : ''}`;
}

/** Verifies the link and that the caller is its approver; refusals are audited (the link's approver named). */
async function checkLink(id: string, token: string, who: Identity, deps: ApiDeps, method: string): Promise<LinkClaims> {
  let claims: LinkClaims | undefined;
  try {
    claims = verifyLink(token, deps.settings.linkSecrets, deps.now());
    if (claims.a !== id)
      throw new AuthError('APPROVAL_LINK_INVALID', 'the approval link is invalid (it names another request)');
    if (normalizeIdentity(claims.u) !== normalizeIdentity(who.id)) {
      throw new Forbidden(
        'APPROVAL_LINK_NOT_YOURS',
        `this link is ${claims.u}'s; you are signed in as ${who.id}. A link only works for the approver it names`,
        { linkApprover: claims.u, caller: who.id },
      );
    }
    return claims;
  } catch (e) {
    if (isStagecraftError(e)) {
      await deps.audit({
        action: 'approval.link',
        actor: who.id,
        via: who.via,
        target: id,
        outcome: 'refused',
        reason: e.code,
        details: { method, ...(claims ? { linkApprover: claims.u, decision: claims.d } : {}) },
      });
    }
    throw e;
  }
}

/** GET: the caller must be the link's approver; shows what the link will do, with a button that POSTs it. */
export async function linkPage(id: string, token: string, who: Identity, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const claims = await checkLink(id, token, who, deps, 'GET');
    const got = await deps.store.get(id);
    if (!got) throw new NotFoundError('APPROVAL_NOT_FOUND', `no approval request '${id}'`);
    const action = `/api/approvals/${encodeURIComponent(id)}/link?t=${encodeURIComponent(token)}`;
    const form =
      got.request.status === 'pending'
        ? `<form method="post" action="${escapeHtml(action)}"><label>Comment <input name="comment" maxlength="2000"></label> <button type="submit">${claims.d === 'approve' ? 'Approve' : 'Reject'} as ${escapeHtml(claims.u)}</button></form>`
        : '<p>This request is closed.</p>';
    return {
      status: 200,
      html: page(
        `${claims.d === 'approve' ? 'Approve' : 'Reject'} ${got.request.model} v${got.request.version}?`,
        describe(got.request) + form,
      ),
    };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500)
      return {
        status: e.status,
        json: { error: e.toJSON() },
        html: page('Approval link', `<p>${escapeHtml(e.message)}</p>`),
      };
    throw e;
  }
}

/** POST: verify, check the caller is the link's approver, claim the single-use nonce, decide as that caller. */
export async function linkDecision(
  id: string,
  token: string | undefined,
  formBody: string,
  who: Identity,
  deps: ApiDeps,
): Promise<ApiResponse> {
  try {
    const form = new URLSearchParams(formBody);
    const t = token ?? form.get('t') ?? '';
    const claims = await checkLink(id, t, who, deps, 'POST');
    const at = new Date(deps.now()).toISOString();
    if (!(await deps.store.claimLinkNonce(id, claims.n, claims.u, at))) {
      const used = new AuthError('APPROVAL_LINK_USED', 'this approval link was already used; each link works once', {
        status: 410,
      });
      await deps.audit({
        action: 'approval.link',
        actor: who.id,
        via: who.via,
        target: id,
        outcome: 'refused',
        reason: used.code,
        details: { method: 'POST', decision: claims.d },
      });
      throw used;
    }
    const comment = form.get('comment')?.slice(0, 2000) || undefined;
    const outcome = await decide(deps.store, {
      approvalId: id,
      actor: { id: who.id, groups: who.groups, via: `link+${who.via}` },
      verdict: claims.d,
      ...(comment ? { comment } : {}),
      nowMs: deps.now(),
    });
    deps.log('info', 'approval decision by link', {
      approvalId: id,
      actor: who.id,
      decision: claims.d,
      accepted: outcome.accepted,
      code: outcome.accepted ? 'ACCEPTED' : outcome.code,
    });
    await auditDecision(deps, who, id, claims.d, outcome, `link+${who.via}`);
    await raiseAccepted(deps, outcome);
    const r = decisionResponse(outcome);
    return {
      status: r.status,
      json: r.json,
      html: page(
        outcome.accepted ? 'Decision recorded' : 'Decision refused',
        `<p>${escapeHtml(outcome.message)}</p>${describe(outcome.request)}`,
      ),
    };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500)
      return {
        status: e.status,
        json: { error: e.toJSON() },
        html: page('Approval link', `<p>${escapeHtml(e.message)}</p>`),
      };
    throw e;
  }
}
