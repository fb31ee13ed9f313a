/**
 * Rollback: move the champion role back to the previous champion (from the alias history) or to a named version,
 * record who and why, then redeploy per policy. Planning is separate from the move so the orchestration can
 * record a refusal (no previous champion, version not READY, already champion) without touching the registry.
 *
 * Invariant: a rollback is never an unreviewed promotion. It moves the champion directly only to a version that
 * WAS champion through an approved promotion (`targetStanding`); any other target goes through validation and
 * approval as a promotion (or is refused, `rollback.unapprovedTarget: refuse`), and `rollback.requireApproval`
 * makes even a direct rollback wait for an approval request of kind 'rollback'.
 */
import { z } from 'zod';
import { NotFoundError } from '../errors';
import type { ModelRegistry } from '../registry/port';
import { RecordTable } from '../records';
import {
  type Approval,
  type Deploy,
  type Policy,
  type Promotion,
  type RollbackPolicy,
  tryResolvePolicy,
} from '../policy';
import { storageFromEnv, type Env } from '../approvals/storage';
import {
  type AliasHistory,
  type AliasHistoryRow,
  currentRoles,
  previousChampionFromHistory,
  roleNames,
} from './aliases';
import { versionInfo } from './context';
import type { AliasChange, ApprovalSummary, DeployOutcome, PromotionRecord, VersionInfo } from './types';

export const RollbackInput = z.object({
  model: z.string().min(1).max(500),
  toVersion: z.string().regex(/^\d+$/, { error: 'must be a version number' }).optional(),
  reason: z.string().min(1, { error: 'is required: say why' }).max(2000),
  requestedBy: z.string().min(1),
  requestId: z.string().min(1).max(200),
});
export type RollbackInput = z.output<typeof RollbackInput>;

/**
 * Whether the target may simply become champion again: it WAS champion through a promotion (alias history) and that
 * promotion's record shows an approved approval. Anything else was never reviewed as a champion.
 */
export type TargetStanding =
  | { approvedChampion: true; promotionInstanceId: string; approvedBy: string[]; reason: string }
  | { approvedChampion: false; reason: string };

export type RollbackPlan =
  | {
      ok: true;
      target: VersionInfo;
      current: string | null;
      promotion: Promotion;
      deploy: Deploy;
      notify: string[];
      championRole: string;
      standing: TargetStanding;
      approval: Approval;
      rollback: RollbackPolicy;
    }
  | {
      ok: false;
      code:
        | 'POLICY_NO_MODEL'
        | 'POLICY_INVALID'
        | 'NO_PREVIOUS_CHAMPION'
        | 'VERSION_NOT_FOUND'
        | 'VERSION_NOT_READY'
        | 'ALREADY_CHAMPION';
      reason: string;
    };

export interface RollbackDeps {
  policy: Policy;
  client: ModelRegistry;
  history: AliasHistory;
  promotionRecord: (model: string, instanceId: string) => Promise<PromotionRecord | undefined>;
}

export async function targetStanding(
  model: string,
  target: string,
  championRole: string,
  rows: readonly AliasHistoryRow[],
  promotionRecord: RollbackDeps['promotionRecord'],
): Promise<TargetStanding> {
  const moves = rows.filter((r) => r.alias === championRole && r.after === target && r.step === 'champion');
  for (let i = moves.length - 1; i >= 0; i--) {
    const rec = await promotionRecord(model, moves[i]!.instanceId);
    if (rec && rec.version === target && rec.outcome === 'promoted' && rec.approval?.status === 'approved') {
      const approvedBy = rec.approval.votes.filter((v) => v.verdict === 'approve').map((v) => v.approver);
      const how = approvedBy.length
        ? `approved by ${approvedBy.join(', ')}`
        : `approved (${rec.approval.reason ?? 'policy'})`;
      return {
        approvedChampion: true,
        promotionInstanceId: rec.instanceId,
        approvedBy,
        reason: `v${target} was ${championRole} through promotion ${rec.instanceId}, ${how}`,
      };
    }
  }
  const wasChampion = rows.some((r) => r.alias === championRole && r.after === target);
  return {
    approvedChampion: false,
    reason: wasChampion
      ? `v${target} was ${championRole} before, but no promotion record shows it approved`
      : `v${target} was never ${championRole}`,
  };
}

export async function planRollback(input: RollbackInput, deps: RollbackDeps): Promise<RollbackPlan> {
  const resolved = tryResolvePolicy(deps.policy, input.model);
  if (!resolved.ok) return { ok: false, code: resolved.error.code, reason: resolved.error.message };
  const p = resolved.value.policy;
  const names = roleNames(p.promotion);
  const roles = await currentRoles(deps.client, input.model, p.promotion);
  const current = roles[names.champion] ?? null;
  const rows = await deps.history.list(input.model);
  const target = input.toVersion ?? previousChampionFromHistory(rows, names.champion, current);
  if (target === undefined) {
    return {
      ok: false,
      code: 'NO_PREVIOUS_CHAMPION',
      reason: `the alias history of ${input.model} has no champion before v${current ?? '(none)'}; name the version to roll back to`,
    };
  }
  if (target === current)
    return { ok: false, code: 'ALREADY_CHAMPION', reason: `${input.model} v${target} is already ${names.champion}` };
  let mv;
  try {
    mv = await deps.client.getModelVersion(input.model, target);
  } catch (e) {
    if (e instanceof NotFoundError)
      return { ok: false, code: 'VERSION_NOT_FOUND', reason: `${input.model} v${target} does not exist` };
    throw e;
  }
  if (mv.status !== 'READY')
    return {
      ok: false,
      code: 'VERSION_NOT_READY',
      reason: `${input.model} v${target} is ${mv.status ?? 'unknown'}, not READY`,
    };
  const standing = await targetStanding(input.model, target, names.champion, rows, deps.promotionRecord);
  return {
    ok: true,
    target: versionInfo(mv),
    current,
    promotion: p.promotion,
    deploy: p.deploy,
    notify: p.notify,
    championRole: names.champion,
    standing,
    approval: p.approval,
    rollback: p.rollback,
  };
}

export const RollbackRecord = z.object({
  model: z.string(),
  instanceId: z.string(),
  /** rolled-back: champion moved; refused: nothing moved (plan refused, target not approved, approval not given); failed: moved but redeploy failed. */
  outcome: z.enum(['rolled-back', 'refused', 'failed']),
  reason: z.string(),
  /** How the move was allowed: direct (target was an approved champion), approval (rollback approval), promotion (ran as a promotion). */
  path: z.enum(['direct', 'approval', 'promotion']).optional(),
  /** Why the target may (or may not) simply become champion again. */
  standing: z.string().optional(),
  approval: z.record(z.string(), z.unknown()).optional(),
  promotionInstanceId: z.string().optional(),
  requestedBy: z.string(),
  requestReason: z.string(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  changes: z.array(
    z.object({ alias: z.string(), before: z.string().nullable(), after: z.string().nullable(), at: z.string() }),
  ),
  deploy: z.record(z.string(), z.unknown()).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RollbackRecord = Omit<z.output<typeof RollbackRecord>, 'changes' | 'deploy' | 'approval'> & {
  changes: AliasChange[];
  deploy?: DeployOutcome;
  approval?: ApprovalSummary;
};

const cache = new WeakMap<object, RecordTable<z.output<typeof RollbackRecord>>>();

function table(env: Env): RecordTable<z.output<typeof RollbackRecord>> {
  const s = storageFromEnv(env);
  let t = cache.get(s);
  if (!t) {
    t = new RecordTable({
      client: s.table('Rollbacks'),
      schema: RollbackRecord,
      partitionKey: (r) => r.model,
      rowKey: (r) => r.instanceId,
    });
    cache.set(s, t);
  }
  return t;
}

export async function writeRollbackRecord(r: RollbackRecord, env: Env = process.env): Promise<void> {
  await table(env).upsert(r as unknown as z.output<typeof RollbackRecord>);
}

export async function getRollbackRecord(
  model: string,
  instanceId: string,
  env: Env = process.env,
): Promise<RollbackRecord | undefined> {
  return (await table(env).get(model, instanceId)) as unknown as RollbackRecord | undefined;
}
