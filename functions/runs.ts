/**
 * `GET /api/runs?workflow=&model=&repo=&status=&limit=`: runs of every workflow, newest first.
 * `GET /api/runs/{id}`: one run with its timeline (durable history + run-step records). Function key auth.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getRun, listRuns, parseRunsQuery } from '../shared/runs/query';
import { errorAnswer } from '../shared/runs/http';
import { runsSettings } from '../shared/runs/settings';
import { runStepStore } from '../shared/runs/store';

export async function runsList(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const params: Record<string, string> = {};
    request.query.forEach((v, k) => {
      params[k] ??= v;
    });
    const q = parseRunsQuery(params);
    return { status: 200, jsonBody: { ...(await listRuns(df.getClient(context), q)), query: q }, headers: { 'cache-control': 'no-store' } };
  } catch (e) {
    return errorAnswer(e, context.invocationId, (m, f) => context.error(m, f));
  }
}

export async function runsGet(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const id = decodeURIComponent(request.params['id'] ?? '');
    return { status: 200, jsonBody: await getRun(df.getClient(context), runStepStore(runsSettings()), id), headers: { 'cache-control': 'no-store' } };
  } catch (e) {
    return errorAnswer(e, context.invocationId, (m, f) => context.error(m, f));
  }
}

const client = df.input.durableClient();
app.http('runsList', { methods: ['GET'], authLevel: 'function', route: 'runs', extraInputs: [client], handler: runsList });
app.http('runsGet', { methods: ['GET'], authLevel: 'function', route: 'runs/{id}', extraInputs: [client], handler: runsGet });
