/**
 * `POST /api/models/{name}/retrain` body `{ reason?, requestId?, parameters?, force? }`
 * → 202 `{ decision: 'started', runId }` or `{ decision: 'pending' }`; 409 with the reason when a run is in
 * progress or a candidate awaits approval; 404 when the model has no retraining policy. Function key (host-checked).
 * requestedBy is the authenticated identity when one is presented (trusted App Service principal or an identity key
 * in x-stagecraft-key), else the literal `function-key` — never a header or body field the caller just writes.
 */
import { parseRetrainBody, requestRetrain } from '../shared/retraining/request';
import { isStagecraftError } from '../shared/errors';
import { readJson } from '../shared/runs/http';
import { runsSettings } from '../shared/runs/settings';
import { actorOf, route } from './lib/route';

route('modelsRetrain', {
  methods: ['POST'],
  route: 'models/{name}/retrain',
  auth: 'function-key',
  note: 'function key; requestedBy = identity when one is presented (x-stagecraft-key / trusted principal), else `function-key`; audited',
  readBody: 'json',
  durable: true,
  handler: async (ctx) => {
    const model = decodeURIComponent(ctx.request.params['name'] ?? '');
    const { actor, via } = actorOf(ctx.caller);
    let claimed: string | undefined;
    try {
      const parsed = parseRetrainBody(readJson(ctx.text));
      claimed = parsed.requestedBy;
      // A requestedBy in the body is a claim, not an identity: the caller is who authenticated.
      const answer = await requestRetrain(
        { durable: ctx.durable(), policyPath: runsSettings().policyPath },
        model,
        { ...parsed, requestedBy: undefined },
        actor,
      );
      ctx.context.info('retrain requested', {
        model,
        requestId: answer.body.requestId,
        decision: answer.body.decision,
        runId: answer.body.runId,
        requestedBy: actor,
      });
      await ctx.audit({
        action: 'retrain.request',
        actor,
        via,
        requestId: answer.body.requestId,
        target: model,
        outcome: 'accepted',
        details: {
          decision: answer.body.decision,
          ...(answer.body.runId ? { runId: answer.body.runId } : {}),
          ...(claimed && claimed !== actor ? { claimedRequestedBy: claimed } : {}),
        },
      });
      return { status: answer.status, jsonBody: answer.body };
    } catch (e) {
      await ctx.audit({
        action: 'retrain.request',
        actor,
        via,
        target: model,
        outcome: isStagecraftError(e) && e.status < 500 ? 'refused' : 'failed',
        reason: isStagecraftError(e) ? e.code : 'INTERNAL',
        ...(claimed && claimed !== actor ? { details: { claimedRequestedBy: claimed } } : {}),
      });
      throw e;
    }
  },
});
