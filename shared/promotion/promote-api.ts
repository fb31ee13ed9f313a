/**
 * `POST /api/models/{name}/versions/{version}/promote` {reason?, targetAlias?, requestId?}: a manual promotion
 * request by an authenticated caller (any identity; functions/models-promote.ts declares the route). It becomes a `promote.requested` event and starts `modelPromotion` under the
 * instance id the router would give it (shared/router/plan.ts), so the same request id is the same run whether it
 * arrives here or through the CloudEvents intake. The caller is the run's trigger (the `excludeTrigger` rule).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isStagecraftError, ValidationError } from '../errors';
import { EVENT_TYPES, makeEvent, validationErrorFrom, type AnyStagecraftEvent } from '../events';
import type { ApiResponse } from '../approvals/api';
import type { AuditEntry } from '../audit';
import type { Identity } from '../auth/identity';
import { planRoute } from '../router/plan';

const Body = z.strictObject({
  reason: z.string().trim().max(2000).optional(),
  targetAlias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, { error: 'must be letters, digits, _ or -' })
    .optional(),
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'must be 1-100 letters, digits, . _ -' })
    .optional(),
});

export interface PromoteDeps {
  now: () => number;
  start: (
    orchestration: string,
    instanceId: string,
    input: { event: AnyStagecraftEvent },
  ) => Promise<'started' | 'exists'>;
  log: (message: string, fields: Record<string, unknown>) => void;
  audit: (entry: AuditEntry) => Promise<void>;
}

export interface PromoteRequest {
  params: Readonly<Record<string, string | undefined>>;
  body: string;
}

/** Where a run's status is read: the runs API (the durable webhook URL needs the system key in Azure). */
export const runStatusUrl = (instanceId: string) => `/api/runs/${encodeURIComponent(instanceId)}`;

export async function requestPromotion(req: PromoteRequest, who: Identity, deps: PromoteDeps): Promise<ApiResponse> {
  try {
    const name = req.params['name'];
    const version = req.params['version'];
    if (!name || name.length > 500)
      throw new ValidationError('PROMOTE_MODEL_INVALID', 'name: must be a registered model name');
    if (!version || !/^\d+$/.test(version))
      throw new ValidationError('PROMOTE_VERSION_INVALID', 'version: must be a version number');
    let raw: unknown;
    try {
      raw = JSON.parse(req.body || '{}');
    } catch {
      throw new ValidationError('PROMOTE_BODY_INVALID', 'body: must be JSON like {"reason":"..."}');
    }
    const body = Body.safeParse(raw);
    if (!body.success) throw validationErrorFrom('PROMOTE_BODY_INVALID', 'body', body.error.issues);
    const requestId = body.data.requestId ?? randomUUID();
    const time = new Date(deps.now()).toISOString();
    const event = makeEvent(
      EVENT_TYPES.promoteRequested,
      {
        model: { name, version },
        targetAlias: body.data.targetAlias ?? 'champion',
        requestedBy: who.id,
        requestId,
        ...(body.data.reason ? { reason: body.data.reason } : {}),
      },
      { source: '/stagecraft/api/promote', time },
    );
    const plan = planRoute(event);
    if (plan.kind !== 'start')
      throw new ValidationError('PROMOTE_NOT_ROUTED', `a promote request is not routed to a workflow (${plan.kind})`, {
        status: 500,
      });
    const started = await deps.start(plan.orchestration, plan.instanceId, plan.input);
    deps.log('promotion requested', {
      model: name,
      version,
      instanceId: plan.instanceId,
      requestedBy: who.id,
      started,
    });
    await deps.audit({
      action: 'promotion.request',
      actor: who.id,
      via: who.via,
      requestId,
      target: `${name}/${version}`,
      outcome: 'accepted',
      details: {
        instanceId: plan.instanceId,
        targetAlias: body.data.targetAlias ?? 'champion',
        started: started === 'started',
      },
    });
    return {
      status: 202,
      json: {
        instanceId: plan.instanceId,
        model: name,
        version,
        requestId,
        started: started === 'started',
        statusUrl: runStatusUrl(plan.instanceId),
      },
    };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500) return { status: e.status, json: { error: e.toJSON() } };
    throw e;
  }
}
