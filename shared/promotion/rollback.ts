/**
 * Rollback: move the champion role back to the previous champion (from the alias history) or to a named version,
 * record who and why, then redeploy per policy. Planning is separate from the move so the orchestration can
 * record a refusal (no previous champion, version not READY, already champion) without touching the registry.
 */
import { z } from 'zod';
import { NotFoundError } from '../errors';
import type { MlflowClient } from '../adapters/mlflow';
import { RecordTable } from '../records';
import { type Deploy, type Policy, type Promotion, tryResolvePolicy } from '../policy';
import { storageFromEnv, type Env } from '../approvals/storage';
import { type AliasHistory, currentRoles, previousChampionFromHistory, roleNames } from './aliases';
import { versionInfo } from './context';
import type { AliasChange, DeployOutcome, VersionInfo } from './types';

export const RollbackInput = z.object({
  model: z.string().min(1).max(500),
  toVersion: z.string().regex(/^\d+$/, { error: 'must be a version number' }).optional(),
  reason: z.string().min(1, { error: 'is required: say why' }).max(2000),
  requestedBy: z.string().min(1),
  requestId: z.string().min(1).max(200),
});
export type RollbackInput = z.output<typeof RollbackInput>;

export type RollbackPlan =
  | { ok: true; target: VersionInfo; current: string | null; promotion: Promotion; deploy: Deploy; notify: string[]; championRole: string }
  | { ok: false; code: 'POLICY_NO_MODEL' | 'POLICY_INVALID' | 'NO_PREVIOUS_CHAMPION' | 'VERSION_NOT_FOUND' | 'VERSION_NOT_READY' | 'ALREADY_CHAMPION'; reason: string };

export async function planRollback(input: RollbackInput, deps: { policy: Policy; client: MlflowClient; history: AliasHistory }): Promise<RollbackPlan> {
  const resolved = tryResolvePolicy(deps.policy, input.model);
  if (!resolved.ok) return { ok: false, code: resolved.error.code, reason: resolved.error.message };
  const p = resolved.value.policy;
  const names = roleNames(p.promotion);
  const roles = await currentRoles(deps.client, input.model, p.promotion);
  const current = roles[names.champion] ?? null;
  const target = input.toVersion ?? previousChampionFromHistory(await deps.history.list(input.model), names.champion, current);
  if (target === undefined) {
    return { ok: false, code: 'NO_PREVIOUS_CHAMPION', reason: `the alias history of ${input.model} has no champion before v${current ?? '(none)'}; name the version to roll back to` };
  }
  if (target === current) return { ok: false, code: 'ALREADY_CHAMPION', reason: `${input.model} v${target} is already ${names.champion}` };
  let mv;
  try {
    mv = await deps.client.getModelVersion(input.model, target);
  } catch (e) {
    if (e instanceof NotFoundError) return { ok: false, code: 'VERSION_NOT_FOUND', reason: `${input.model} v${target} does not exist` };
    throw e;
  }
  if (mv.status !== 'READY') return { ok: false, code: 'VERSION_NOT_READY', reason: `${input.model} v${target} is ${mv.status ?? 'unknown'}, not READY` };
  return { ok: true, target: versionInfo(mv), current, promotion: p.promotion, deploy: p.deploy, notify: p.notify, championRole: names.champion };
}

export const RollbackRecord = z.object({
  model: z.string(),
  instanceId: z.string(),
  outcome: z.enum(['rolled-back', 'refused', 'failed']),
  reason: z.string(),
  requestedBy: z.string(),
  requestReason: z.string(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  changes: z.array(z.object({ alias: z.string(), before: z.string().nullable(), after: z.string().nullable(), at: z.string() })),
  deploy: z.record(z.string(), z.unknown()).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RollbackRecord = Omit<z.output<typeof RollbackRecord>, 'changes' | 'deploy'> & { changes: AliasChange[]; deploy?: DeployOutcome };

const cache = new WeakMap<object, RecordTable<z.output<typeof RollbackRecord>>>();

function table(env: Env): RecordTable<z.output<typeof RollbackRecord>> {
  const s = storageFromEnv(env);
  let t = cache.get(s);
  if (!t) {
    t = new RecordTable({ client: s.table('Rollbacks'), schema: RollbackRecord, partitionKey: (r) => r.model, rowKey: (r) => r.instanceId });
    cache.set(s, t);
  }
  return t;
}

export async function writeRollbackRecord(r: RollbackRecord, env: Env = process.env): Promise<void> {
  await table(env).upsert(r as unknown as z.output<typeof RollbackRecord>);
}

export async function getRollbackRecord(model: string, instanceId: string, env: Env = process.env): Promise<RollbackRecord | undefined> {
  return (await table(env).get(model, instanceId)) as unknown as RollbackRecord | undefined;
}
