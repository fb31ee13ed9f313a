/**
 * Activities: load the promotion context (event, policy, model version) and run one built-in check.
 */
import type { InvocationContext } from '@azure/functions';
import type { AnyStagecraftEvent } from '../../../shared/events';
import { Check, Promotion } from '../../../shared/policy';
import { evaluateCheck, type CheckEvaluation } from '../../../shared/promotion/checks';
import { loadPromotionContext } from '../../../shared/promotion/context';
import { policyFile } from '../../../shared/promotion/env';
import { registryForModel } from '../../../shared/registry/from-env';
import { services } from '../../../shared/services';
import { gatherFacts } from '../../../shared/promotion/facts';
import type { RunCheckInput } from '../../../shared/promotion/messages';
import type { LoadContextResult } from '../../../shared/promotion/types';
import { linkPromotionFromEnv } from '../../../shared/retraining/link';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

export async function promotionLoadContext(
  input: { event?: AnyStagecraftEvent; instanceId: string },
  context: InvocationContext,
): Promise<LoadContextResult> {
  const result = await loadPromotionContext(input.event, {
    registry: (kind) => services().registry(kind),
    policyFile: policyFile(),
  });
  if (result.ok) {
    context.info('promotion context loaded', {
      instanceId: input.instanceId,
      model: result.model.name,
      version: result.model.version,
      checks: Object.keys(result.policy.policy.validations).length,
    });
    if (result.model.retrainingRun !== undefined) {
      await linkPromotionFromEnv(
        {
          retrainingRunId: result.model.retrainingRun,
          model: result.model.name,
          version: result.model.version,
          promotionInstanceId: input.instanceId,
          phase: 'started',
          at: result.model.createdAt ?? new Date().toISOString(),
        },
        (m, f) => context.warn(m, f),
      );
    }
  } else
    context.warn('promotion cannot proceed', {
      instanceId: input.instanceId,
      code: result.code,
      reason: result.reason,
    });
  return result;
}

export async function promotionRunCheck(input: RunCheckInput, context: InvocationContext): Promise<CheckEvaluation> {
  const check = Check.parse(input.check);
  const promotion = Promotion.parse(input.promotion);
  const facts = await gatherFacts(await registryForModel(input.model.name), check, input.model, promotion);
  const out = evaluateCheck(check, facts);
  context.info('check evaluated', {
    check: input.id,
    model: input.model.name,
    version: input.model.version,
    status: out.status,
  });
  return out;
}

registerActivity(PromotionActivities.loadContext, { handler: promotionLoadContext });
registerActivity(PromotionActivities.runCheck, { handler: promotionRunCheck });
