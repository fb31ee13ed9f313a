import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { startupCheck } from '../shared/config/startup-check';
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
    return { status: 503, headers, jsonBody: { status: 'misconfigured', service: 'stagecraft', problems: check.problems, warnings: check.warnings } };
  }
  return { status: 200, headers, jsonBody: { status: 'ok', service: 'stagecraft', ...(check?.warnings.length ? { warnings: check.warnings } : {}) } };
}

rawRoute('health', { methods: ['GET'], auth: 'anonymous', note: 'liveness only; reveals nothing', route: 'health', raw: health });
