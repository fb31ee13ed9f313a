/**
 * The CloudEvents endpoint's HTTP step (`http.step` of the cloudevents source). Privileged types (promote/retrain
 * requests) also need an event key scoped to them, checked after the body is read and before the intake runs; on
 * that path `requestedBy` becomes the key's name (shared/auth/event-keys.ts). Every privileged attempt is audited.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../audit';
import { checkEventScope, deliveredTypes, stampRequestedBy, type ScopeDecision } from '../../auth/event-keys';
import { isStagecraftError } from '../../errors';
import { errorToHttpResponse, type HttpRequestLike, type LogContextLike } from '../http-types';
import type { IntakeDeps } from '../service';
import type { IntakeHttpStep } from './types';

async function audit(deps: IntakeDeps, context: LogContextLike | undefined, entry: AuditEntry): Promise<void> {
  if (deps.audit === undefined) return;
  try {
    await deps.audit({ ...(context?.invocationId ? { requestId: context.invocationId } : {}), ...entry });
  } catch (e) {
    context?.error?.('audit log write failed', { action: entry.action, error: (e as Error).message });
  }
}

export const eventKeyStep: IntakeHttpStep = async (request, context, deliver, deps) => {
  const headers = new Map<string, string>();
  for (const [k, v] of request.headers) headers.set(k.toLowerCase(), v);
  const declared = Number(headers.get('content-length') ?? NaN);
  // Too large: the intake refuses it without reading (413); nothing privileged can pass that way.
  if (Number.isFinite(declared) && declared > deps.config.intake.maxBodyBytes) return deliver(request);
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
    // From the deps, not the config module: the sources list loads no config (the config imports the list).
    scope = checkEventScope(headers, types, deps.eventKeys?.() ?? []);
  } catch (e) {
    if (!isStagecraftError(e)) throw e;
    await audit(deps, context, {
      action: 'events.privileged',
      actor: 'function-key',
      via: 'function-key',
      outcome: 'refused',
      reason: e.code,
      target: '/api/events',
      details: { types: [...new Set(types)], message: e.message },
    });
    const answer = errorToHttpResponse(e, context?.invocationId ?? randomUUID());
    return { ...answer, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } };
  }
  const forward =
    scope.kind === 'scoped' && body !== undefined
      ? Buffer.from(JSON.stringify(stampRequestedBy(headers, body, scope.keyName)), 'utf8')
      : raw;
  const forwardHeaders: Array<[string, string]> = [...headers].filter(([k]) => k !== 'content-length');
  forwardHeaders.push(['content-length', String(forward.length)]);
  const forwarded: HttpRequestLike = {
    headers: forwardHeaders,
    query: request.query,
    arrayBuffer: async () => forward.buffer.slice(forward.byteOffset, forward.byteOffset + forward.byteLength),
  };
  const answer = await deliver(forwarded);
  if (scope.kind === 'scoped') {
    await audit(deps, context, {
      action: 'events.privileged',
      actor: scope.keyName,
      via: 'event-key',
      ...(answer.status < 300
        ? { outcome: 'accepted' as const }
        : { outcome: 'refused' as const, reason: `HTTP ${answer.status}` }),
      target: '/api/events',
      details: { types: scope.types },
    });
  }
  return answer;
};
