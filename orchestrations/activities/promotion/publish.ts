/**
 * Activity: publish `model promoted` on Service Bus (messageId = dedupe key from the promotion id, so a retried
 * activity publishes one message). Without Service Bus settings it reports `published: false` instead of failing.
 */
import type { InvocationContext } from '@azure/functions';
import { EVENT_TYPES, makeEvent } from '../../../shared/events';
import type { PublishPromotedInput } from '../../../shared/promotion/messages';
import { services } from '../../../shared/services';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.publishPromoted, {
  handler: async (
    input: PublishPromotedInput,
    context: InvocationContext,
  ): Promise<{ published: boolean; eventId?: string; reason?: string }> => {
    const event = makeEvent(
      EVENT_TYPES.modelPromoted,
      {
        model: { name: input.model, version: input.version },
        alias: input.alias,
        previousVersion: input.previousVersion,
        promotionId: input.promotionId,
        promotedAt: input.promotedAt,
      },
      { source: '/stagecraft/promotion', time: input.promotedAt },
    );
    const publisher = services().optionalPublisher();
    if (!publisher) {
      context.warn('model promoted event not published: Service Bus is not configured', { eventId: event.id });
      return { published: false, eventId: event.id, reason: 'Service Bus is not configured' };
    }
    await publisher.publish([event]);
    context.info('model promoted event published', { eventId: event.id, model: input.model, version: input.version });
    return { published: true, eventId: event.id };
  },
});
