import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/** Liveness probe: answers without touching dependencies. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  context.debug('health probe');
  return { status: 200, jsonBody: { status: 'ok', service: 'stagecraft' } };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
