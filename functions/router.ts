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
import { ALL_WORKFLOW_ORCHESTRATIONS, RouterError, routeEvent, type DurablePort, type RouterDeps } from '../shared/router/route';
import { durablePortFromClient } from '../shared/router/durable-client';
import { recordDeadLetter } from '../shared/telemetry/metrics';

const SUBSCRIPTIONS = ['promotion', 'pipelines', 'retraining', 'jobs'] as const;

function busMessageFrom(body: unknown, meta: Record<string, unknown> | undefined) {
  const props = (meta?.['applicationProperties'] ?? meta?.['userProperties']) as Record<string, unknown> | undefined;
  return {
    body,
    ...(typeof meta?.['messageId'] === 'string' ? { messageId: meta['messageId'] } : {}),
    ...(typeof meta?.['contentType'] === 'string' ? { contentType: meta['contentType'] } : {}),
    ...(typeof meta?.['subject'] === 'string' ? { subject: meta['subject'] } : typeof meta?.['label'] === 'string' ? { subject: meta['label'] } : {}),
    ...(props ? { applicationProperties: props } : {}),
  };
}

export async function routeMessage(subscription: string, body: unknown, client: df.DurableClient, context: InvocationContext): Promise<void> {
  const config = getConfig();
  const meta = context.triggerMetadata;
  const now = new Date().toISOString();
  const normalized = normalizeBusMessage(busMessageFrom(body, meta), config, now);
  const messageId = typeof meta?.['messageId'] === 'string' ? meta['messageId'] : undefined;
  if (normalized.kind === 'invalid') {
    // Not retryable: after maxDeliveryCount attempts Service Bus dead-letters it; the reason is in the log and the DLQ.
    context.error(`Invalid message on ${subscription}: ${normalized.error.message}`, { messageId });
    recordDeadLetter(subscription, 'ROUTER_MESSAGE_INVALID');
    throw new RouterError('ROUTER_MESSAGE_INVALID', normalized.error.message, { status: 400, details: normalized.error.details ?? {} });
  }
  if (normalized.kind === 'ignored') {
    context.info(`Message ignored on ${subscription}: ${normalized.reason}`);
    return;
  }
  const durable: DurablePort = durablePortFromClient(client);
  const runs = services().records().workflowRuns;
  const deps: RouterDeps = {
    durable,
    runs: { get: (wf, id) => runs.get(wf, id), upsert: (r) => runs.upsert(r) },
    findJobOwner: async (runId) => (await findJobRunOwner(runId))?.instanceId,
    now: () => new Date().toISOString(),
    log: (message, fields) => context.info(message, fields),
  };
  const deployed = new Set<string>(ALL_WORKFLOW_ORCHESTRATIONS);
  for (const event of normalized.events) {
    const outcome = await routeEvent(event, deps, deployed);
    context.info(`Routed ${event.type} (${event.id}) from ${subscription}: ${outcome.outcome}`, { ...outcome, messageId });
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
  const config = getConfig();
  const meta = context.triggerMetadata;
  const normalized = normalizeBusMessage(busMessageFrom(body, meta), config, new Date().toISOString());
  if (normalized.kind === 'invalid') {
    context.error(`Invalid native message: ${normalized.error.message}`);
    recordDeadLetter('native', 'ROUTER_MESSAGE_INVALID');
    throw new RouterError('ROUTER_MESSAGE_INVALID', normalized.error.message, { status: 400, details: normalized.error.details ?? {} });
  }
  if (normalized.kind === 'ignored') {
    context.info(`Native message ignored: ${normalized.reason}`);
    return;
  }
  await services().publisher().publish(normalized.events);
  context.info(`Republished ${normalized.events.length} event(s) from a native message`, { eventIds: normalized.events.map((e) => e.id) });
}

app.serviceBusTopic('route-native', {
  connection: 'ServiceBusConnection',
  topicName,
  subscriptionName: 'native',
  handler: republishNative,
});
