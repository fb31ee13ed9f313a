/** `POST /api/models/{name}/rollback` → the `modelRollback` orchestration (adapter over shared/promotion/rollback-api.ts). Operators only. */
import { loadPolicy } from '../shared/policy/load';
import { policyFile } from '../shared/promotion/env';
import { requestRollback } from '../shared/promotion/rollback-api';
import { route } from './lib/route';

route('modelsRollback', {
  methods: ['POST'],
  route: 'models/{name}/rollback',
  auth: 'operator',
  note: 'role operator or admin (approvers without it: 403); requestedBy = the identity; audited',
  readBody: 'json',
  durable: true,
  handler: async (ctx) => {
    const r = await requestRollback({ params: ctx.request.params, body: ctx.text }, ctx.caller.identity!, {
      loadPolicy: () => loadPolicy(policyFile()),
      start: (name, id, input) => ctx.durable().startOnce(name, id, input),
      log: (message, fields) => ctx.context.info(message, fields),
      audit: ctx.audit,
    });
    return { status: r.status, jsonBody: r.json };
  },
});
