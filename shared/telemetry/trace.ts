/**
 * Trace context helpers: where W3C trace context comes in (HTTP `traceparent`, Service Bus `traceparent` /
 * `Diagnostic-Id` application properties, the host's `InvocationContext.traceContext`) and where it goes out
 * (Service Bus application properties, outbound HTTP `traceparent`, the `trace` field of an orchestration's input).
 *
 * Invariant: with no exporter configured (shared/telemetry/setup.ts) no SDK is registered, the API is a no-op and
 * these helpers add nothing (no header, no property, no input field).
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

export const TRACER_NAME = 'stagecraft';

/** `00-<32 hex>-<16 hex>-<2 hex>`: the only format we accept from outside (no other versions, no all-zero ids). */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isTraceparent(v: unknown): v is string {
  return typeof v === 'string' && TRACEPARENT.test(v.trim().toLowerCase());
}

let enabled = false;

/** Set by setup.ts once an SDK is registered; everything here is a no-op until then. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** The context whose parent is `traceparent` (ignored unless it is a valid W3C traceparent). */
export function contextFromTraceparent(traceparent: unknown, tracestate?: unknown): Context {
  if (!isTraceparent(traceparent)) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent: traceparent.trim().toLowerCase() };
  if (typeof tracestate === 'string' && tracestate.length <= 512) carrier['tracestate'] = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Parent of a Service Bus message: `traceparent`, else a W3C-formatted `Diagnostic-Id` (what the Azure SDK sets). */
export function traceparentOfProperties(props: Record<string, unknown> | undefined): string | undefined {
  if (!props) return undefined;
  for (const key of ['traceparent', 'Diagnostic-Id']) {
    const v = props[key];
    if (isTraceparent(v)) return v.trim().toLowerCase();
  }
  return undefined;
}

/** The active span's context as a traceparent (undefined without a recording span). */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return isTraceparent(carrier['traceparent']) ? carrier['traceparent'] : undefined;
}

/** Application properties that carry the active trace context on a Service Bus message (both names, same value). */
export function traceProperties(ctx: Context = context.active()): Record<string, string> {
  const tp = currentTraceparent(ctx);
  return tp ? { traceparent: tp, 'Diagnostic-Id': tp } : {};
}

/**
 * The orchestration input with the caller's trace context in its `trace` field (set once when the instance starts,
 * so replays read the same value). Only plain-object inputs get it; anything else is returned unchanged.
 */
export function withTraceInput(input: unknown, ctx: Context = context.active()): unknown {
  const tp = currentTraceparent(ctx);
  if (!tp || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  return { ...(input as Record<string, unknown>), trace: { traceparent: tp } };
}

export interface SpanOptions {
  kind: SpanKind;
  parent?: Context;
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a new span (active for everything `fn` awaits); a thrown error marks the span failed and is
 * rethrown. Without tracing it only calls `fn`.
 */
export async function inSpan<T>(
  name: string,
  o: SpanOptions,
  fn: (span: Span | undefined) => Promise<T> | T,
): Promise<T> {
  if (!enabled) return fn(undefined);
  const tracer = trace.getTracer(TRACER_NAME);
  const span = tracer.startSpan(
    name,
    { kind: o.kind, ...(o.attributes ? { attributes: o.attributes } : {}) },
    o.parent ?? context.active(),
  );
  try {
    const result = await context.with(trace.setSpan(o.parent ?? context.active(), span), () => fn(span));
    return result;
  } catch (e) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode(e) });
    throw e;
  } finally {
    span.end();
  }
}

/** A short, secret-free description of an error for a span status: its stable code, else its class name. */
export function errorCode(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string')
    return (e as { code: string }).code;
  return e instanceof Error ? e.name : 'error';
}

export { SpanKind, SpanStatusCode };
