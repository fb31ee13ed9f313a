/**
 * `POST /api/models/{name}/retrain` body `{ reason?, requestedBy?, requestId?, parameters?, force? }`
 * → 202 `{ decision: 'started', runId }` or `{ decision: 'pending' }`; 409 with the reason when a run is in
 * progress or a candidate awaits approval; 404 when the model has no retraining policy. Function key auth.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { parseRetrainBody, requestRetrain } from '../shared/retraining/request';
import { errorAnswer, readJson } from '../shared/runs/http';
import { runsSettings } from '../shared/runs/settings';

export async function modelsRetrain(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const model = decodeURIComponent(request.params['name'] ?? '');
    const body = parseRetrainBody(readJson(await request.text()));
    const caller = request.headers.get('x-ms-client-principal-name') ?? 'api';
    const answer = await requestRetrain({ client: df.getClient(context), policyPath: runsSettings().policyPath }, model, body, caller);
    context.info('retrain requested', { model, requestId: answer.body.requestId, decision: answer.body.decision, runId: answer.body.runId });
    return { status: answer.status, jsonBody: answer.body, headers: { 'cache-control': 'no-store' } };
  } catch (e) {
    return errorAnswer(e, context.invocationId, (m, f) => context.error(m, f));
  }
}

app.http('modelsRetrain', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'models/{name}/retrain',
  extraInputs: [df.input.durableClient()],
  handler: modelsRetrain,
});
