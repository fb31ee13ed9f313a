/** `POST /api/models/{name}/rollback` → the `modelRollback` orchestration (adapter over shared/promotion/rollback-api.ts). */
import * as df from 'durable-functions';
import { startOnce } from '../shared/router/durable-client';
import { toApiRequest } from './lib/api-request';
import { approvalSettings } from '../shared/approvals/settings';
import { loadPolicy } from '../shared/policy/load';
import { policyFile } from '../shared/promotion/env';
import { requestRollback } from '../shared/promotion/rollback-api';

df.app.client.http('modelsRollback', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'models/{name}/rollback',
  handler: async (request, client, context) => {
    const r = await requestRollback(
      await toApiRequest(request),
      {
        settings: approvalSettings(),
        loadPolicy: () => loadPolicy(policyFile()),
        start: startOnce(client),
        log: (message, fields) => context.info(message, fields),
      },
    );
    return { status: r.status, jsonBody: r.json };
  },
});
