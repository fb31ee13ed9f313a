/**
 * Approval API (thin adapter over shared/approvals/api.ts; auth declared per route, checked by functions/lib/route.ts):
 *   GET  /api/approvals?status=&model=&limit=   approver: requests the caller may act on (operators: all)
 *   GET  /api/approvals/{id}                    approver: one request with its decision attempts (404 if not theirs)
 *   POST /api/approvals/{id}/decision           approver: {decision: approve|reject, comment}
 *   GET  /api/approvals/{id}/link?t=            link: confirmation page, for the link's approver only
 *   POST /api/approvals/{id}/link?t=            link: decide, as the link's approver only
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import {
  ApprovalIdParams,
  DecisionBody,
  getApproval,
  linkDecision,
  linkPage,
  listApprovals,
  ListQuery,
  page,
  postDecision,
  type ApiDeps,
  type ApiResponse,
} from '../shared/approvals/api';
import { approvalSettings } from '../shared/approvals/settings';
import { TableApprovalStore } from '../shared/approvals/store';
import type { Identity } from '../shared/auth/identity';
import { authSettings } from '../shared/auth/settings';
import type { StagecraftError } from '../shared/errors';
import { escapeHtml } from '../shared/promotion/report';
import { route, type RouteContext } from './lib/route';

function deps(ctx: RouteContext<unknown, unknown, unknown>, withClient: boolean): ApiDeps {
  return {
    store: TableApprovalStore.fromEnv(),
    settings: approvalSettings(),
    now: Date.now,
    raise: async (instanceId, eventName, payload) => {
      if (!withClient) throw new Error('no durable client');
      const r = await ctx.durable().raise(instanceId, eventName, payload);
      if (r !== 'raised') throw new Error(`instance ${instanceId} is ${r === 'gone' ? 'finished' : 'missing'}`);
    },
    log: (level, message, fields) =>
      level === 'warn' ? ctx.context.warn(message, fields) : ctx.context.info(message, fields),
    audit: ctx.audit,
  };
}

function toHttp(r: ApiResponse, preferHtml: boolean): HttpResponseInit {
  if (r.html !== undefined && (preferHtml || r.json === undefined))
    return { status: r.status, body: r.html, headers: { 'content-type': 'text/html; charset=utf-8' } };
  return { status: r.status, jsonBody: r.json ?? {} };
}

const wantsHtml = (request: HttpRequest) => (request.headers.get('accept') ?? '').includes('text/html');
const me = (ctx: RouteContext<unknown, unknown, unknown>): Identity => ctx.caller.identity!;

/** A browser following a link without credentials gets a page that says how to identify. */
function linkErrorPage(e: StagecraftError, request: HttpRequest): HttpResponseInit | undefined {
  if (request.method !== 'GET' && !wantsHtml(request)) return undefined;
  const url = new URL(request.url);
  // Behind App Service authentication the browser can sign in and come back to this same link.
  const signIn = authSettings().trustClientPrincipal
    ? `<p><a href="/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(url.pathname + url.search)}">Sign in</a> as the approver this link names, then confirm.</p>`
    : '<p>Locally, send your identity key in the <code>x-stagecraft-key</code> header, e.g. <code>curl -X POST -H "x-stagecraft-key: $KEY" "&lt;this link&gt;"</code>, or decide with <code>stagecraft approvals approve ID --identity-key $KEY</code>.</p>';
  const how = e.status === 401 ? signIn : '';
  return {
    status: e.status,
    body: page('Approval link', `<p>${escapeHtml(e.message)}</p>${how}`),
    headers: { 'content-type': 'text/html; charset=utf-8' },
  };
}

route('approvalsList', {
  methods: ['GET'],
  route: 'approvals',
  auth: 'approver',
  note: 'lists only requests the caller is an approver of (operators/admins: all)',
  query: ListQuery,
  errorPrefix: 'APPROVAL',
  handler: async (ctx) => toHttp(await listApprovals(ctx.query, me(ctx), deps(ctx, false)), false),
});

route('approvalsGet', {
  methods: ['GET'],
  route: 'approvals/{id}',
  auth: 'approver',
  note: "404 unless the caller is one of the request's approvers or an operator",
  params: ApprovalIdParams,
  errorPrefix: 'APPROVAL',
  handler: async (ctx) => toHttp(await getApproval(ctx.params.id, me(ctx), deps(ctx, false)), false),
});

route('approvalsDecision', {
  methods: ['POST'],
  route: 'approvals/{id}/decision',
  auth: 'approver',
  note: 'the decision rules (approver list, excludeAuthor/excludeTrigger, quorum) decide; audited',
  params: ApprovalIdParams,
  body: DecisionBody,
  errorPrefix: 'APPROVAL',
  durable: true,
  handler: async (ctx) => toHttp(await postDecision(ctx.params.id, ctx.body, me(ctx), deps(ctx, true)), false),
});

route('approvalsLink', {
  methods: ['GET', 'POST'],
  route: 'approvals/{id}/link',
  auth: 'link',
  auditAction: 'approval.link',
  note: "signed link AND the caller authenticated as the link's approver; single use; audited",
  params: ApprovalIdParams,
  query: z.object({ t: z.string().max(4096).optional() }),
  errorPrefix: 'APPROVAL',
  readBody: true,
  durable: true,
  renderError: linkErrorPage,
  handler: async (ctx) => {
    const r =
      ctx.request.method === 'POST'
        ? await linkDecision(ctx.params.id, ctx.query.t, ctx.text, me(ctx), deps(ctx, true))
        : await linkPage(ctx.params.id, ctx.query.t ?? '', me(ctx), deps(ctx, false));
    return toHttp(r, ctx.request.method === 'GET' || wantsHtml(ctx.request));
  },
});
