/**
 * Dead-letters the message a Service Bus trigger is handling, at once and with a reason, when handling it can never
 * succeed (a StagecraftError with `retryable: false`), instead of abandoning it until `MaxDeliveryCountExceeded`.
 *
 * A Node.js function gets no message actions without SDK bindings, but Service Bus settles a non-session message by
 * its lock token through the entity's management link (`com.microsoft:update-disposition`, what @azure/service-bus
 * itself does for deferred messages and when the receiving link is gone). The trigger's metadata carries the lock
 * token (`lockToken`), so a receiver of our own can dead-letter it; the host's completion afterwards finds the
 * message settled (a warning in its log, nothing else).
 *
 * Invariant: only a message we hold the lock of is touched (its lock token), and only for a non-retryable error;
 * anything else is rethrown, so Service Bus redelivers it.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { isStagecraftError, type StagecraftError } from '../errors';

/** Service Bus caps dead-letter reason and description; ours name the code and the message. */
const MAX_DESCRIPTION = 1024;

const receivers = new WeakMap<ServiceBusClient, Map<string, ServiceBusReceiver>>();

function receiverFor(client: ServiceBusClient, topic: string, subscription: string): ServiceBusReceiver {
  let byEntity = receivers.get(client);
  if (!byEntity) receivers.set(client, (byEntity = new Map<string, ServiceBusReceiver>()));
  const key = `${topic}/${subscription}`;
  let r = byEntity.get(key);
  // A receiver opens no receive link until it receives; settling by lock token uses only the management link.
  if (!r) byEntity.set(key, (r = client.createReceiver(topic, subscription, { receiveMode: 'peekLock' })));
  return r;
}

/** The error, when it says handling can never succeed (no retry can help). */
export function neverSucceeds(e: unknown): StagecraftError | undefined {
  return isStagecraftError(e) && !e.retryable ? e : undefined;
}

/** Dead-letter the locked message `lockToken` of `topic`/`subscription` with the error's code as reason. */
export async function deadLetterByLockToken(
  client: ServiceBusClient,
  topic: string,
  subscription: string,
  lockToken: string,
  error: StagecraftError,
): Promise<void> {
  // A message known only by its lock token: with no receive link of ours, the SDK settles it through the management link.
  const locked = { lockToken, messageId: undefined, delivery: {} } as unknown as ServiceBusReceivedMessage;
  await receiverFor(client, topic, subscription).deadLetterMessage(locked, {
    deadLetterReason: error.code,
    deadLetterErrorDescription: `${error.code}: ${error.message}`.slice(0, MAX_DESCRIPTION),
  });
}
