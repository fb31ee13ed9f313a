/**
 * The approval HTTP API as plain functions (functions/approvals.ts adapts them to Azure Functions):
 * list, get, decide (identified caller), and the one-click link (GET shows a confirmation page, POST decides:
 * a GET never changes state, so mail scanners that prefetch links cannot consume or cast a vote).
 *
 * Accepted decisions are raised into the waiting orchestration through `raise`; the store stays the source of
 * truth (the orchestrator re-reads it), so a failed raise loses nothing: the next timer wake-up sees the decision.
 */
import { z } from 'zod';
import { AuthError, isStagecraftError, NotFoundError, ValidationError } from '../errors';
import { validationErrorFrom } from '../events';
import { identify, type Identity } from './identity';
import { verifyLink } from './links';
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
}

const DecisionBody = z.strictObject({
  decision: z.enum(['approve', 'reject'], { error: "must be 'approve' or 'reject'" }),
  comment: z.string().max(2000, { error: 'must be at most 2000 characters' }).optional(),
});

const ListQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']).optional(),
  model: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

function errorResponse(e: unknown): ApiResponse {
  if (isStagecraftError(e) && e.status < 500) return { status: e.status, json: { error: e.toJSON() } };
  throw e;
}

function requireIdentity(req: ApiRequest, settings: ApprovalSettings): Identity {
  const who = identify(req.headers, req.query, settings);
  if (!who) throw new AuthError('APPROVAL_UNAUTHENTICATED', 'identify yourself: sign in (App Service authentication) or send your approver key as x-functions-key');
  return who;
}

function approvalIdParam(req: ApiRequest): string {
  const id = req.params['id'];
  if (!id || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new ValidationError('APPROVAL_ID_INVALID', 'id: must be an approval id (letters, digits, _ and -)');
  return id;
}

async function raiseAccepted(deps: ApiDeps, outcome: DecideOutcome): Promise<void> {
  if (!outcome.accepted || outcome.duplicate) return;
  const r = outcome.request;
  try {
    await deps.raise(r.instanceId, r.eventName, { approvalId: r.approvalId, status: r.status });
  } catch (e) {
    deps.log('warn', 'decision stored but not raised into the orchestration; it will see it on its next wake-up', { approvalId: r.approvalId, instanceId: r.instanceId, error: (e as Error).message });
  }
}

function decisionResponse(outcome: DecideOutcome): ApiResponse {
  if (outcome.accepted) {
    return { status: 200, json: { accepted: true, duplicate: outcome.duplicate, message: outcome.message, approval: approvalView(outcome.request) } };
  }
  return { status: outcome.status, json: { accepted: false, error: { code: outcome.code, message: outcome.message }, approval: approvalView(outcome.request) } };
}

export async function listApprovals(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    requireIdentity(req, deps.settings);
    const q = ListQuery.safeParse(Object.fromEntries(req.query));
    if (!q.success) throw validationErrorFrom('APPROVAL_QUERY_INVALID', 'query', q.error.issues);
    const items = await deps.store.list({ ...(q.data.status ? { status: q.data.status } : {}), ...(q.data.model ? { model: q.data.model } : {}), limit: q.data.limit ?? 100 });
    return { status: 200, json: { approvals: items.map(approvalView) } };
  } catch (e) {
    return errorResponse(e);
  }
}

export async function getApproval(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    requireIdentity(req, deps.settings);
    const id = approvalIdParam(req);
    const got = await deps.store.get(id);
    if (!got) throw new NotFoundError('APPROVAL_NOT_FOUND', `no approval request '${id}'`);
    const attempts = await deps.store.attempts(id);
    return { status: 200, json: { approval: approvalView(got.request), attempts } };
  } catch (e) {
    return errorResponse(e);
  }
}

export async function postDecision(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const who = requireIdentity(req, deps.settings);
    const id = approvalIdParam(req);
    let raw: unknown;
    try {
      raw = req.body.trim() === '' ? {} : JSON.parse(req.body);
    } catch {
      throw new ValidationError('APPROVAL_BODY_INVALID', 'body: must be JSON like {"decision":"approve","comment":"..."}');
    }
    const body = DecisionBody.safeParse(raw);
    if (!body.success) throw validationErrorFrom('APPROVAL_BODY_INVALID', 'body', body.error.issues);
    const outcome = await decide(deps.store, { approvalId: id, actor: who, verdict: body.data.decision, ...(body.data.comment !== undefined ? { comment: body.data.comment } : {}), nowMs: deps.now() });
    deps.log('info', 'approval decision', { approvalId: id, actor: who.id, via: who.via, decision: body.data.decision, accepted: outcome.accepted, code: outcome.accepted ? 'ACCEPTED' : outcome.code });
    await raiseAccepted(deps, outcome);
    return decisionResponse(outcome);
  } catch (e) {
    return errorResponse(e);
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:40rem}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}

function describe(r: ApprovalRequest): string {
  return `<p>${escapeHtml(r.model)} version ${escapeHtml(r.version)} — status <strong>${escapeHtml(r.status)}</strong>${r.deadlineAt ? `, deadline ${escapeHtml(r.deadlineAt)}` : ''}</p>${r.summary ? `<p>${escapeHtml(r.summary)}</p>` : ''}`;
}

/** GET: verify the link and show what it will do, with a button that POSTs it. */
export async function linkPage(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const id = approvalIdParam(req);
    const token = req.query.get('t') ?? '';
    const claims = verifyLink(token, deps.settings.linkSecrets, deps.now());
    if (claims.a !== id) throw new AuthError('APPROVAL_LINK_INVALID', 'the approval link is invalid (it names another request)');
    const got = await deps.store.get(id);
    if (!got) throw new NotFoundError('APPROVAL_NOT_FOUND', `no approval request '${id}'`);
    const action = `/api/approvals/${encodeURIComponent(id)}/link?t=${encodeURIComponent(token)}`;
    const form = got.request.status === 'pending'
      ? `<form method="post" action="${escapeHtml(action)}"><label>Comment <input name="comment" maxlength="2000"></label> <button type="submit">${claims.d === 'approve' ? 'Approve' : 'Reject'} as ${escapeHtml(claims.u)}</button></form>`
      : '<p>This request is closed.</p>';
    return { status: 200, html: page(`${claims.d === 'approve' ? 'Approve' : 'Reject'} ${got.request.model} v${got.request.version}?`, describe(got.request) + form) };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500) return { status: e.status, html: page('Approval link', `<p>${escapeHtml(e.message)}</p>`) };
    throw e;
  }
}

/** POST: verify, claim the single-use nonce, decide as the link's approver. */
export async function linkDecision(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const id = approvalIdParam(req);
    const form = new URLSearchParams(req.body);
    const token = req.query.get('t') ?? form.get('t') ?? '';
    const claims = verifyLink(token, deps.settings.linkSecrets, deps.now());
    if (claims.a !== id) throw new AuthError('APPROVAL_LINK_INVALID', 'the approval link is invalid (it names another request)');
    const at = new Date(deps.now()).toISOString();
    if (!(await deps.store.claimLinkNonce(id, claims.n, claims.u, at))) {
      throw new AuthError('APPROVAL_LINK_USED', 'this approval link was already used; each link works once', { status: 410 });
    }
    const comment = form.get('comment')?.slice(0, 2000) || undefined;
    const outcome = await decide(deps.store, { approvalId: id, actor: { id: claims.u, groups: deps.settings.groupsByUser.get(claims.u.toLowerCase()) ?? [], via: 'signed-link' }, verdict: claims.d, ...(comment ? { comment } : {}), nowMs: deps.now() });
    deps.log('info', 'approval decision by link', { approvalId: id, actor: claims.u, decision: claims.d, accepted: outcome.accepted, code: outcome.accepted ? 'ACCEPTED' : outcome.code });
    await raiseAccepted(deps, outcome);
    const r = decisionResponse(outcome);
    const msg = outcome.accepted ? outcome.message : outcome.message;
    return { status: r.status, json: r.json, html: page(outcome.accepted ? 'Decision recorded' : 'Decision refused', `<p>${escapeHtml(msg)}</p>${describe(outcome.request)}`) };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500) return { status: e.status, json: { error: e.toJSON() }, html: page('Approval link', `<p>${escapeHtml(e.message)}</p>`) };
    throw e;
  }
}
