import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { startupCheck } from '../shared/config/startup-check';
import { appChecks, readiness, type Readiness } from '../shared/telemetry/readiness';
import { rawRoute } from './lib/route';

/**
 * Liveness probe: answers without touching dependencies. It reports the start-up check (functions/startup.ts):
 * 503 with the problems (setting names and what is wrong, never values) while the app is not configured, so a
 * half-configured deployment is visible to its health check.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  context.debug('health probe');
  const check = startupCheck();
  const headers = { 'cache-control': 'no-store' };
  if (check && check.problems.length > 0) {
    return {
      status: 503,
      headers,
      jsonBody: { status: 'misconfigured', service: 'stagecraft', problems: check.problems, warnings: check.warnings },
    };
  }
  return {
    status: 200,
    headers,
    jsonBody: { status: 'ok', service: 'stagecraft', ...(check?.warnings.length ? { warnings: check.warnings } : {}) },
  };
}

/**
 * Readiness probe: Storage (Tables, Blobs), Service Bus (peek on the topic) and the registry, in parallel, 2 s each
 * (shared/telemetry/readiness.ts). 200 when all are ok, else 503. The body names the checks with ok/failed and a
 * short code only; what failed and why in detail goes to the log, never to this anonymous answer.
 */
let inflight: Promise<Readiness> | undefined;

export async function healthReady(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const headers = { 'cache-control': 'no-store' };
  // The route is anonymous and each run reaches Storage, Service Bus and the registry: concurrent probes share one run
  // (single flight), so a flood of requests cannot multiply the calls to the dependencies (or the registry's quota).
  inflight ??= readiness(appChecks(), {
    log: (name, e) =>
      context.warn('readiness check failed', { check: name, error: e instanceof Error ? e.message : String(e) }),
  }).finally(() => {
    inflight = undefined;
  });
  const r = await inflight;
  return {
    status: r.ready ? 200 : 503,
    headers,
    jsonBody: { status: r.ready ? 'ready' : 'not-ready', service: 'stagecraft', checks: r.checks },
  };
}

rawRoute('health', {
  methods: ['GET'],
  auth: 'anonymous',
  note: 'liveness only; reveals nothing',
  route: 'health',
  raw: health,
});
rawRoute('healthReady', {
  methods: ['GET'],
  auth: 'anonymous',
  note: 'readiness: check names with ok/failed and a short code; no URLs, names or messages',
  route: 'health/ready',
  raw: healthReady,
});
