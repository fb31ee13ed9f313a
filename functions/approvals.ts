/**
 * Approval API (thin adapter over shared/approvals/api.ts):
 *   GET  /api/approvals?status=&model=        list
 *   GET  /api/approvals/{id}                  one request with its decision attempts
 *   POST /api/approvals/{id}/decision         {decision: approve|reject, comment}
 *   GET  /api/approvals/{id}/link?t=          one-click link: confirmation page
 *   POST /api/approvals/{id}/link?t=          one-click link: decide
 * authLevel is anonymous on purpose: callers are identified by App Service authentication or an approver key
 * (list/get/decision), or by the signed link itself; every route refuses unidentified callers.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getApproval, linkDecision, linkPage, listApprovals, postDecision, type ApiDeps, type ApiResponse } from '../shared/approvals/api';
import { approvalSettings } from '../shared/approvals/settings';
import { TableApprovalStore } from '../shared/approvals/store';
import { toApiRequest } from './lib/api-request';

function deps(context: InvocationContext, client?: df.DurableClient): ApiDeps {
  return {
    store: TableApprovalStore.fromEnv(),
    settings: approvalSettings(),
    now: Date.now,
    raise: async (instanceId, eventName, payload) => {
      if (!client) throw new Error('no durable client');
      await client.raiseEvent(instanceId, eventName, payload);
    },
    log: (level, message, fields) => (level === 'warn' ? context.warn(message, fields) : context.info(message, fields)),
  };
}

function toHttp(r: ApiResponse, preferHtml: boolean): HttpResponseInit {
  if (r.html !== undefined && (preferHtml || r.json === undefined)) return { status: r.status, body: r.html, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } };
  return { status: r.status, jsonBody: r.json ?? {}, headers: { 'cache-control': 'no-store' } };
}

const wantsHtml = (request: HttpRequest) => (request.headers.get('accept') ?? '').includes('text/html');

app.http('approvalsList', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'approvals',
  handler: async (request, context) => toHttp(await listApprovals(await toApiRequest(request), deps(context)), false),
});

app.http('approvalsGet', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'approvals/{id}',
  handler: async (request, context) => toHttp(await getApproval(await toApiRequest(request), deps(context)), false),
});

df.app.client.http('approvalsDecision', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'approvals/{id}/decision',
  handler: async (request, client, context) => toHttp(await postDecision(await toApiRequest(request), deps(context, client)), false),
});

df.app.client.http('approvalsLink', {
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  route: 'approvals/{id}/link',
  handler: async (request, client, context) => {
    const req = await toApiRequest(request);
    const r = request.method === 'POST' ? await linkDecision(req, deps(context, client)) : await linkPage(req, deps(context, client));
    return toHttp(r, request.method === 'GET' || wantsHtml(request));
  },
});
