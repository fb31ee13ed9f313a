/**
 * #18 trace context carriers, in process: with no SDK nothing is added anywhere (zero-overhead path); with one, the
 * REST client sends `traceparent` of its own client span, the orchestration input gets `trace.traceparent`, Service
 * Bus properties are read (`traceparent`, else a W3C `Diagnostic-Id`) and garbage is never trusted as a parent; the
 * invocation hook leaves orchestrators alone. The whole path through the host is in trace.test.ts.
 */
import { context, trace } from '@opentelemetry/api';
import { InvocationContext, type PreInvocationContext } from '@azure/functions';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../shared/adapters/http/rest-client';
import { tracePreInvocation } from '../../shared/telemetry/hooks';
import {
  contextFromTraceparent,
  currentTraceparent,
  inSpan,
  setTracingEnabled,
  SpanKind,
  traceparentOfProperties,
  traceProperties,
  withTraceInput,
} from '../../shared/telemetry/trace';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function client(seen: Array<Record<string, string>>): RestClient {
  return new RestClient({
    service: 'mlflow',
    baseUrl: 'http://127.0.0.1:1',
    fetch: (_url, init) => {
      seen.push({ ...(init.headers as Record<string, string>) });
      return Promise.resolve(new Response('{}', { status: 200 }));
    },
  });
}

function preInvocation(
  type: string,
  triggerMetadata: Record<string, unknown>,
  handler: (...args: unknown[]) => unknown,
): PreInvocationContext {
  const invocationContext = new InvocationContext({
    functionName: 'fn',
    triggerMetadata,
    options: { trigger: { type, name: 'input' }, extraInputs: [], extraOutputs: [] },
  });
  return {
    invocationContext,
    functionHandler: handler,
    inputs: [],
    hookData: {},
    appHookData: {},
  } as unknown as PreInvocationContext;
}

describe('with no telemetry configured', () => {
  it('adds no header, no message property and no input field', async () => {
    const seen: Array<Record<string, string>> = [];
    await client(seen).request({ method: 'GET', path: '/x' });
    expect(seen[0]).not.toHaveProperty('traceparent');
    expect(traceProperties()).toEqual({});
    const input = { event: { id: 'e' } };
    expect(withTraceInput(input)).toBe(input);
    expect(currentTraceparent()).toBeUndefined();
  });

  it('leaves every handler unwrapped', () => {
    const handler = () => 'x';
    const ctx = preInvocation('serviceBusTrigger', {}, handler);
    tracePreInvocation(ctx);
    expect(ctx.functionHandler).toBe(handler);
  });
});

describe('with an SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(() => {
    provider.register();
    setTracingEnabled(true);
  });

  afterAll(async () => {
    setTracingEnabled(false);
    await provider.shutdown();
  });

  it("the REST client sends traceparent of its client span, a child of the caller's span", async () => {
    exporter.reset();
    const seen: Array<Record<string, string>> = [];
    await inSpan('activity promotionPromote', { kind: SpanKind.INTERNAL, parent: contextFromTraceparent(TP) }, () =>
      client(seen).request({ method: 'POST', path: '/api/2.0/mlflow/registered-models/alias', body: {} }),
    );
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.kind === SpanKind.CLIENT);
    const activity = spans.find((s) => s.name === 'activity promotionPromote');
    expect(call?.spanContext().traceId).toBe(TP.split('-')[1]);
    expect(call?.parentSpanContext?.spanId).toBe(activity?.spanContext().spanId);
    expect(activity?.parentSpanContext?.spanId).toBe(TP.split('-')[2]);
    expect(seen[0]?.['traceparent']).toBe(`00-${TP.split('-')[1]}-${call?.spanContext().spanId}-01`);
    expect(call?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/api/2.0/mlflow/registered-models/alias',
    });
  });

  it('the orchestration input and Service Bus properties carry the active span', async () => {
    await inSpan('route-promotion process', { kind: SpanKind.CONSUMER, parent: contextFromTraceparent(TP) }, () => {
      const span = trace.getSpan(context.active());
      const tp = `00-${TP.split('-')[1]}-${span?.spanContext().spanId}-01`;
      expect(withTraceInput({ event: { id: 'e' } })).toEqual({ event: { id: 'e' }, trace: { traceparent: tp } });
      expect(traceProperties()).toEqual({ traceparent: tp, 'Diagnostic-Id': tp });
      expect(withTraceInput(['not', 'an', 'object'])).toEqual(['not', 'an', 'object']);
    });
  });

  it('reads traceparent, else a W3C Diagnostic-Id, and trusts nothing else as a parent', () => {
    expect(traceparentOfProperties({ traceparent: TP, 'Diagnostic-Id': 'x' })).toBe(TP);
    expect(traceparentOfProperties({ 'Diagnostic-Id': TP })).toBe(TP);
    expect(traceparentOfProperties({ 'Diagnostic-Id': '|4bf92f3577b34da6.1.' })).toBeUndefined();
    for (const bad of [
      'garbage',
      `01-${TP.slice(3)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      `${TP}-extra`,
      42,
    ]) {
      expect(trace.getSpanContext(contextFromTraceparent(bad)), String(bad)).toBeUndefined();
    }
  });

  it("a Service Bus invocation continues the message's trace; orchestrators get no span", async () => {
    exporter.reset();
    const sb = preInvocation(
      'serviceBusTrigger',
      { messageId: 'm1', applicationProperties: { 'Diagnostic-Id': TP } },
      () => Promise.resolve('done'),
    );
    tracePreInvocation(sb);
    await (sb.functionHandler as (m: unknown, c: InvocationContext) => Promise<unknown>)({}, sb.invocationContext);
    const [span] = exporter.getFinishedSpans();
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(TP.split('-')[1]);
    expect(span?.parentSpanContext?.spanId).toBe(TP.split('-')[2]);
    expect(span?.attributes['messaging.message.id']).toBe('m1');

    const orchestrator = () => 'replayed';
    const o = preInvocation('orchestrationTrigger', {}, orchestrator);
    tracePreInvocation(o);
    expect(o.functionHandler).toBe(orchestrator);
  });
});
