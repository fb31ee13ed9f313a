/** `POST /api/models/{name}/versions/{version}/promote` → `modelPromotion` (adapter over shared/promotion/promote-api.ts). Any identity; it becomes the run's trigger. */
import { requestPromotion } from '../shared/promotion/promote-api';
import { route } from './lib/route';

route('modelsPromote', {
  methods: ['POST'],
  route: 'models/{name}/versions/{version}/promote',
  auth: 'identity',
  note: 'any identity; it is the trigger (excluded from approving when excludeTrigger); audited',
  readBody: 'json',
  durable: true,
  handler: async (ctx) => {
    const r = await requestPromotion({ params: ctx.request.params, body: ctx.text }, ctx.caller.identity!, {
      now: Date.now,
      start: (name, id, input) => ctx.durable().startOnce(name, id, input),
      log: (message, fields) => ctx.context.info(message, fields),
      audit: ctx.audit,
    });
    return { status: r.status, jsonBody: r.json };
  },
});
