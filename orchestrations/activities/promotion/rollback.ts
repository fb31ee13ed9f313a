/** Activities of `modelRollback`: plan (read-only), apply the champion move (recorded), write the rollback record. */
import { enqueueSink } from '../../../shared/sink';
import type { InvocationContext } from '@azure/functions';
import { appendAudit, type AuditEntry } from '../../../shared/audit';
import { Promotion } from '../../../shared/policy';
import { loadPolicy } from '../../../shared/policy/load';
import { aliasHistoryFromEnv, moveChampion } from '../../../shared/promotion/aliases';
import { policyFile } from '../../../shared/promotion/env';
import { registryForModel } from '../../../shared/registry/from-env';
import { getPromotionRecord } from '../../../shared/promotion/records';
import {
  planRollback,
  RollbackInput,
  writeRollbackRecord,
  type RollbackPlan,
  type RollbackRecord,
} from '../../../shared/promotion/rollback';
import type { AliasChange } from '../../../shared/promotion/types';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.rollbackPlan, {
  handler: async (raw: unknown, context: InvocationContext): Promise<RollbackPlan> => {
    const input = RollbackInput.parse(raw);
    const plan = await planRollback(input, {
      policy: await loadPolicy(policyFile()),
      client: await registryForModel(input.model),
      history: aliasHistoryFromEnv(),
      promotionRecord: (m, id) => getPromotionRecord(m, id),
    });
    context.info('rollback planned', {
      model: input.model,
      ok: plan.ok,
      target: plan.ok ? plan.target.version : undefined,
      code: plan.ok ? undefined : plan.code,
      approvedChampion: plan.ok ? plan.standing.approvedChampion : undefined,
    });
    return plan;
  },
});

registerActivity(PromotionActivities.rollbackApply, {
  handler: async (
    input: { instanceId: string; model: string; version: string; promotion: Promotion; actor: string; reason: string },
    context: InvocationContext,
  ): Promise<{ changes: AliasChange[]; previousChampion: string | null }> => {
    const ctx = {
      client: await registryForModel(input.model),
      history: aliasHistoryFromEnv(),
      instanceId: input.instanceId,
      actor: input.actor,
      reason: input.reason,
      now: Date.now,
    };
    const out = await moveChampion(ctx, input.model, input.version, Promotion.parse(input.promotion));
    context.info('champion rolled back', {
      instanceId: input.instanceId,
      model: input.model,
      version: input.version,
      previous: out.previousChampion,
      actor: input.actor,
    });
    return out;
  },
});

function auditOutcome(outcome: RollbackRecord['outcome']): AuditEntry['outcome'] {
  return outcome === 'rolled-back' ? 'accepted' : outcome;
}

registerActivity(PromotionActivities.rollbackRecord, {
  handler: async (input: RollbackRecord, context: InvocationContext): Promise<void> => {
    await writeRollbackRecord(input);
    await enqueueSink(
      input.changes.map((c) => ({
        kind: 'alias-move' as const,
        key: `${input.instanceId}:${c.alias}:${c.at}`,
        model: input.model,
        version: c.after ?? '',
        instanceId: input.instanceId,
        recordedAt: c.at,
        payload: { ...c, step: 'rollback', actor: input.requestedBy, reason: input.requestReason },
      })),
      process.env,
      (m) => context.warn(m),
    );
    await appendAudit({
      action: 'model.rollback',
      actor: input.requestedBy,
      target: input.model,
      requestId: input.instanceId,
      outcome: auditOutcome(input.outcome),
      reason: input.reason,
      details: { path: input.path, outcome: input.outcome },
    });
    context.info('rollback recorded', {
      model: input.model,
      instanceId: input.instanceId,
      outcome: input.outcome,
      path: input.path,
      reason: input.reason,
    });
  },
});
