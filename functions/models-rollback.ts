/** `POST /api/models/{name}/rollback` → the `modelRollback` orchestration (adapter over shared/promotion/rollback-api.ts). */
import * as df from 'durable-functions';
import { approvalSettings } from '../shared/approvals/settings';
import { loadPolicy } from '../shared/policy/load';
import { policyFile } from '../shared/promotion/env';
import { requestRollback } from '../shared/promotion/rollback-api';

df.app.client.http('modelsRollback', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'models/{name}/rollback',
  handler: async (request, client, context) => {
    const headers = new Map<string, string>();
    request.headers.forEach((v, k) => headers.set(k.toLowerCase(), v));
    const query = new Map<string, string>();
    request.query.forEach((v, k) => query.set(k, v));
    const r = await requestRollback(
      { headers, query, params: request.params, body: await request.text() },
      {
        settings: approvalSettings(),
        loadPolicy: () => loadPolicy(policyFile()),
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
