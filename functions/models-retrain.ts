/**
 * `POST /api/models/{name}/retrain` body `{ reason?, requestId?, parameters?, force? }`
 * → 202 `{ decision: 'started', runId }` or `{ decision: 'pending' }`; 409 with the reason when a run is in
 * progress or a candidate awaits approval; 404 when the model has no retraining policy. Function key (host-checked).
 * requestedBy is the authenticated identity when one is presented (trusted App Service principal or an identity key
 * in x-stagecraft-key), else the literal `function-key` — never a header or body field the caller just writes.
 */
import { parseRetrainBody, requestRetrain } from '../shared/retraining/request';
import { readJson } from '../shared/runs/http';
import { runsSettings } from '../shared/runs/settings';
import { actorOf, route } from './lib/route';

route('modelsRetrain', {
  methods: ['POST'],
  route: 'models/{name}/retrain',
  auth: 'function-key',
  note: 'function key; requestedBy = identity when one is presented (x-stagecraft-key / trusted principal), else `function-key`; audited',
  readBody: true,
  durable: true,
  handler: async (ctx) => {
    const model = decodeURIComponent(ctx.request.params['name'] ?? '');
    const parsed = parseRetrainBody(readJson(ctx.text));
    const { actor, via } = actorOf(ctx.caller);
    // A requestedBy in the body is a claim, not an identity: the caller is who authenticated.
    const body = { ...parsed, requestedBy: undefined };
    const answer = await requestRetrain({ client: ctx.client(), policyPath: runsSettings().policyPath }, model, body, actor);
    ctx.context.info('retrain requested', { model, requestId: answer.body.requestId, decision: answer.body.decision, runId: answer.body.runId, requestedBy: actor });
    await ctx.audit({ action: 'retrain.request', actor, via, requestId: answer.body.requestId, target: model, outcome: 'accepted', details: { decision: answer.body.decision, ...(answer.body.runId ? { runId: answer.body.runId } : {}), ...(parsed.requestedBy && parsed.requestedBy !== actor ? { claimedRequestedBy: parsed.requestedBy } : {}) } });
    return { status: answer.status, jsonBody: answer.body };
  },
});
