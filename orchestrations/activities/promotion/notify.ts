/** Activity: a promotion notification to the model's channels (or the named ones). Never fails the workflow. */
import type { InvocationContext } from '@azure/functions';
import type { NotifyResult } from '../../../shared/adapters/notify';
import { loadPolicy } from '../../../shared/policy/load';
import { resolvePolicy } from '../../../shared/policy';
import { policyFile } from '../../../shared/promotion/env';
import type { NotifyInput } from '../../../shared/promotion/messages';
import { services } from '../../../shared/services';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.notify, {
  handler: async (input: NotifyInput, context: InvocationContext): Promise<NotifyResult[]> => {
    try {
      const policy = await loadPolicy(policyFile());
      const channels = input.channels ?? resolvePolicy(policy, input.model).policy.notify;
      const results = await services()
        .notifier()
        .sendNotice(policy, channels, {
          event: input.event,
          model: input.model,
          title: input.title,
          text: input.text,
          ...(input.facts ? { facts: input.facts } : {}),
          ...(input.link ? { actions: [{ label: 'Details', url: input.link }] } : {}),
          correlationId: input.instanceId,
        });
      for (const r of results.filter((x) => !x.ok))
        context.warn('notification not delivered', {
          instanceId: input.instanceId,
          event: input.event,
          channel: r.channel,
          error: r.error,
        });
      return results;
    } catch (e) {
      context.warn('notification failed', {
        instanceId: input.instanceId,
        event: input.event,
        error: (e as Error).message,
      });
      return [];
    }
  },
});
