/** `POST /api/models/{name}/versions/{version}/promote` → `modelPromotion` (adapter over shared/promotion/promote-api.ts). */
import * as df from 'durable-functions';
import { startOnce } from '../shared/router/durable-client';
import { toApiRequest } from './lib/api-request';
import { approvalSettings } from '../shared/approvals/settings';
import { requestPromotion } from '../shared/promotion/promote-api';

df.app.client.http('modelsPromote', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'models/{name}/versions/{version}/promote',
  handler: async (request, client, context) => {
    const r = await requestPromotion(
      await toApiRequest(request),
      {
        settings: approvalSettings(),
        now: Date.now,
        start: startOnce(client),
        log: (message, fields) => context.info(message, fields),
      },
    );
    return { status: r.status, jsonBody: r.json };
  },
});
