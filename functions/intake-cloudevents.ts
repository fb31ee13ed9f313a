/**
 * CloudEvents 1.0 endpoint (function key, host-checked; CLOUDEVENTS_KEYS when set): adapter over shared/intake.
 * Privileged types (promote/retrain requests) also need an event key scoped to them, checked here after the body is
 * read and before the intake runs; on that path `requestedBy` becomes the key's name (shared/auth/event-keys.ts).
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { appendAudit } from '../shared/audit';
import { checkEventScope, deliveredTypes, eventKeySettings, stampRequestedBy, type ScopeDecision } from '../shared/auth/event-keys';
import { getConfig } from '../shared/config';
import { isStagecraftError } from '../shared/errors';
import { errorToHttpResponse, intakeHttpHandler } from '../shared/intake/http';
import { getIntakeDeps } from '../shared/intake/runtime';
import { headerMap, rawRoute } from './lib/route';

const intake = intakeHttpHandler('cloudevents', getIntakeDeps);

async function audit(context: InvocationContext, entry: Parameters<typeof appendAudit>[0]): Promise<void> {
  try {
    await appendAudit({ requestId: context.invocationId, ...entry });
  } catch (e) {
    context.error('audit log write failed', { action: entry.action, error: (e as Error).message });
  }
}

export async function cloudEvents(request: HttpRequest, context: InvocationContext) {
  const headers = headerMap(request);
  const declared = Number(headers.get('content-length') ?? NaN);
  // Too large: the intake refuses it without reading (413); nothing privileged can pass that way.
  if (Number.isFinite(declared) && declared > getConfig().intake.maxBodyBytes) return intake(request, context);
  const raw = Buffer.from(await request.arrayBuffer());
  let body: unknown;
  try {
    body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
  } catch {
    body = undefined; // not JSON: the intake rejects it (it parses the same bytes the same way)
  }
  let scope: ScopeDecision;
  const types = deliveredTypes(headers, body);
  try {
    scope = checkEventScope(headers, types, eventKeySettings());
  } catch (e) {
    if (!isStagecraftError(e)) throw e;
    await audit(context, { action: 'events.privileged', actor: 'function-key', via: 'function-key', outcome: 'refused', reason: e.code, target: '/api/events', details: { types: [...new Set(types)], message: e.message } });
    return { ...errorToHttpResponse(e, context.invocationId ?? randomUUID()), headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } };
  }
  const forward = scope.kind === 'scoped' && body !== undefined ? Buffer.from(JSON.stringify(stampRequestedBy(headers, body, scope.keyName)), 'utf8') : raw;
  const forwardHeaders: Array<[string, string]> = [...headers].filter(([k]) => k !== 'content-length');
  forwardHeaders.push(['content-length', String(forward.length)]);
  const answer = await intake({ headers: forwardHeaders, query: request.query, arrayBuffer: async () => forward.buffer.slice(forward.byteOffset, forward.byteOffset + forward.byteLength) }, context);
  if (scope.kind === 'scoped') {
    await audit(context, { action: 'events.privileged', actor: scope.keyName, via: 'event-key', ...(answer.status < 300 ? { outcome: 'accepted' as const } : { outcome: 'refused' as const, reason: `HTTP ${answer.status}` }), target: '/api/events', details: { types: scope.types } });
  }
  return answer;
}

rawRoute('intake-cloudevents', {
  methods: ['POST'],
  auth: 'function-key',
  note: 'function key; promote/retrain requests also need an event key scoped to them (x-stagecraft-event-key), requestedBy = key name',
  route: 'events',
  raw: cloudEvents,
});
