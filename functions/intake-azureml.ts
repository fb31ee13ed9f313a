// Azure ML DatasetDriftDetected through Event Grid (CloudEvents schema, key in URL): adapter only. OPTIONS answers
// Event Grid's validation handshake (after the same key check); POST goes through shared/intake like every source.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { intakeHttpHandler } from '../shared/intake/http';
import { normalizeRequest } from '../shared/intake/request';
import { getIntakeDeps } from '../shared/intake/runtime';
import { eventGridHandshake } from '../shared/intake/sources/azureml';
import { rawRoute } from './lib/route';

const post = intakeHttpHandler('azureml', getIntakeDeps);

async function handler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method !== 'OPTIONS') return post(request, context);
  const deps = getIntakeDeps();
  return eventGridHandshake(normalizeRequest({ headers: [...request.headers], rawBody: '', query: request.query }), deps.config);
}

rawRoute('intake-azureml', {
  methods: ['POST', 'OPTIONS'],
  auth: 'signature',
  note: 'key in ?key= or X-Stagecraft-Key (AZUREML_EVENTGRID_KEYS), also on the OPTIONS validation handshake',
  route: 'events/azureml',
  raw: handler,
});
