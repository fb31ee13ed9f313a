import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { rawRoute } from './lib/route';

/** Liveness probe: answers without touching dependencies. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  context.debug('health probe');
  return { status: 200, jsonBody: { status: 'ok', service: 'stagecraft' } };
}

rawRoute('health', { methods: ['GET'], auth: 'anonymous', note: 'liveness only; reveals nothing', route: 'health', raw: health });
