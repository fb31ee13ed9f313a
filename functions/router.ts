/**
 * Service Bus topic triggers, one per workflow subscription: decode the message into Stagecraft events and route
 * each to its workflow (shared/router). Thin: all decisions live in shared/router.
 */
import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getConfig, settingForTrigger } from '../shared/config';
import { normalizeBusMessage } from '../shared/intake/bus-ingress';
import { findJobRunOwner } from '../shared/jobs/owners';
import { services } from '../shared/services';
import { durablePortOf } from '../shared/durable/durable-functions';
import { deadLetterByLockToken, neverSucceeds } from '../shared/router/dead-letter';
import { ALL_WORKFLOW_ORCHESTRATIONS, RouterError, routeEvent, type RouterDeps } from '../shared/router/route';
import { recordDeadLetter } from '../shared/telemetry/metrics';

const SUBSCRIPTIONS = ['promotion', 'pipelines', 'retraining', 'jobs'] as const;

function busMessageFrom(body: unknown, meta: Record<string, unknown> | undefined) {
  const props = (meta?.['applicationProperties'] ?? meta?.['userProperties']) as Record<string, unknown> | undefined;
  return {
    body,
    ...(typeof meta?.['messageId'] === 'string' ? { messageId: meta['messageId'] } : {}),
    ...(typeof meta?.['contentType'] === 'string' ? { contentType: meta['contentType'] } : {}),
    ...(typeof meta?.['subject'] === 'string'
      ? { subject: meta['subject'] }
      : typeof meta?.['label'] === 'string'
        ? { subject: meta['label'] }
        : {}),
    ...(props ? { applicationProperties: props } : {}),
  };
}

/**
 * Runs `handle` for one message; a message that can never succeed (a non-retryable StagecraftError) is dead-lettered
 * at once with its code as reason; any other failure is rethrown, so Service Bus delivers the message again.
 */
async function settling(subscription: string, context: InvocationContext, handle: () => Promise<void>): Promise<void> {
  try {
    await handle();
  } catch (e) {
    const fatal = neverSucceeds(e);
    if (!fatal) throw e;
    const meta = context.triggerMetadata;
    const lockToken = typeof meta?.['lockToken'] === 'string' ? meta['lockToken'] : undefined;
    recordDeadLetter(subscription, fatal.code);
    if (!lockToken) throw e; // no lock token: Service Bus dead-letters it at MaxDeliveryCount
    try {
      await deadLetterByLockToken(services().serviceBus(), topicName, subscription, lockToken, fatal);
    } catch (settleError) {
      context.warn(
        `Could not dead-letter the message on ${subscription}; it will be delivered again: ${settleError instanceof Error ? settleError.message : String(settleError)}`,
      );
      throw e;
    }
    context.error(`Dead-lettered a message on ${subscription} (${fatal.code}): ${fatal.message}`, {
      messageId: meta?.['messageId'],
      code: fatal.code,
    });
  }
}

export async function routeMessage(
  subscription: string,
  body: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  return settling(subscription, context, () => routeOne(subscription, body, client, context));
}

async function routeOne(
  subscription: string,
  body: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const config = getConfig();
  const meta = context.triggerMetadata;
  const now = new Date().toISOString();
  const normalized = normalizeBusMessage(busMessageFrom(body, meta), config, now);
  const messageId = typeof meta?.['messageId'] === 'string' ? meta['messageId'] : undefined;
  if (normalized.kind === 'invalid') {
    // Not retryable: dead-lettered at once with the code as reason (settling above).
    context.error(`Invalid message on ${subscription}: ${normalized.error.message}`, { messageId });
    throw new RouterError('ROUTER_MESSAGE_INVALID', normalized.error.message, {
      status: 400,
      details: normalized.error.details ?? {},
    });
  }
  if (normalized.kind === 'ignored') {
    context.info(`Message ignored on ${subscription}: ${normalized.reason}`);
    return;
  }
  const runs = services().records().workflowRuns;
  const deps: RouterDeps = {
    durable: durablePortOf(client),
    runs: { get: (wf, id) => runs.get(wf, id), upsert: (r) => runs.upsert(r) },
    findJobOwner: async (runId) => (await findJobRunOwner(runId))?.instanceId,
    now: () => new Date().toISOString(),
    log: (message, fields) => context.info(message, fields),
  };
  const deployed = new Set<string>(ALL_WORKFLOW_ORCHESTRATIONS);
  for (const event of normalized.events) {
    const outcome = await routeEvent(event, deps, deployed);
    context.info(`Routed ${event.type} (${event.id}) from ${subscription}: ${outcome.outcome}`, {
      ...outcome,
      messageId,
    });
  }
}

// Resolved here, not as `%ServiceBusTopicName%`: the Functions host has no default for a binding expression and skips
// a trigger whose setting is unset (shared/config settingForTrigger).
const topicName = settingForTrigger('ServiceBusTopicName');

for (const subscription of SUBSCRIPTIONS) {
  df.app.client.serviceBusTopic(`route-${subscription}`, {
    connection: 'ServiceBusConnection',
    topicName,
    subscriptionName: subscription,
    handler: (message, client, context) => routeMessage(subscription, message, client, context),
  });
}

/**
 * Producers that publish their own JSON straight to the topic (Azure DevOps' Service Bus service hook) set no
 * subject, so only the `native` subscription sees them. Normalize and republish them as Stagecraft CloudEvents;
 * the message id is the business dedupe key, so a redelivery here is dropped by duplicate detection.
 */
export async function republishNative(body: unknown, context: InvocationContext): Promise<void> {
  return settling('native', context, () => republishOne(body, context));
}

async function republishOne(body: unknown, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const meta = context.triggerMetadata;
  const normalized = normalizeBusMessage(busMessageFrom(body, meta), config, new Date().toISOString());
  if (normalized.kind === 'invalid') {
    context.error(`Invalid native message: ${normalized.error.message}`);
    throw new RouterError('ROUTER_MESSAGE_INVALID', normalized.error.message, {
      status: 400,
      details: normalized.error.details ?? {},
    });
  }
  if (normalized.kind === 'ignored') {
    context.info(`Native message ignored: ${normalized.reason}`);
    return;
  }
  await services().publisher().publish(normalized.events);
  context.info(`Republished ${normalized.events.length} event(s) from a native message`, {
    eventIds: normalized.events.map((e) => e.id),
  });
}

app.serviceBusTopic('route-native', {
  connection: 'ServiceBusConnection',
  topicName,
  subscriptionName: 'native',
  handler: republishNative,
});
