/**
 * `POST /api/models/{name}/rollback` {toVersion?, reason, requestId?} as a plain function.
 * Who may roll back: an identity with the operator (or admin) role — checked by the route layer before this runs
 * (functions/models-rollback.ts); `requestedBy` is that identity. Which versions need validation and approval is
 * the orchestration's business. The rollback runs as an orchestration whose id derives from the request id (a repeated request with
 * the same id is the same rollback).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isStagecraftError, ValidationError } from '../errors';
import { validationErrorFrom } from '../events';
import type { AuditEntry } from '../audit';
import type { Identity } from '../auth/identity';
import { type Policy, tryResolvePolicy } from '../policy';
import { instanceIdFor } from '../router/instance-id';
import type { ApiResponse } from '../approvals/api';
import { runStatusUrl, type PromoteRequest } from './promote-api';
import { ROLLBACK } from './names';
import type { RollbackInput } from './rollback';

const Body = z.strictObject({
  toVersion: z.string().regex(/^\d+$/, { error: 'must be a version number such as "3"' }).optional(),
  reason: z.string().trim().min(1, { error: 'is required: say why you roll back' }).max(2000),
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'must be 1-100 letters, digits, . _ -' })
    .optional(),
});

export interface RollbackDeps {
  loadPolicy: () => Promise<Policy>;
  start: (orchestration: string, instanceId: string, input: RollbackInput) => Promise<'started' | 'exists'>;
  log: (message: string, fields: Record<string, unknown>) => void;
  audit: (entry: AuditEntry) => Promise<void>;
}

export async function requestRollback(req: PromoteRequest, who: Identity, deps: RollbackDeps): Promise<ApiResponse> {
  try {
    const model = req.params['name'];
    if (!model || model.length > 500)
      throw new ValidationError('ROLLBACK_MODEL_INVALID', 'name: must be a registered model name');
    let raw: unknown;
    try {
      raw = JSON.parse(req.body || '{}');
    } catch {
      throw new ValidationError('ROLLBACK_BODY_INVALID', 'body: must be JSON like {"reason":"...","toVersion":"3"}');
    }
    const body = Body.safeParse(raw);
    if (!body.success) throw validationErrorFrom('ROLLBACK_BODY_INVALID', 'body', body.error.issues);
    const resolved = tryResolvePolicy(await deps.loadPolicy(), model);
    if (!resolved.ok)
      throw new ValidationError(resolved.error.code, resolved.error.message, {
        status: resolved.error.code === 'POLICY_NO_MODEL' ? 404 : 422,
      });
    const requestId = body.data.requestId ?? randomUUID();
    const instanceId = instanceIdFor('rollback', model, requestId);
    const input: RollbackInput = {
      model,
      reason: body.data.reason,
      requestedBy: who.id,
      requestId,
      ...(body.data.toVersion ? { toVersion: body.data.toVersion } : {}),
    };
    const started = await deps.start(ROLLBACK, instanceId, input);
    deps.log('rollback requested', { model, instanceId, requestedBy: who.id, toVersion: body.data.toVersion, started });
    await deps.audit({
      action: 'rollback.request',
      actor: who.id,
      via: who.via,
      requestId,
      target: model,
      outcome: 'accepted',
      details: {
        instanceId,
        ...(body.data.toVersion ? { toVersion: body.data.toVersion } : {}),
        reason: body.data.reason,
        started: started === 'started',
      },
    });
    return {
      status: 202,
      json: { instanceId, model, requestId, started: started === 'started', statusUrl: runStatusUrl(instanceId) },
    };
  } catch (e) {
    if (isStagecraftError(e) && e.status < 500) return { status: e.status, json: { error: e.toJSON() } };
    throw e;
  }
}
