/** Activities: registry moves (challenger, champion), each recorded in the alias history. */
import type { InvocationContext } from '@azure/functions';
import { Promotion } from '../../../shared/policy';
import { aliasHistoryFromEnv, promote, setChallenger } from '../../../shared/promotion/aliases';
import { registryForModel } from '../../../shared/registry/from-env';
import type { PromoteInput, PromoteOutput, SetChallengerInput } from '../../../shared/promotion/messages';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.setChallenger, {
  handler: async (input: SetChallengerInput, context: InvocationContext): Promise<PromoteOutput> => {
    const ctx = {
      client: await registryForModel(input.model),
      history: aliasHistoryFromEnv(),
      instanceId: input.instanceId,
      actor: 'stagecraft',
      reason: `validation passed (${input.instanceId})`,
      now: Date.now,
    };
    const out = await setChallenger(ctx, input.model, input.version, Promotion.parse(input.promotion));
    context.info('challenger set', {
      instanceId: input.instanceId,
      model: input.model,
      version: input.version,
      changes: out.changes.length,
    });
    return out;
  },
});

registerActivity(PromotionActivities.promote, {
  handler: async (input: PromoteInput, context: InvocationContext): Promise<PromoteOutput> => {
    const ctx = {
      client: await registryForModel(input.model),
      history: aliasHistoryFromEnv(),
      instanceId: input.instanceId,
      actor: input.actor,
      reason: input.reason,
      now: Date.now,
    };
    const out = await promote(ctx, input.model, input.version, Promotion.parse(input.promotion));
    context.info('model promoted', {
      instanceId: input.instanceId,
      model: input.model,
      version: input.version,
      previous: out.previousChampion,
    });
    return out;
  },
});
