/**
 * One span per invocation, added by a preInvocation hook (functions/telemetry.ts) that wraps the handler, so no
 * trigger file changes. Parent of the span:
 * - the host's `InvocationContext.traceContext` when it carries one (Azure sets it for every trigger; for activities
 *   it is the orchestration's trace — Durable distributed tracing; the local host sets it for activities from the
 *   `trace` field of the instance input, see devhost/durable/extension.ts);
 * - else HTTP: the request's `traceparent` header; Service Bus: the message's `traceparent` / `Diagnostic-Id`.
 * Orchestrator and entity invocations get NO span (they replay; a span there would repeat on every episode).
 * Span attributes: function name, trigger type, route template, status code, message id, instance id — never
 * headers, bodies, query strings or settings.
 */
import type { FunctionHandler, HttpResponseInit, InvocationContext, PreInvocationContext } from '@azure/functions';
import { ROOT_CONTEXT, type Attributes, type Context } from '@opentelemetry/api';
import {
  contextFromTraceparent,
  inSpan,
  isTraceparent,
  SpanKind,
  SpanStatusCode,
  traceparentOfProperties,
  tracingEnabled,
} from './trace';

const NO_SPAN = new Set(['orchestrationTrigger', 'entityTrigger']);

function hostParent(inv: InvocationContext): Context | undefined {
  const tc = inv.traceContext;
  return isTraceparent(tc?.traceParent) ? contextFromTraceparent(tc.traceParent, tc.traceState) : undefined;
}

function headerOf(request: unknown, name: string): string | undefined {
  const h = (request as { headers?: { get?: (n: string) => string | null } } | undefined)?.headers;
  return typeof h?.get === 'function' ? (h.get(name) ?? undefined) : undefined;
}

function wrap(inv: InvocationContext, handler: FunctionHandler): FunctionHandler | undefined {
  const trigger = inv.options.trigger;
  const type = trigger.type;
  if (NO_SPAN.has(type)) return undefined;
  const base: Attributes = { 'faas.name': inv.functionName, 'faas.trigger.type': type };
  if (type === 'httpTrigger') {
    const route = typeof trigger['route'] === 'string' ? trigger['route'] : inv.functionName;
    return async (request: unknown, context: InvocationContext) => {
      const method = (request as { method?: string }).method ?? 'GET';
      const parent =
        hostParent(context) ??
        contextFromTraceparent(headerOf(request, 'traceparent'), headerOf(request, 'tracestate'));
      return inSpan(
        `${method} /api/${route}`,
        {
          kind: SpanKind.SERVER,
          parent,
          attributes: { ...base, 'http.request.method': method, 'http.route': `/api/${route}` },
        },
        async (span) => {
          const answer = (await handler(request, context)) as HttpResponseInit | undefined;
          const status = answer?.status ?? 200;
          span?.setAttribute('http.response.status_code', status);
          if (status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
          return answer;
        },
      );
    };
  }
  if (type === 'serviceBusTrigger') {
    return async (message: unknown, context: InvocationContext) => {
      const meta = context.triggerMetadata;
      const props = (meta?.['applicationProperties'] ?? meta?.['userProperties']) as
        Record<string, unknown> | undefined;
      const parent = hostParent(context) ?? contextFromTraceparent(traceparentOfProperties(props));
      const attributes: Attributes = {
        ...base,
        'messaging.system': 'servicebus',
        'messaging.operation.type': 'process',
      };
      if (typeof trigger['topicName'] === 'string') attributes['messaging.destination.name'] = trigger['topicName'];
      if (typeof trigger['subscriptionName'] === 'string')
        attributes['messaging.destination.subscription.name'] = trigger['subscriptionName'];
      if (typeof meta?.['messageId'] === 'string') attributes['messaging.message.id'] = meta['messageId'];
      return inSpan(
        `${inv.functionName} process`,
        { kind: SpanKind.CONSUMER, parent, attributes },
        async (): Promise<unknown> => (await handler(message, context)) as unknown,
      );
    };
  }
  if (type === 'activityTrigger') {
    return async (input: unknown, context: InvocationContext) => {
      const instanceId = context.triggerMetadata?.['instanceId'];
      const attributes: Attributes = {
        ...base,
        ...(typeof instanceId === 'string' ? { 'durable.instance_id': instanceId } : {}),
      };
      return inSpan(
        `activity ${inv.functionName}`,
        { kind: SpanKind.INTERNAL, parent: hostParent(context) ?? ROOT_CONTEXT, attributes },
        async (): Promise<unknown> => (await handler(input, context)) as unknown,
      );
    };
  }
  // Timers, queues, blobs: a span of their own (a root unless the host gives a parent).
  return async (input: unknown, context: InvocationContext) =>
    inSpan(
      inv.functionName,
      { kind: SpanKind.INTERNAL, parent: hostParent(context) ?? ROOT_CONTEXT, attributes: base },
      async (): Promise<unknown> => (await handler(input, context)) as unknown,
    );
}

/** The preInvocation hook: wraps the handler in a span when tracing is on; otherwise changes nothing. */
export function tracePreInvocation(ctx: PreInvocationContext): void {
  if (!tracingEnabled()) return;
  const wrapped = wrap(ctx.invocationContext, ctx.functionHandler);
  if (wrapped) ctx.functionHandler = wrapped;
}
