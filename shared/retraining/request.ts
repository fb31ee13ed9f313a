/**
 * Manual retraining requests (`POST /api/models/{name}/retrain`, `stagecraft retrain MODEL`).
 *
 * The coordinator decides, as for every trigger; the request raises a retrain-requested event into it and
 * waits (bounded) for the decision about that request id, so the caller hears "started run X" or "refused:
 * <reason>" (409) rather than a bare 202. A request that finds a run in progress is refused before raising.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TERMINAL_RUNTIME_STATUSES, type DurablePort } from '../durable/port';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { checkRetrainParameters, formatParameterProblems } from '../policy/parameters';
import { EVENT_TYPES, makeEvent, validationErrorFrom } from '../events';
import { loadRetrainingPolicy } from './policy';
import { ensureRunning, raiseTrigger } from './signal';
import { type CoordinatorStatus, retrainingCoordinatorId } from './state';

export const RetrainRequestBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).default('manual request'),
  requestedBy: z.string().trim().min(1).max(200).optional(),
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, { message: 'must be 1-100 letters, digits, _ . : -' })
    .optional(),
  parameters: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'parameter names are identifiers' }),
      z.union([z.string().max(1_000), z.number(), z.boolean()]).transform(String),
    )
    .default({})
    .meta({
      description:
        "Checked against the model's retraining.parameters schema: undeclared or reserved names are refused (400).",
    }),
  force: z.boolean().default(false).meta({ description: 'Start even though a candidate awaits approval.' }),
});
export type RetrainRequestBody = z.input<typeof RetrainRequestBody>;

const MODEL_NAME = /^[^\u0000-\u001f\u007f/\\#?]{1,256}$/;

export interface RetrainAnswer {
  status: 200 | 202;
  body: {
    model: string;
    requestId: string;
    decision: 'started' | 'pending';
    runId?: string;
    message: string;
    coordinatorId: string;
  };
}

export interface RetrainDeps {
  durable: Pick<DurablePort, 'status' | 'ensureRunning' | 'raise'>;
  policyPath: string;
  /** How long to wait for the coordinator's decision (default 10 s). */
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function parseRetrainBody(raw: unknown): z.output<typeof RetrainRequestBody> {
  const r = RetrainRequestBody.safeParse(raw ?? {});
  if (!r.success) throw validationErrorFrom('RETRAIN_REQUEST_INVALID', 'retrain request body', r.error.issues);
  return r.data;
}

function statusFrom(custom: unknown): Partial<CoordinatorStatus> {
  return typeof custom === 'object' && custom !== null ? custom : {};
}

export async function requestRetrain(
  deps: RetrainDeps,
  model: string,
  body: z.output<typeof RetrainRequestBody>,
  caller: string,
): Promise<RetrainAnswer> {
  if (!MODEL_NAME.test(model))
    throw new ValidationError(
      'MODEL_NAME_INVALID',
      'model name must be 1-256 characters without / \\ # ? or control characters',
    );
  const policy = await loadRetrainingPolicy(deps.policyPath, model);
  if (!policy.ok) {
    if (policy.code === 'POLICY_UNREADABLE' || policy.code === 'POLICY_INVALID')
      throw new ConflictError(policy.code, `retraining cannot be requested: ${policy.message}`);
    throw new NotFoundError(policy.code, `retraining cannot be requested: ${policy.message}`, { details: { model } });
  }
  // Parameters reach the training job: only what the model's policy declares, within its bounds (catalog.ts checks again at start).
  const problems = checkRetrainParameters(policy.retraining.parameters, policy.retraining.trainingJob, body.parameters);
  if (problems.length) {
    // Audited as refused by the HTTP layer (functions/models-retrain.ts), which sees this error.
    throw new ValidationError(
      'RETRAIN_PARAMETERS_INVALID',
      `retraining parameters refused: ${formatParameterProblems(problems)}`,
      { details: { model, parameters: problems } },
    );
  }
  const coordinatorId = retrainingCoordinatorId(model);
  const current = await deps.durable.status(coordinatorId);
  if (!current || TERMINAL_RUNTIME_STATUSES.has(current.runtimeStatus)) {
    await ensureRunning(deps.durable, coordinatorId, model);
  } else {
    const s = statusFrom(current.customStatus);
    if (s.running) {
      throw new ConflictError(
        'RETRAIN_RUNNING',
        `retraining of ${model} is already running (run ${s.running.runId}, started ${s.running.startedAt})`,
        {
          details: { model, reason: 'RUNNING', runId: s.running.runId, startedAt: s.running.startedAt },
        },
      );
    }
  }
  const requestId = body.requestId ?? `manual-${randomUUID()}`;
  const now = new Date().toISOString();
  const event = makeEvent(
    EVENT_TYPES.retrainRequested,
    {
      model: { name: model },
      reason: body.reason,
      requestedBy: caller,
      requestId,
      parameters: body.parameters,
    },
    { source: '/stagecraft/api/retrain', time: now },
  );
  await raiseTrigger(deps.durable, coordinatorId, { ...event, force: body.force });

  const deadline = Date.now() + (deps.waitMs ?? 10_000);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
    await sleep(delay);
    const st = await deps.durable.status(coordinatorId);
    const decision = statusFrom(st?.customStatus).recent?.find((d) => d.triggerId === requestId);
    if (!decision) continue;
    if (decision.action === 'start') {
      return {
        status: 202,
        body: {
          model,
          requestId,
          decision: 'started',
          runId: decision.runId ?? '',
          message: decision.message,
          coordinatorId,
        },
      };
    }
    const code =
      decision.reason === 'RUNNING'
        ? 'RETRAIN_RUNNING'
        : decision.reason === 'PENDING_APPROVAL'
          ? 'RETRAIN_PENDING_APPROVAL'
          : `RETRAIN_${decision.reason}`;
    throw new ConflictError(code, `retraining of ${model} refused: ${decision.message}`, {
      details: { model, requestId, reason: decision.reason },
    });
  }
  return {
    status: 202,
    body: {
      model,
      requestId,
      decision: 'pending',
      message:
        'request accepted; the decision was not made yet: see GET /api/runs/' + encodeURIComponent(coordinatorId),
      coordinatorId,
    },
  };
}
