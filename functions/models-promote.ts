/** `POST /api/models/{name}/versions/{version}/promote` → `modelPromotion` (adapter over shared/promotion/promote-api.ts). */
import * as df from 'durable-functions';
import { approvalSettings } from '../shared/approvals/settings';
import { requestPromotion } from '../shared/promotion/promote-api';

df.app.client.http('modelsPromote', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'models/{name}/versions/{version}/promote',
  handler: async (request, client, context) => {
    const headers = new Map<string, string>();
    request.headers.forEach((v, k) => headers.set(k.toLowerCase(), v));
    const query = new Map<string, string>();
    request.query.forEach((v, k) => query.set(k, v));
    const r = await requestPromotion(
      { headers, query, params: request.params, body: await request.text() },
      {
        settings: approvalSettings(),
        now: Date.now,
        start: async (name, instanceId, input) => {
          const existing = await client.getStatus(instanceId).catch(() => undefined);
          if (existing?.runtimeStatus) return 'exists';
          await client.startNew(name, { instanceId, input });
          return 'started';
        },
        log: (message, fields) => context.info(message, fields),
      },
    );
    return { status: r.status, jsonBody: r.json };
  },
});
